import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from '@playwright/test';
import { ferry } from '../test/harness/ferry-cli';
import { expect, test } from './fixtures';
import { ensureIdentity, invokeAs, signIn } from './identities';

interface Event {
  type: string;
  actor: string;
  role: string;
  signer?: string;
  signature?: string;
  bundleId: string | null;
}

async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  return page;
}

// The trust gate, in two browsers at once: every action is the signed-in identity's, and the
// two-person rule compares key fingerprints.
test('rita and ravi sign in in two browsers at once; rita cannot approve her own bundle, ravi can; a signed-out browser reads but cannot act', async ({ browser, stack }) => {
  test.setTimeout(6 * 60_000); // three browsers, a bundle created and scanned, on a loaded 2-core machine
  const rita = await ensureIdentity(stack.dataDir, 'rita', 'reviewer');
  const ravi = await ensureIdentity(stack.dataDir, 'ravi', 'reviewer');
  expect(rita.fingerprint).not.toBe(ravi.fingerprint);

  const asRita = await openPage(browser, stack.url);
  const asRavi = await openPage(browser, stack.url);
  const nobody = await openPage(browser, stack.url);
  await signIn(asRita, 'rita');
  await signIn(asRavi, 'ravi');
  // Logins belong to browser sessions, not to the server: each keeps its own, a third has none.
  await asRita.reload();
  await expect(asRita.getByTestId('session-name')).toHaveText('rita (reviewer)');
  await expect(asRavi.getByTestId('session-name')).toHaveText('ravi (reviewer)');
  await nobody.reload();
  await expect(nobody.getByTestId('session-none')).toBeVisible();
  await expect(nobody.getByTestId('login-open')).toBeVisible();

  // rita creates a bundle in the UI.
  const out = join(stack.workDir, 'two-person');
  await asRita.getByTestId('nav-create').click();
  await asRita.getByTestId('create-tab-custom').click();
  await asRita.getByTestId('create-images').fill('');
  await asRita.getByTestId('create-models').fill(stack.model);
  await asRita.getByTestId('create-hub-url').fill(stack.hubUrl);
  await asRita.getByTestId('create-out-dir').fill(out);
  await asRita.getByTestId('create-submit').click();
  await expect(asRita.getByTestId('job-panel').getByTestId('job-state')).toHaveText('succeeded', { timeout: 120_000 });

  // The manifest names rita by her key, and she signed it; the OS user is context only.
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { bundleId: string; createdBy: Record<string, unknown> };
  expect(manifest.createdBy).toMatchObject({ actor: 'rita', role: 'reviewer', creatorFingerprint: rita.fingerprint, signature: expect.any(String), context: { osUser: expect.any(String), host: expect.any(String) } });

  // rita cannot approve it: the review screen says why, and the service refuses naming the rule.
  await asRita.getByTestId('nav-review').click();
  await asRita.getByTestId('review-dir').fill(out);
  await asRita.getByTestId('review-open').click();
  await expect(asRita.getByTestId('review-two-person')).toContainText('two-person rule');
  await expect(asRita.getByTestId('review-approve')).toBeDisabled();
  const refused = await invokeAs(asRita, 'review:decide', { dir: out, decision: 'approve', reason: 'mine' });
  expect(refused.body.error?.message).toMatch(/two-person rule: rita created this bundle and cannot approve it/);
  expect(refused.status).toBe(400);

  // The signed-out browser reads the queue, the document and the custody log, and cannot act.
  await nobody.getByTestId('nav-review').click();
  await nobody.getByTestId('review-dir').fill(out);
  await nobody.getByTestId('review-open').click();
  await expect(nobody.getByTestId('review-creator')).toContainText('rita');
  await expect(nobody.getByTestId('review-approve')).toBeDisabled();
  await expect(nobody.getByTestId('review-decision')).toContainText('Sign in');
  await nobody.getByTestId('nav-create').click();
  await nobody.getByTestId('create-tab-custom').click();
  await expect(nobody.getByTestId('create-submit')).toBeDisabled();
  await expect(nobody.getByTestId('sign-in-hint')).toContainText('Sign in (top right) to create a bundle');
  for (const [channel, arg] of [
    ['bundle:create', { images: [], models: [stack.model], outDir: join(stack.workDir, 'never') }],
    ['review:decide', { dir: out, decision: 'approve', reason: 'drive-by' }],
    ['bundle:verify', { dir: out }],
  ] as const) {
    const r = await invokeAs(nobody, channel, arg);
    expect(r.body.error?.message, channel).toMatch(/^Sign in first/);
  }
  expect((await invokeAs(nobody, 'custody:list', { bundleId: manifest.bundleId })).body.result).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'created', actor: 'rita' })]));

  // ravi approves it. (This stack's ClamAV has no signature database: the station's antivirus rule is
  // switched off for this approval, and back on after, so the two-person rule is what is tested.)
  const policy = async (mode: 'on' | 'off') => expect((await ferry(['trust', 'policy', '--require-clean-antivirus', mode, '--data-dir', stack.dataDir, '--json'])).code).toBe(0);
  await policy('off');
  try {
    await asRavi.getByTestId('nav-review').click();
    await asRavi.getByTestId('review-dir').fill(out);
    await asRavi.getByTestId('review-open').click();
    await expect(asRavi.getByTestId('review-creator')).toContainText('rita');
    await asRavi.getByTestId('review-reason').fill('second pair of eyes');
    await asRavi.getByTestId('review-approve').click();
    await expect(asRavi.getByTestId('review-outcome')).toContainText('Approved by ravi');
  } finally {
    await policy('on');
  }

  // The statement and the custody log name both by key fingerprint, each event signed by its actor's key.
  const files = readdirSync(join(out, 'approvals'));
  const statements = files.filter((n) => !n.endsWith('.intoto.json'));
  expect(statements).toHaveLength(1);
  expect(files).toHaveLength(2); // the statement and its in-toto/DSSE envelope
  const statement = JSON.parse(readFileSync(join(out, 'approvals', statements[0]!), 'utf8')) as { statement: { reviewer: { name: string; fingerprint: string } } };
  expect(statement.statement.reviewer).toMatchObject({ name: 'ravi', fingerprint: ravi.fingerprint });
  const log = await ferry(['custody', 'log', '--bundle', manifest.bundleId, '--data-dir', stack.dataDir, '--json']);
  const events = log.json<Event[]>();
  for (const type of ['resolved', 'acquired', 'scanned', 'created']) {
    for (const e of events.filter((x) => x.type === type)) expect(e, type).toMatchObject({ actor: 'rita', signer: rita.fingerprint, signature: expect.any(String) });
  }
  expect(events.find((e) => e.type === 'created')).toBeTruthy();
  expect(events.find((e) => e.type === 'approved')).toMatchObject({ actor: 'ravi', role: 'reviewer', signer: ravi.fingerprint, signature: expect.any(String) });
  expect(events.some((e) => e.type === 'approved' && e.actor === 'rita')).toBe(false);

  await asRavi.getByTestId('nav-custody').click();
  await expect(asRavi.locator('[data-testid="custody-row"][data-type="approved"]').first()).toContainText('ravi');
});
