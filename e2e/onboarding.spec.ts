import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServe } from '../test/harness/demo-stack';
import { ferry } from '../test/harness/ferry-cli';
import { tempDir } from '../test/harness/temp';

const ADA = 'the station runs on strong coffee';
const RITA = 'rita reads every manifest twice';
const FINGERPRINT = /^SHA256:([0-9a-f]{4} ){15}[0-9a-f]{4}$/;

// First launch on a brand-new station (no FERRY_STATION, empty data folder): onboarding in the
// app, then an admin's work in Settings and Trusted keys, with the CLI as the witness.
test('first launch: onboarding, a second identity, its fingerprint and key file, policy 2, pinning', async ({ browser }) => {
  const tmp = tempDir('ferry-e2e-onboarding-');
  const dataDir = join(tmp.path, 'data');
  const serve = await startServe(dataDir, { FERRY_STATION: '', FERRY_ACTOR: '' });
  const shots = process.env.FERRY_ONBOARDING_SCREENSHOTS;
  const cli = async (args: string[]) => {
    const r = await ferry([...args, '--data-dir', dataDir, '--json']);
    expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  try {
    const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    await page.goto(serve.url);
    await expect(page.getByTestId('onboarding')).toBeVisible();
    await expect(page.getByTestId('onboarding-role')).toHaveText('admin');
    await page.getByTestId('onboarding-station').fill('transfer-1');
    await page.getByTestId('onboarding-location').fill('Bldg 4, room 12');
    await page.getByTestId('onboarding-name').fill('ada');
    // The strength hint and the service share one rule: a common password is refused before it is sent.
    await page.getByTestId('onboarding-passphrase').fill('Password2026');
    await expect(page.getByTestId('onboarding-strength')).toHaveAttribute('data-level', 'weak');
    await page.getByTestId('onboarding-passphrase2').fill('Password2026');
    await expect(page.getByTestId('onboarding-submit')).toBeDisabled();
    await page.getByTestId('onboarding-passphrase').fill(ADA);
    await expect(page.getByTestId('onboarding-strength')).toHaveAttribute('data-level', 'strong');
    await expect(page.getByTestId('onboarding-submit')).toBeDisabled(); // the second field still differs
    await page.getByTestId('onboarding-passphrase2').fill(ADA);
    if (shots) await page.screenshot({ path: join(shots, 'screenshot-onboarding.png'), fullPage: true });
    await page.getByTestId('onboarding-submit').click();

    await expect(page.getByTestId('onboarding-signed-in')).toHaveText('ada');
    const adaFingerprint = (await page.getByTestId('onboarding-fingerprint').textContent())!.trim();
    expect(adaFingerprint).toMatch(FINGERPRINT);
    await page.getByTestId('onboarding-to-settings').click();
    await expect(page.getByTestId('session-name')).toHaveText('ada (admin)');
    await expect(page.getByTestId('app-station')).toHaveText('transfer-1');
    await expect(page.getByTestId('settings-station-name')).toHaveValue('transfer-1');

    // A second identity: the admin fills name and role, the new person types their passphrase.
    await page.getByTestId('identity-create-name').fill('rita');
    await page.getByTestId('identity-create-role').selectOption('reviewer');
    await page.getByTestId('identity-create-passphrase').fill(RITA);
    await page.getByTestId('identity-create-passphrase2').fill(RITA);
    await page.getByTestId('identity-create-submit').click();
    await expect(page.getByTestId('identity-created')).toContainText('Created reviewer rita');
    await expect(page.getByTestId('identity-create-passphrase')).toHaveValue('');
    const ritaRow = page.locator('[data-testid="identity-row"][data-name="rita"]');

    // Her fingerprint to read aloud and her key file: the same as the CLI's.
    const exported = await cli(['identity', 'export-public', 'rita']);
    const cliFingerprint = /fingerprint (SHA256:[0-9a-f ]+)/.exec(exported.stderr)![1]!.trim();
    await ritaRow.getByTestId('identity-show-fingerprint').click();
    await expect(page.getByTestId('identity-fingerprint')).toHaveText(cliFingerprint);
    const download = page.waitForEvent('download');
    await ritaRow.getByTestId('identity-export-file').click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('rita.pub');
    const pub = join(tmp.path, 'rita.pub');
    await file.saveAs(pub);
    expect(readFileSync(pub, 'utf8')).toBe(exported.stdout);

    // Approval policy: two distinct reviewers per bundle.
    await page.getByTestId('settings-policy-required-2').check();
    await page.getByTestId('settings-policy-save').click();
    await expect(page.getByTestId('settings-policy-saved')).toContainText('2 reviewers per bundle');
    expect((await cli(['trust', 'policy'])).json()).toMatchObject({ requiredApprovals: 2 });
    if (shots) {
      await page.setViewportSize({ width: 1280, height: 1400 });
      await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
      await page.screenshot({ path: join(shots, 'screenshot-settings.png') });
      await page.setViewportSize({ width: 1280, height: 800 });
    }

    // Pin rita's key: the fingerprint is shown, a wrong confirmation pins nothing, the right one pins.
    await page.getByTestId('nav-trust').click();
    await page.getByTestId('trust-path').fill(pub);
    await page.getByTestId('trust-show').click();
    await expect(page.getByTestId('trust-candidate-name')).toHaveText('rita');
    await expect(page.getByTestId('trust-fingerprint')).toHaveText(cliFingerprint);
    await page.getByTestId('trust-confirm').fill(adaFingerprint);
    await page.getByTestId('trust-pin').click();
    await expect(page.getByTestId('trust-error')).toContainText('does not match');
    await page.getByTestId('trust-confirm').fill(cliFingerprint.replace('SHA256:', '').replace(/ /g, ''));
    await page.getByTestId('trust-pin').click();
    await expect(page.getByTestId('trust-pinned')).toContainText('Pinned rita (reviewer)');
    await expect(page.locator('[data-testid="trust-key"][data-name="rita"]').getByTestId('trust-state')).toHaveText('pinned');
    if (shots) await page.screenshot({ path: join(shots, 'screenshot-trust.png'), fullPage: true });
    const ritaKey = page.locator('[data-testid="trust-key"][data-name="rita"]');
    await ritaKey.getByTestId('trust-revoke-reason').fill('laptop lost');
    await ritaKey.getByTestId('trust-revoke').click();
    await expect(ritaKey.getByTestId('trust-state')).toHaveText('revoked');

    // Every change is a custody event signed by ada's key, on station transfer-1.
    const log = (await cli(['custody', 'log'])).json<{ type: string; actor: string; station: string; signer?: string; details: Record<string, unknown> }[]>();
    const adaHex = adaFingerprint.replace('SHA256:', '').replace(/ /g, '');
    for (const type of ['identity-created', 'station-configured', 'policy-changed', 'key-pinned', 'key-revoked']) {
      const e = log.filter((x) => x.type === type).at(-1);
      expect(e, type).toMatchObject({ actor: 'ada', signer: adaHex });
    }
    expect(log.filter((x) => x.type === 'identity-created').map((x) => x.details.name)).toEqual(['ada', 'rita']);
    expect(log.find((x) => x.type === 'key-pinned')).toMatchObject({ station: 'transfer-1' });
    await cli(['custody', 'verify']);

    // Another browser starts signed out: no onboarding again, it can read but the admin forms say to sign in.
    const other = await (await browser.newContext()).newPage();
    await other.goto(serve.url);
    await other.getByTestId('nav-settings').click();
    await expect(other.getByTestId('identity-create-locked')).toContainText('Sign in as an admin');
    await expect(other.locator('[data-testid="identity-row"]')).toHaveCount(2);
    await expect(other.getByTestId('identity-create-submit')).toBeDisabled();
    await expect(other.getByTestId('onboarding')).toHaveCount(0);
  } finally {
    serve.child.kill('SIGTERM');
    tmp.cleanup();
  }
});
