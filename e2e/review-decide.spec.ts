import { join } from 'node:path';
import { ferry } from '../test/harness/ferry-cli';
import { expect, test } from './fixtures';

const PASS = 'correct horse battery staple';

test('a reviewer logs in, reads the diff, approves, and sees the approved custody event', async ({ page, stack }) => {
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}, input = '') => {
    const r = await ferry([...args, '--data-dir', stack.dataDir, '--json'], { env, input });
    expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  // The CLI and the running `ferry serve` share the station database (WAL).
  await cli(['identity', 'create', '--name', 'olga', '--role', 'operator', '--passphrase-stdin'], {}, `${PASS}\n`);
  await cli(['identity', 'create', '--name', 'rita', '--role', 'reviewer', '--passphrase-stdin'], {}, `${PASS}\n`);
  const asOlga = { FERRY_AS: 'olga', FERRY_PASSPHRASE: PASS };
  const first = join(stack.workDir, 'decide-1');
  await cli(['bundle', 'create', '--model', stack.model, '--hub-url', stack.hubUrl, '--out', first], asOlga);
  const bundleId = (JSON.parse((await cli(['review', first])).stdout) as { bundleId: string }).bundleId;

  await page.goto(stack.url);
  await page.getByTestId('login-open').click();
  await page.getByTestId('login-name').selectOption('rita');
  await page.getByTestId('login-passphrase').fill(PASS);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('session-name')).toHaveText('rita (reviewer)');

  await page.getByTestId('nav-review').click();
  await page.getByTestId('review-dir').fill(first);
  await page.getByTestId('review-open').click();
  await expect(page.getByTestId('review-diff-none')).toContainText('No bundle of recipe adhoc was approved');
  await page.getByTestId('review-reason').fill('matches change 1234');
  await page.getByTestId('review-approve').click();
  await expect(page.getByTestId('review-outcome')).toContainText('Approved by rita');
  await expect(page.getByTestId('review-outcome')).toContainText('approvals/');

  await page.getByTestId('nav-custody').click();
  await expect(page.locator('[data-testid="custody-row"][data-type="approved"]').first()).toContainText('rita');
  await page.getByTestId('custody-bundle').fill(bundleId);
  await expect(page.getByTestId('custody-chain-state')).toHaveText('INTACT');
  await expect(page.locator('[data-testid="custody-row"][data-type="created"]')).toHaveCount(1);

  // A second bundle of the same (ad-hoc) recipe with one more image: the reviewer sees what changed.
  const second = join(stack.workDir, 'decide-2');
  await cli(['bundle', 'create', '--model', stack.model, '--image', stack.images[0]!.ref, '--hub-url', stack.hubUrl, '--out', second], asOlga);
  await page.getByTestId('nav-review').click();
  await page.getByTestId('review-dir').fill(second);
  await page.getByTestId('review-open').click();
  await expect(page.getByTestId('review-diff-summary')).toContainText('1 added, 0 removed, 0 re-pinned');
  await expect(page.locator('[data-testid="review-diff-row"][data-change="added"]')).toHaveCount(1);
  await expect(page.getByTestId('review-approve')).toBeEnabled();
  await page.setViewportSize({ width: 1280, height: 1900 });
  await page.screenshot({ path: process.env.FERRY_REVIEW_SCREENSHOT ?? join(stack.workDir, 'review-diff.png'), fullPage: true });
});
