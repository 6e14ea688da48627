import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startServe } from '../test/harness/demo-stack';
import { ferry } from '../test/harness/ferry-cli';
import { tempDir } from '../test/harness/temp';
import { expect } from './fixtures';
import { E2E_PASS } from './identities';

export interface Station {
  url: string;
  dataDir: string;
  workDir: string;
  stop(): void;
}

/**
 * A station of its own for the screen-by-screen specs (a11y, layout): an admin (ada), a reviewer
 * (rita) whose key is pinned, so Trusted keys shows a revoke box, and an operator (olga). Folder
 * browsing is confined to the station's work folder.
 */
export async function startStation(prefix: string): Promise<Station> {
  const tmp = tempDir(prefix);
  const dataDir = join(tmp.path, 'data');
  const cli = async (args: string[], input?: string) => {
    const r = await ferry([...args, '--data-dir', dataDir, '--json'], { input });
    expect(r.code, `ferry ${args.join(' ')}\n${r.stderr}`).toBe(0);
    return r;
  };
  await cli(['identity', 'create', '--name', 'ada', '--role', 'admin', '--passphrase-stdin'], `${E2E_PASS}\n`);
  await cli(['identity', 'create', '--name', 'rita', '--role', 'reviewer', '--passphrase-stdin'], `${E2E_PASS}\n`);
  await cli(['identity', 'create', '--name', 'olga', '--role', 'operator', '--passphrase-stdin'], `${E2E_PASS}\n`);
  const pub = join(tmp.path, 'rita.pub');
  const exported = (await cli(['identity', 'export-public', 'rita', '--out', pub])).json<{ fingerprint: string }>();
  await cli(['trust', 'add', pub, '--confirm', exported.fingerprint, '--as', 'ada', '--passphrase-stdin'], `${E2E_PASS}\n`);
  let child: ChildProcess | undefined;
  try {
    const serve = await startServe(dataDir, { FERRY_STATION: `${prefix}station`, FERRY_ACTOR: 'e2e', FERRY_BROWSE_ROOTS: tmp.path });
    child = serve.child;
    return {
      url: serve.url,
      dataDir,
      workDir: tmp.path,
      stop: () => {
        child?.kill('SIGTERM');
        tmp.cleanup();
      },
    };
  } catch (err) {
    tmp.cleanup();
    throw err;
  }
}

/** A small bundle on the station, created by olga with the CLI (a test fixture, as an operator elsewhere would have made it). */
export async function fixtureBundle(station: Station, stack: { model: string; hubUrl: string; images: { ref: string }[] }, name: string): Promise<string> {
  const dir = join(station.workDir, name);
  const created = await ferry(['bundle', 'create', '--model', stack.model, '--image', stack.images[0]!.ref, '--hub-url', stack.hubUrl, '--out', dir, '--data-dir', station.dataDir, '--json'], {
    env: { FERRY_AS: 'olga', FERRY_PASSPHRASE: E2E_PASS },
  });
  expect(created.code, created.stderr).toBe(0);
  return dir;
}

/** Opens SCREEN from the side navigation and waits for its heading. */
export async function openScreen(page: Page, screen: string): Promise<void> {
  await page.getByTestId(`nav-${screen}`).click();
  await expect(page.getByTestId(`nav-${screen}`)).toHaveAttribute('aria-current', 'page');
  await expect(page.locator('main h1')).toBeVisible();
}

/** Opens every <details> in the content, so what they hold is checked too. */
export async function expandAll(page: Page): Promise<void> {
  await page.locator('main details:not([open]) > summary').evaluateAll((els) => els.forEach((el) => (el as unknown as { click(): void }).click()));
}

/**
 * Each state of the screen worth checking, in turn: the screen as it opens, then each of its tabs
 * (read from the page). `check` gets a label naming the state.
 */
export async function eachState(page: Page, screen: string, check: (label: string) => Promise<void>): Promise<void> {
  await expandAll(page);
  await check(screen);
  const tabs = page.locator('main [role="tablist"] [role="tab"]');
  const n = await tabs.count();
  for (let i = 0; i < n; i++) {
    const tab = tabs.nth(i);
    if ((await tab.getAttribute('aria-selected')) === 'true' && i === 0) continue; // the state checked above
    await tab.click();
    await expect(tab).toHaveAttribute('aria-selected', 'true');
    await expandAll(page);
    await check(`${screen} (tab "${(await tab.textContent())?.trim()}")`);
  }
}
