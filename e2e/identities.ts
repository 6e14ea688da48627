import type { Page } from '@playwright/test';
import { ferry } from '../test/harness/ferry-cli';
import { expect } from './fixtures';

/** The passphrase of every identity the e2e specs create. */
export const E2E_PASS = 'correct horse battery staple';

/**
 * Makes sure identity NAME exists on the station (the CLI shares the running server's database).
 * Specs of one worker share a station, so an identity another spec made already is fine.
 */
export async function ensureIdentity(dataDir: string, name: string, role: 'operator' | 'reviewer' | 'admin' | 'auditor'): Promise<{ name: string; fingerprint: string }> {
  const list = async () => (await ferry(['identity', 'list', '--data-dir', dataDir, '--json'])).json<{ name: string; role: string; fingerprint: string }[]>();
  let found = (await list()).find((i) => i.name === name);
  if (!found) {
    const r = await ferry(['identity', 'create', '--name', name, '--role', role, '--passphrase-stdin', '--data-dir', dataDir, '--json'], { input: `${E2E_PASS}\n` });
    expect(r.code, r.stderr).toBe(0);
    found = (await list()).find((i) => i.name === name)!;
  }
  expect(found.role).toBe(role);
  return found;
}

/** Signs NAME in in this page's browser session (the login belongs to it alone). */
export async function signIn(page: Page, name: string): Promise<void> {
  await page.getByTestId('login-open').click();
  await page.getByTestId('login-name').selectOption(name);
  await page.getByTestId('login-passphrase').fill(E2E_PASS);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('session-name')).toHaveText(new RegExp(`^${name} \\(`));
}

/** An operator signed in on `page` (created on first use): for specs whose subject is not identities. */
export async function signInOperator(page: Page, dataDir: string): Promise<void> {
  await ensureIdentity(dataDir, 'e2e-operator', 'operator');
  await signIn(page, 'e2e-operator');
}

type ApiReply = { result?: unknown; error?: { name: string; message: string; hint?: string } };
/** What the page's session storage holds (this file is type-checked without the DOM library). */
type PageGlobals = { sessionStorage: { getItem(key: string): string | null } };

/** Calls the API from inside the page as that browser session would (its token and session id). */
export async function invokeAs(page: Page, channel: string, arg: unknown): Promise<{ status: number; body: ApiReply }> {
  return page.evaluate(
    async ([channel, arg]) => {
      const { sessionStorage } = globalThis as unknown as PageGlobals;
      const session = sessionStorage.getItem('ferry.session');
      const res = await fetch(`/api/invoke/${channel as string}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${sessionStorage.getItem('ferry.token') ?? ''}`, 'Content-Type': 'application/json', ...(session ? { 'X-Ferry-Session': session } : {}) },
        body: JSON.stringify(arg),
      });
      return { status: res.status, body: (await res.json()) as ApiReply };
    },
    [channel, arg] as const,
  );
}
