import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from './fixtures';
import { signInOperator } from './identities';
import { makeFakeKit, makeSmallBundle } from '../test/unit/media-kit-fixture';

// The offline kit in the app: the Review screen shows the kit a bundle folder carries in ferry/;
// the Media screen writes it onto volume 1 (on by default) and verify says no approval covers it.
test('the reviewer sees the bundle\'s kit; media write puts it on volume 1; verify warns it is not covered by an approval', async ({ page, stack }) => {
  const out = join(stack.workDir, 'kit-bundle');
  await makeSmallBundle(out, '0b6f3c1e-2a4d-4e8f-9c7b-5d1a3e2f4c60');
  const kit = makeFakeKit(join(out, 'ferry'));
  await page.goto(stack.url);
  await signInOperator(page, stack.dataDir);

  await page.getByTestId('nav-review').click();
  await page.getByTestId('review-dir').fill(out);
  await page.getByTestId('review-open').click();
  await expect(page.getByTestId('review-kit')).toBeVisible();
  await expect(page.getByTestId('review-kit-digest')).toHaveText(kit.sha256);
  await expect(page.getByTestId('review-kit-version')).toContainText('0.1.0');

  const target = join(stack.workDir, 'kit-usb1');
  mkdirSync(target, { recursive: true });
  await page.getByTestId('nav-media').click();
  await page.getByTestId('media-dir').fill(out);
  await expect(page.getByTestId('media-kit')).toBeChecked();
  await page.getByTestId('media-targets').fill(target);
  await page.getByTestId('media-unapproved').check();
  await page.getByTestId('media-unapproved-reason').fill('e2e: kit layout check before review');
  await page.getByTestId('media-write-submit').click();
  await expect(page.getByTestId('media-write-result')).toHaveText('WRITTEN');
  await expect(page.getByTestId('media-write-kit')).toContainText(kit.sha256.slice(0, 16));
  expect(existsSync(join(target, 'ferry', 'kit.json'))).toBe(true);

  await page.getByTestId('media-volumes').fill(target);
  await page.getByTestId('media-verify-submit').click();
  await expect(page.getByTestId('verify-result').last()).toHaveText('OK');
  await expect(page.getByTestId('media-verify-kit')).toHaveAttribute('data-covered', 'false');
  await expect(page.getByTestId('media-verify-kit')).toContainText(`offline kit ${kit.sha256} not covered by an approval`);
});
