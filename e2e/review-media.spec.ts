import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { signInOperator } from './identities';

async function createBundle(page: Page, stack: { url: string; hubUrl: string; dataDir: string }, model: string, out: string): Promise<void> {
  await page.goto(stack.url);
  await signInOperator(page, stack.dataDir); // acting needs a signed-in identity
  await page.getByTestId('nav-create').click();
  await page.getByTestId('create-tab-custom').click();
  await page.getByTestId('create-images').fill('');
  await page.getByTestId('create-models').fill(model);
  await page.getByTestId('create-hub-url').fill(stack.hubUrl);
  await page.getByTestId('create-out-dir').fill(out);
  await page.getByTestId('create-submit').click();
  await expect(page.getByTestId('job-panel').getByTestId('job-state')).toHaveText('succeeded', { timeout: 120_000 }); // fetch + scan can be slow on a loaded 2-core machine
}

test('a reviewer sees a blocked bundle with the dangerous finding explained', async ({ page, stack }) => {
  const out = join(stack.workDir, 'evil-bundle');
  await createBundle(page, stack, 'acme/evil-llm', out);
  await page.getByTestId('nav-review').click();
  // The new bundle waits in the reviewer queue; opening it there needs no typing.
  const row = page.getByTestId('review-queue-item').filter({ hasText: out });
  await expect(row).toHaveAttribute('data-status', 'pending');
  await row.getByTestId('review-queue-open').click();
  await expect(page.getByTestId('review-dir')).toHaveValue(out);
  await expect(page.getByTestId('review-verdict')).toHaveText('BLOCKED');
  const finding = page.locator('[data-testid="finding"][data-severity="dangerous"]').first();
  await expect(finding).toContainText('pytorch_model.bin');
  await expect(finding).toContainText(/system/);
});

test('a reviewer sees licence and GPU-memory estimate; the operator writes media and the volumes verify', async ({ page, stack }) => {
  const out = join(stack.workDir, 'clean-bundle');
  await createBundle(page, stack, stack.model, out);
  await page.getByTestId('nav-review').click();
  await page.getByTestId('review-dir').fill(out);
  await page.getByTestId('review-open').click();
  // No blocking finding; the antivirus state is shown as it is (ClamAV here has no signature database).
  await expect(page.getByTestId('review-verdict')).toHaveText(/^(SCANNED|ANTIVIRUS ERROR|ANTIVIRUS NOT RUN)$/);
  await expect(page.getByTestId('scan-licence')).toHaveText('apache-2.0');
  await expect(page.getByTestId('scan-gpu')).toContainText('weights');

  const targets = [1, 2, 3, 4].map((i) => join(stack.workDir, `usb${i}`));
  for (const t of targets) mkdirSync(t, { recursive: true });
  await page.getByTestId('nav-media').click();
  await page.getByTestId('media-dir').fill(out);
  await page.getByTestId('media-size').fill('4MiB');
  await page.getByTestId('media-kit').uncheck(); // 4 MiB volumes cannot hold the offline kit
  await page.getByTestId('media-plan-submit').click();
  await expect(page.getByTestId('media-plan-volume')).toHaveCount(3);
  await page.getByTestId('media-targets').fill(targets.join('\n'));
  // Not approved: writing it needs an explicit choice with a reason (recorded in custody).
  await page.getByTestId('media-unapproved').check();
  await page.getByTestId('media-unapproved-reason').fill('e2e: media layout check before review');
  await page.getByTestId('media-write-submit').click();
  await expect(page.getByTestId('media-write-result')).toHaveText('WRITTEN');
  await expect(page.getByTestId('media-volume')).toHaveCount(3);

  await page.getByTestId('media-volumes').fill([...targets.slice(0, 3)].reverse().join('\n'));
  await page.getByTestId('media-verify-submit').click();
  await expect(page.getByTestId('verify-result').last()).toHaveText('OK');
});
