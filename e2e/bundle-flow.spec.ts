import { join } from 'node:path';
import { expect, test } from './fixtures';
import { signInOperator } from './identities';

test('an operator creates a bundle in the UI, watches progress, verifies it and sees custody events', async ({ page, stack }) => {
  const out = join(stack.workDir, 'ui-bundle');
  await page.goto(stack.url);
  await signInOperator(page, stack.dataDir); // acting needs a signed-in identity
  // The token moved out of the address bar into the session.
  await expect(page).not.toHaveURL(/token=/);

  await page.getByTestId('nav-create').click();
  await page.getByTestId('create-tab-custom').click();
  await page.getByTestId('create-images').fill(stack.images.map((i) => i.ref).join('\n'));
  await page.getByTestId('create-models').fill(stack.model);
  await page.getByTestId('create-hub-url').fill(stack.hubUrl);
  await page.getByTestId('create-out-dir').fill(out);
  await page.getByTestId('create-submit').click();

  const panel = page.getByTestId('job-panel');
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId('job-state')).toHaveText('succeeded', { timeout: 120_000 }); // fetch + scan can be slow on a loaded 2-core machine
  await expect(panel.getByTestId('job-item')).toHaveCount(stack.images.length + 1);
  await expect(panel.getByTestId('job-progress')).toContainText('100');

  await page.getByTestId('nav-verify').click();
  await page.getByTestId('verify-dir').fill(out);
  await page.getByTestId('verify-submit').click();
  await expect(page.getByTestId('verify-result')).toHaveText('OK');

  await page.getByTestId('nav-custody').click();
  const rows = page.getByTestId('custody-row');
  await expect(rows.filter({ has: page.locator('[data-type]') }).first()).toBeVisible();
  for (const type of ['resolved', 'acquired', 'created', 'verified']) {
    await expect(page.locator(`[data-testid="custody-row"][data-type="${type}"]`).first()).toBeVisible();
  }
  await page.screenshot({ path: join(stack.workDir, 'custody.png') });
});

test('the UI shows a failed job with the reason when the source is wrong', async ({ page, stack }) => {
  await page.goto(stack.url);
  await signInOperator(page, stack.dataDir);
  await page.getByTestId('nav-create').click();
  await page.getByTestId('create-tab-custom').click();
  await page.getByTestId('create-images').fill(`${stack.images[0]!.ref.replace(/:[^:/]+$/, '')}:no-such-tag`);
  await page.getByTestId('create-out-dir').fill(join(stack.workDir, 'never'));
  await page.getByTestId('create-submit').click();
  await expect(page.getByTestId('job-state')).toHaveText('failed');
  await expect(page.getByTestId('job-error')).toContainText('no-such-tag');
});

test('the API refuses requests without the token or from a foreign origin', async ({ request, stack }) => {
  const base = new URL(stack.url);
  const token = new URLSearchParams(base.hash.slice(1)).get('token')!;
  const api = `${base.origin}/api/invoke/app:info`;
  expect((await request.post(api, { data: {} })).status()).toBe(403);
  expect((await request.post(api, { data: {}, headers: { Authorization: `Bearer ${token}`, Origin: 'http://evil.example' } })).status()).toBe(403);
  const ok = await request.post(api, { data: {}, headers: { Authorization: `Bearer ${token}` } });
  expect(ok.status()).toBe(200);
  expect((await ok.json()).result.version).toMatch(/^\d+\.\d+\.\d+/);
});
