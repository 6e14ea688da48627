import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { ferry } from '../test/harness/ferry-cli';
import { makeFakeKit } from '../test/unit/media-kit-fixture';
import { expect, test } from './fixtures';
import { E2E_PASS, ensureIdentity, signIn } from './identities';

// The reviewer's whole job in the app (issue 17, "Done when"): open the queue, read the bundle as a
// document (manifest, artifacts, where each goes, scan findings, BOM, offline kit, what changed since
// the last approval), approve with a passphrase-unlocked key, and see the approval recorded, named
// and signed. The CLI only prepares fixtures: the operator olga's bundles.

/** olga's bundle at DIR (a fixture: an operator made it elsewhere); returns its manifest's bundle id. */
async function operatorBundle(dataDir: string, stack: { model: string; hubUrl: string }, dir: string, images: string[]): Promise<string> {
  const r = await ferry(['bundle', 'create', '--model', stack.model, ...images.flatMap((i) => ['--image', i]), '--hub-url', stack.hubUrl, '--out', dir, '--data-dir', dataDir, '--json'], {
    env: { FERRY_AS: 'olga', FERRY_PASSPHRASE: E2E_PASS },
  });
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { bundleId: string }).bundleId;
}

/** Opens the bundle at DIR from the review queue, where it waits with STATUS. */
async function openFromQueue(page: Page, dir: string, status: 'pending' | 'approved'): Promise<void> {
  await page.getByTestId('nav-review').click();
  const row = page.getByTestId('review-queue-item').filter({ hasText: dir });
  await expect(row).toHaveAttribute('data-status', status);
  await expect(row).toContainText('olga');
  await row.getByTestId('review-queue-open').click();
  await expect(page.getByTestId('review-dir')).toHaveValue(dir);
  await expect(page.getByTestId('review-artifacts')).toBeVisible();
}

test('the reviewer reads a bundle in the app and approves it: recorded, named, signed', async ({ page, stack }) => {
  test.setTimeout(4 * 60_000); // two bundles created and scanned on a loaded 2-core machine
  await ensureIdentity(stack.dataDir, 'olga', 'operator');
  const rita = await ensureIdentity(stack.dataDir, 'rita', 'reviewer');
  const image = stack.images[0]!.ref;
  const first = join(stack.workDir, 'reviewer-1');
  const second = join(stack.workDir, 'reviewer-2');
  await operatorBundle(stack.dataDir, stack, first, []);
  const bundleId = await operatorBundle(stack.dataDir, stack, second, [image]);
  const kit = makeFakeKit(join(second, 'ferry')); // the offline kit the operator put beside it

  // rita unlocks her key with her passphrase; the page says who signs.
  await page.goto(stack.url);
  await signIn(page, 'rita');
  await expect(page.getByTestId('session-name')).toHaveText('rita (reviewer)');

  // The earlier bundle first: she approves it, so the next one is read against it.
  await openFromQueue(page, first, 'pending');
  await page.getByTestId('review-reason').fill('model only; matches change 41');
  await page.getByTestId('review-approve').click();
  await expect(page.getByTestId('review-outcome')).toContainText('Approved by rita');

  await openFromQueue(page, second, 'pending');
  // The manifest: who created it, where, how much, and the manifest's own digest.
  const head = page.locator('.verdict').first();
  await expect(head).toContainText(bundleId.slice(0, 18));
  await expect(head).toContainText('by olga');
  await expect(head.locator('[title^="sha256:"], code').first()).toBeVisible();
  await expect(page.getByTestId('review-verdict')).toHaveText(/^(SCANNED|ANTIVIRUS ERROR|ANTIVIRUS NOT RUN)$/);
  await expect(page.getByTestId('review-creator')).toContainText('Created by olga (operator)');
  // The artifacts, each pinned, and where each goes on the offline host.
  await expect(page.getByTestId('review-artifact')).toHaveCount(2);
  await expect(page.getByTestId('review-artifact').filter({ hasText: 'image' })).toContainText('sha256:');
  await expect(page.getByTestId('review-destination')).toHaveCount(2);
  await expect(page.locator('[data-testid="review-destination"][data-kind="model"]')).toContainText('acme');
  await expect(page.locator('[data-testid="review-destination"][data-kind="image"]')).toBeVisible();
  // The model's scan: licence, antivirus state, the GPU-memory estimate; no blocking finding.
  await expect(page.getByTestId('scan-panel')).toBeVisible();
  await expect(page.getByTestId('scan-licence')).toHaveText('apache-2.0');
  await expect(page.getByTestId('scan-gpu')).toContainText('weights');
  await expect(page.getByTestId('scan-antivirus')).toBeVisible();
  await expect(page.getByTestId('review-artifact').filter({ hasText: 'model' })).toContainText('0 dangerous, 0 suspicious');
  await expect(page.getByTestId('blocking-finding')).toHaveCount(0);
  // The bill of materials, and what changed in it.
  await expect(page.getByTestId('review-bom-counts')).toContainText('components');
  await expect(page.getByTestId('review-bom-diff')).toContainText('Since the last approval');
  // The offline kit it carries, by digest.
  await expect(page.getByTestId('review-kit-digest')).toHaveText(kit.sha256);
  await expect(page.getByTestId('review-kit-version')).toContainText('0.1.0');
  // What changed since rita's last approval of this recipe: the image was added.
  await expect(page.getByTestId('review-diff-summary')).toContainText('1 added, 0 removed, 0 re-pinned');
  await expect(page.locator('[data-testid="review-diff-row"][data-change="added"]')).toContainText(image.split('@')[0]!.split('/').pop()!.split(':')[0]!);

  // Approve: a signed statement in the bundle, a signed custody event, the signer named.
  await expect(page.getByTestId('review-decision')).toContainText('signing as rita (reviewer)');
  await page.getByTestId('review-reason').fill('digests match the lock; image added for change 42; licence apache-2.0');
  await page.getByTestId('review-approve').click();
  const outcome = page.getByTestId('review-outcome');
  await expect(outcome).toContainText('Approved by rita');
  await expect(outcome).toContainText(/Statement approvals\/\S+ written into the bundle; custody event #\d+/);
  const seq = /custody event #(\d+)/.exec((await outcome.textContent()) ?? '')![1]!;

  // The queue now says approved.
  await openFromQueue(page, second, 'approved');

  // The custody log: the approval event is rita's, signed with her key; the bundle's chain is intact.
  await page.getByTestId('nav-custody').click();
  await page.getByTestId('custody-bundle').fill(bundleId);
  await expect(page.getByTestId('custody-chain-state')).toHaveText('INTACT');
  const approved = page.locator(`[data-testid="custody-row"][data-type="approved"][data-seq="${seq}"]`);
  await expect(approved).toContainText('rita');
  await expect(approved).toContainText('(reviewer)');
  const signed = approved.getByTestId('event-signed');
  await expect(signed).toContainText('signed by rita');
  await expect(signed).toHaveAttribute('title', `Signed by rita with key ${rita.fingerprint}`);
  // olga's creation is there too, signed by her.
  await expect(page.locator('[data-testid="custody-row"][data-type="created"]').getByTestId('event-signed')).toContainText('signed by olga');
});
