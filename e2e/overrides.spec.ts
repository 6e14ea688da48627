import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from '@playwright/test';
import { ferry } from '../test/harness/ferry-cli';
import { expect, test } from './fixtures';
import { E2E_PASS, ensureIdentity, signIn } from './identities';

type Styles = { getComputedStyle(el: unknown): { fontWeight: string; fontSize: string } };
/** The rendered type weight and size of an element (runs in the page). */
const weight = (l: Locator) =>
  l.evaluate((el) => {
    const s = (globalThis as unknown as Styles).getComputedStyle(el);
    return { weight: s.fontWeight, size: s.fontSize };
  });

/** Sets the station's antivirus approval policy; as an admin only when the station has one (specs share the station). */
async function antivirusPolicy(dataDir: string, mode: 'on' | 'off'): Promise<void> {
  const args = ['trust', 'policy', '--require-clean-antivirus', mode, '--data-dir', dataDir, '--json'];
  let r = await ferry(args);
  if (r.code !== 0 && /needs --as ADMIN/.test(r.stderr)) {
    await ensureIdentity(dataDir, 'e2e-admin', 'admin');
    r = await ferry([...args, '--as', 'e2e-admin', '--passphrase-stdin'], { input: `${E2E_PASS}\n` });
  }
  expect(r.code, r.stderr).toBe(0);
}

// Issue 13 parts 4 and 5 in the review screen: the antivirus state (here ClamAV has no signature
// database: "error") stands beside the blocking findings in the same weight, with its signature
// date; a reviewer overrides each finding with a written reason; approval still refuses under
// the default antivirus policy, naming the state and the setting.
test('the review screen shows the antivirus error like a finding; a reviewer overrides the blocking findings with a reason', async ({ page, stack }) => {
  await ensureIdentity(stack.dataDir, 'e2e-operator', 'operator');
  await ensureIdentity(stack.dataDir, 'ravi', 'reviewer');
  await antivirusPolicy(stack.dataDir, 'on'); // the default; the demo stack turns it off
  try {
    const out = join(stack.workDir, 'overrides-evil');
    await page.goto(stack.url);
    await signIn(page, 'e2e-operator');
    await page.getByTestId('nav-create').click();
    await page.getByTestId('create-tab-custom').click();
    await page.getByTestId('create-images').fill('');
    await page.getByTestId('create-models').fill('acme/evil-llm');
    await page.getByTestId('create-hub-url').fill(stack.hubUrl);
    // A relative output folder is refused before anything is written.
    await page.getByTestId('create-out-dir').fill('bundles/evil');
    await expect(page.getByTestId('create-out-dir-problem')).toContainText('relative path');
    await expect(page.getByTestId('create-submit')).toBeDisabled();
    await page.getByTestId('create-out-dir').fill(out);
    await page.getByTestId('create-submit').click();
    await expect(page.getByTestId('job-panel').getByTestId('job-state')).toHaveText('succeeded', { timeout: 120_000 });

    await page.getByTestId('logout').click();
    await expect(page.getByTestId('session-none')).toBeVisible();
    await signIn(page, 'ravi');
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-dir').fill(out);
    await page.getByTestId('review-open').click();
    await expect(page.getByTestId('review-verdict')).toHaveText('BLOCKED');

    // The antivirus state: its own row in the blocking table, its state text and its signature date.
    const av = page.getByTestId('antivirus-state');
    await expect(av).toHaveAttribute('data-status', 'error');
    await expect(av.getByTestId('antivirus-state-word')).toHaveText('ANTIVIRUS ERROR');
    await expect(av.getByTestId('antivirus-signatures')).toHaveText(/^(signatures of \d{4}-\d{2}-\d{2}.*|signature database date unknown)$/);
    await expect(page.getByTestId('scan-antivirus-alert')).toContainText('Antivirus ERROR');
    // Same weight as a finding: same table, same type size and weight as the BLOCKING word.
    const finding = page.locator('[data-testid="blocking-finding"][data-state="unresolved"]').first();
    await expect(finding).toBeVisible();
    expect(await weight(av.getByTestId('antivirus-state-word'))).toEqual(await weight(finding.locator('strong').first()));
    await expect(page.getByTestId('review-approve')).toBeDisabled();

    // Override each blocking finding: a short reason is not accepted; a real one is recorded and shown.
    const reason = 'e2e: the pickle is the red-team sample this bundle exists to carry to the lab';
    const unresolved = page.locator('[data-testid="blocking-finding"][data-state="unresolved"]');
    const n = await unresolved.count();
    expect(n).toBeGreaterThan(0);
    for (let i = 0; i < n; i++) {
      await unresolved.first().getByTestId('override-open').click();
      await page.getByTestId('override-reason').fill('looks fine');
      await expect(page.getByTestId('override-submit')).toBeDisabled();
      await page.getByTestId('override-reason').fill(reason);
      await page.getByTestId('override-submit').click();
      await expect(unresolved).toHaveCount(n - i - 1);
    }
    const overridden = page.locator('[data-testid="blocking-finding"][data-state="overridden"]');
    await expect(overridden).toHaveCount(n);
    await expect(overridden.first()).toContainText('pytorch_model.bin');
    await expect(overridden.first().getByTestId('override-reason-shown')).toContainText(reason);
    await expect(overridden.first().getByTestId('override-reason-shown')).toContainText('ravi');
    expect(readdirSync(join(out, 'overrides'))).toHaveLength(n);

    // Findings decided; antivirus is still not clean: the verdict says so, and approval refuses under the default policy.
    await expect(page.getByTestId('review-verdict')).toHaveText('ANTIVIRUS ERROR');
    await page.getByTestId('review-reason').fill('override read');
    await page.getByTestId('review-approve').click();
    await expect(page.getByTestId('review-decision-error')).toContainText('antivirus is not clean');
    await expect(page.getByTestId('review-decision-error')).toContainText('requireCleanAntivirus');
    await page.setViewportSize({ width: 1280, height: 1900 });
    await page.screenshot({ path: process.env.FERRY_OVERRIDES_SCREENSHOT ?? join(stack.workDir, 'review-overrides.png'), fullPage: true });

    // The verify screen reports the approval state beside the hashes, with the overrides the bundle carries.
    await page.getByTestId('nav-verify').click();
    await page.getByTestId('verify-dir').fill(out);
    await page.getByTestId('verify-submit').click();
    await expect(page.getByTestId('verify-result').last()).toHaveText('OK', { timeout: 60_000 });
    await expect(page.getByTestId('verify-approval-policy')).toBeVisible();
    await expect(page.getByTestId('verify-override')).toHaveCount(n);
    await expect(page.getByTestId('verify-override').first()).toContainText(reason);
    await expect(page.getByTestId('verify-antivirus')).toContainText('ANTIVIRUS ERROR');
  } finally {
    await antivirusPolicy(stack.dataDir, 'off');
  }
});
