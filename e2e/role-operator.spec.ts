import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blob, pushStandIn, randomLayer, standIn } from '../test/integration/acquire-helpers';
import { startFaultProxy } from '../test/harness/fault-proxy';
import { expect, test } from './fixtures';
import { signInOperator } from './identities';

// The operator's whole job in the app, nothing but the browser: a recipe becomes a bundle (canceled
// halfway, then resumed), the bundle goes onto media picked with the folder browser, and the serial
// of the medium and the numbers of its seals are recorded, signed, in the custody log.
test('operator: recipe → bundle (cancel, resume) → media with serial and seal', async ({ page, stack }) => {
  const registry = stack.images[0]!.ref.split('/')[0]!;
  const vllm = standIn([randomLayer(256 * 1024), blob(Buffer.from('vllm stand-in'))], { label: 'vllm' });
  await pushStandIn(registry, 'vllm/vllm-openai', ['v0.18.1'], vllm);
  // The hub answers the model's weights up to 1 MiB, then holds the rest until the test lets go:
  // the job is mid-download when Cancel is pressed. Only the first download is held.
  let release!: () => void;
  const until = new Promise<void>((r) => (release = r));
  let held!: () => void;
  const holding = new Promise<void>((r) => (held = r));
  const hub = await startFaultProxy(stack.hubUrl);
  hub.inject({ match: /\/cdn\/.*model\.safetensors/, fault: { holdAfter: 1024 * 1024, until, onHold: held }, times: 1 });
  const out = join(stack.workDir, 'operator-bundle');
  const usb = join(stack.workDir, 'operator-usb1');
  mkdirSync(usb);

  try {
    await page.goto(stack.url);
    await signInOperator(page, stack.dataDir);
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-mirrors').fill(`docker.io=${registry}`);
    await page.getByTestId('settings-mirrors-save').click();
    await expect(page.getByTestId('settings-mirrors-saved')).toContainText('1 mirror');

    // Recipe → preview → create.
    await page.getByTestId('nav-create').click();
    await page.getByTestId('create-tab-recipe').click();
    await page.locator('[data-testid="recipe-option"][data-recipe-id="vllm-model"]').click();
    await page.getByTestId('param-model').fill(stack.model);
    await page.getByTestId('recipe-hub-url').fill(hub.url);
    await page.getByTestId('recipe-resolve').click();
    await expect(page.getByTestId('lock-preview')).toBeVisible();
    await page.getByTestId('recipe-out-dir').fill(out);
    await page.getByTestId('recipe-create').click();

    // Cancel while the model is downloading: nothing stays "running", and Resume is offered.
    const panel = page.getByTestId('job-panel');
    await holding;
    await expect(panel.locator('[data-testid="job-item"][data-state="running"]')).not.toHaveCount(0);
    const firstJob = await panel.getAttribute('data-job-id');
    await panel.getByTestId('job-cancel').click();
    await expect(panel.getByTestId('job-state')).toHaveText('canceled');
    await expect(panel.getByTestId('job-canceled')).toContainText('Canceled — run again to resume');
    await expect(panel.locator('[data-testid="job-item"][data-state="running"]')).toHaveCount(0);
    await expect(panel.getByTestId('job-item').filter({ hasText: 'tiny-llm' })).toHaveAttribute('data-state', 'canceled');
    await expect(page.getByTestId('joblist-item').first()).toContainText('canceled');

    // Resume: a new job with the same request, which finishes from what is on disk.
    await panel.getByTestId('job-resume').click();
    await expect(panel).not.toHaveAttribute('data-job-id', firstJob!);
    await expect(panel.getByTestId('job-state')).toHaveText('succeeded', { timeout: 120_000 });
    await expect(panel.getByTestId('create-acquired')).toHaveAttribute('data-resumed', 'true');
    const bundleId = (await panel.getByTestId('create-bundle-id').textContent())!.trim();
    expect(bundleId).toMatch(/^[0-9a-f-]{36}$/);

    // Media: the bundle is one click away; the target is picked in the folder browser.
    await page.getByTestId('nav-media').click();
    await page.locator(`[data-testid="recent-bundle"][data-dir="${out}"]`).click();
    await expect(page.getByTestId('media-dir')).toHaveValue(out);
    await page.getByTestId('media-targets-browse').click();
    const picker = page.getByTestId('folder-picker');
    await expect(picker.getByTestId('folder-picker-path')).toHaveText(stack.workDir);
    await picker.locator('[data-testid="folder-picker-entry"][data-name="operator-usb1"]').click();
    await expect(picker.getByTestId('folder-picker-path')).toHaveText(usb);
    await picker.getByTestId('folder-picker-choose').click();
    await expect(picker).toHaveCount(0);
    await expect(page.getByTestId('media-targets')).toHaveValue(usb);
    await page.getByTestId('media-kit').uncheck();
    await page.getByTestId('media-unapproved').check();
    await page.getByTestId('media-unapproved-reason').fill('e2e: operator flow before review');
    await page.getByTestId('media-write-submit').click();
    await expect(page.getByTestId('media-write-result')).toHaveText('WRITTEN', { timeout: 60_000 });
    await expect(page.locator('[data-testid="job-panel"][data-kind="media.write"]').getByTestId('job-state')).toHaveText('written');

    // Serial and seals, signed by the operator.
    const form = page.getByTestId('serial-seal');
    await form.getByTestId('serial-input').fill('SN-E2E-0001');
    await form.getByTestId('seal-input').fill('S-1001, S-1002');
    await form.getByTestId('serial-seal-submit').click();
    const written = form.locator('[data-testid="recorded-event"][data-type="written"]');
    const sealed = form.locator('[data-testid="recorded-event"][data-type="sealed"]');
    await expect(written).toContainText('SN-E2E-0001');
    await expect(sealed).toContainText('S-1001, S-1002');
    await expect(sealed.getByTestId('event-signed')).toContainText('e2e-operator');

    // The custody log shows both, signed, with their details as labelled fields.
    await page.getByTestId('nav-custody').click();
    await page.getByTestId('custody-bundle').fill(bundleId);
    const row = page.locator('[data-testid="custody-row"][data-type="sealed"]');
    await expect(row).toHaveCount(1);
    await expect(row.getByTestId('event-signed')).toBeVisible();
    await expect(row.locator('.event-field[data-key="seals"]')).toContainText('Seals');
    await expect(row.locator('.event-field[data-key="seals"]')).toContainText('S-1001, S-1002');
    await expect(page.locator('[data-testid="custody-row"][data-type="written"]').locator('.event-field[data-key="serials"]')).toContainText('SN-E2E-0001');
    // The report is a download in the browser; the seals are in it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-download-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    expect(readFileSync((await download.path())!, 'utf8')).toContain('S-1001');
    await expect(page.getByTestId('report-downloaded')).toContainText(download.suggestedFilename());

    // Leave the worker's station as it was: no mirrors.
    await page.getByTestId('nav-settings').click();
    await expect(page.getByTestId('settings-mirrors')).toHaveValue(`docker.io=${registry}`); // loaded before it is cleared
    await page.getByTestId('settings-mirrors').fill('');
    await page.getByTestId('settings-mirrors-save').click();
    await expect(page.getByTestId('settings-mirrors-saved')).toContainText('0 mirrors');
  } finally {
    release();
    await hub.stop();
  }
});
