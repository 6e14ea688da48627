import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { startServe } from '../test/harness/demo-stack';
import { ferry } from '../test/harness/ferry-cli';
import { tempDir } from '../test/harness/temp';
import { expect, test } from './fixtures';
import { E2E_PASS } from './identities';

// Keyboard and layout (issue 17, item 7), in Chromium against a station of its own: an admin
// (ada) and a reviewer (rita) whose key is pinned, so Trusted keys shows a revoke box.
// No axe-core here: unlabelled controls are found in Playwright's ARIA snapshot of each screen.

const SCREENS = ['create', 'media', 'review', 'verify', 'install', 'trust', 'custody', 'settings'] as const;
const VIEWPORTS = [
  { width: 1024, height: 700 },
  { width: 1920, height: 1080 },
];
/** A line of an ARIA snapshot naming a control without an accessible name: `- textbox`, `- button [disabled]`, `- combobox:`. */
const UNNAMED = /^\s*- (button|textbox|searchbox|combobox|listbox|checkbox|radio|switch|slider|spinbutton|tab|link)(?=$|:| \[)/;

let station: { url: string; child: ChildProcess; dataDir: string; workDir: string; cleanup: () => void };

test.beforeAll(async () => {
  const tmp = tempDir('ferry-e2e-a11y-');
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
  const serve = await startServe(dataDir, { FERRY_STATION: 'a11y-station', FERRY_ACTOR: 'a11y' });
  station = { ...serve, dataDir, workDir: tmp.path, cleanup: tmp.cleanup };
});

test.afterAll(() => {
  station?.child.kill('SIGTERM');
  station?.cleanup();
});

async function openScreen(page: Page, screen: (typeof SCREENS)[number]): Promise<void> {
  await page.getByTestId(`nav-${screen}`).click();
  await expect(page.getByTestId(`nav-${screen}`)).toHaveAttribute('aria-current', 'page');
  await expect(page.locator('main h1')).toBeVisible();
}

/** Controls that assistive technology would announce without a name. */
async function unnamedControls(page: Page): Promise<string[]> {
  const snapshot = await page.locator('body').ariaSnapshot();
  return snapshot.split('\n').filter((l) => UNNAMED.test(l));
}

/**
 * Where the page spills sideways: the window, the content area, a table's scroller, or a control
 * sticking out of the content. Runs in the page (plain JS: this file is type-checked without the DOM library).
 */
const CLIPPED = `(() => {
  const problems = [];
  const name = (el) => el.getAttribute('data-testid') || el.getAttribute('aria-label') || el.id || '.' + el.className;
  const doc = document.scrollingElement;
  if (doc.scrollWidth > doc.clientWidth + 1) problems.push('the page is ' + doc.scrollWidth + 'px wide in a ' + doc.clientWidth + 'px window');
  for (const box of document.querySelectorAll('.content, .panel-flush, .table-scroll')) {
    if (box.scrollWidth > box.clientWidth + 1) problems.push(name(box) + ' scrolls sideways (' + box.scrollWidth + 'px in ' + box.clientWidth + 'px)');
  }
  const content = document.querySelector('.content').getBoundingClientRect();
  for (const el of document.querySelectorAll('main button, main input, main select, main textarea')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue; // not rendered (a closed <details>)
    if (r.left < content.left - 1 || r.right > content.right + 1) problems.push(el.tagName.toLowerCase() + ' ' + name(el) + ' sticks out of the content (' + Math.round(r.left) + '-' + Math.round(r.right) + ')');
  }
  return problems;
})()`;

async function clipped(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(CLIPPED);
}

test('every screen: each control has a name, and nothing is clipped at 1024×700 or 1920×1080', async ({ page }) => {
  const shots = process.env.FERRY_A11Y_SCREENSHOTS; // a folder: screenshots of every screen at both sizes
  await page.goto(station.url);
  await page.getByTestId('login-open').click();
  await page.getByTestId('login-name').selectOption('ada');
  await page.getByTestId('login-passphrase').fill(E2E_PASS);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('session-name')).toHaveText(/^ada \(/);

  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    for (const screen of SCREENS) {
      await openScreen(page, screen);
      if (screen === 'create') {
        for (const tab of ['recipe', 'custom']) {
          await page.getByTestId(`create-tab-${tab}`).click();
          if (shots) await page.screenshot({ path: join(shots, `a11y-create-${tab}-${viewport.width}x${viewport.height}.png`) });
          expect(await unnamedControls(page), `create (${tab}) at ${viewport.width}px`).toEqual([]);
          expect(await clipped(page), `create (${tab}) at ${viewport.width}px`).toEqual([]);
        }
        continue;
      }
      if (screen === 'trust') await expect(page.getByTestId('trust-revoke-reason')).toBeVisible();
      if (screen === 'custody') await expect(page.getByTestId('custody-row').first()).toBeVisible();
      if (shots) await page.screenshot({ path: join(shots, `a11y-${screen}-${viewport.width}x${viewport.height}.png`) });
      expect(await unnamedControls(page), `${screen} at ${viewport.width}px`).toEqual([]);
      expect(await clipped(page), `${screen} at ${viewport.width}px`).toEqual([]);

      if (screen === 'trust') {
        // The reason box keeps room for a sentence, not two letters.
        const box = (await page.getByTestId('trust-revoke-reason').boundingBox())!;
        expect(box.width, `revoke reason at ${viewport.width}px`).toBeGreaterThanOrEqual(150);
      }
      if (screen === 'custody') {
        // The hash column is whole on screen, its full value in the title.
        const panel = (await page.locator('.table-custody').boundingBox())!;
        const hash = page.locator('[data-testid="custody-row"] .cell-hash code').first();
        const cell = (await hash.boundingBox())!;
        expect(cell.x + cell.width, `hash column at ${viewport.width}px`).toBeLessThanOrEqual(panel.x + panel.width + 1);
        expect(await hash.getAttribute('title')).toMatch(/^[0-9a-f]{64}$|^sha256:[0-9a-f]{64}$/);
      }
    }
    if (viewport.width === 1920) {
      // Wide windows: create and review use the width, not half of it.
      for (const screen of ['create', 'review'] as const) {
        await openScreen(page, screen);
        const content = (await page.locator('main.content').boundingBox())!;
        const body = (await page.locator('main .screen').boundingBox())!;
        expect(body.width / content.width, `${screen} at 1920px`).toBeGreaterThan(0.8);
      }
    }
  }
});

test('keyboard: the skip link comes first, the Log in dialog holds focus until Escape, tabs follow the arrow keys', async ({ page }) => {
  await page.goto(station.url);
  await expect(page.getByTestId('login-open')).toBeVisible();

  // The first Tab stop is "Skip to content"; it leads past the top bar and the job list to the screen.
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.locator('main#main-content')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.locator('main :focus')).toHaveCount(1);

  // The Log in dialog takes focus, Tab and Shift-Tab stay inside it, Escape closes it and focus returns.
  const opener = page.getByTestId('login-open');
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Log in' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toHaveAttribute('aria-modal', 'true');
  await expect(page.getByTestId('login-passphrase')).toBeFocused();
  const insideDialog = async () => (await page.locator('[role="dialog"] :focus').count()) === 1;
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    expect(await insideDialog(), `Tab ${i + 1}`).toBe(true);
    const focused = page.locator(':focus');
    seen.add((await focused.getAttribute('id')) ?? (await focused.textContent()) ?? '');
  }
  // The cycle reached the identity list and Cancel, and came round again.
  expect(seen.size).toBeGreaterThanOrEqual(3);
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Shift+Tab');
    expect(await insideDialog(), `Shift+Tab ${i + 1}`).toBe(true);
  }
  // What is behind the dialog is out of reach (inert), even for a script that tries to focus it.
  await expect(page.locator('#root')).toHaveAttribute('inert', '');
  await page.getByTestId('nav-create').evaluate((el) => (el as unknown as { focus(): void }).focus());
  expect(await insideDialog(), 'focus moved behind the dialog').toBe(true);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();

  // Tabs: one Tab stop, arrow keys, Home and End move and select; the panel follows.
  await page.getByTestId('nav-create').click();
  const tablist = page.getByRole('tablist', { name: 'What to bundle' });
  const recipe = tablist.getByRole('tab', { name: 'Recipe' });
  const custom = tablist.getByRole('tab', { name: 'Custom images & models' });
  await recipe.click();
  await expect(recipe).toHaveAttribute('aria-selected', 'true');
  await expect(recipe).toHaveAttribute('tabindex', '0');
  await expect(custom).toHaveAttribute('tabindex', '-1');
  const panelOf = async (tab: typeof recipe) => page.locator(`[role="tabpanel"][id="${await tab.getAttribute('aria-controls')}"]`);
  await expect(await panelOf(recipe)).toBeVisible();
  await page.keyboard.press('ArrowRight');
  await expect(custom).toBeFocused();
  await expect(custom).toHaveAttribute('aria-selected', 'true');
  await expect(recipe).toHaveAttribute('aria-selected', 'false');
  await expect(await panelOf(custom)).toBeVisible();
  await expect(page.getByTestId('create-images')).toBeVisible();
  await page.keyboard.press('ArrowRight'); // wraps round
  await expect(recipe).toBeFocused();
  await expect(recipe).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('End');
  await expect(custom).toBeFocused();
  await page.keyboard.press('Home');
  await expect(recipe).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(custom).toBeFocused();
  await expect(custom).toHaveAttribute('aria-selected', 'true');
});

test('a bundle under review and its custody events: nothing clipped at 1024×700, the width used at 1920×1080', async ({ page, stack }) => {
  const dir = join(station.workDir, 'bundle-1');
  const created = await ferry(['bundle', 'create', '--model', stack.model, '--image', stack.images[0]!.ref, '--hub-url', stack.hubUrl, '--out', dir, '--data-dir', station.dataDir, '--json'], {
    env: { FERRY_AS: 'olga', FERRY_PASSPHRASE: E2E_PASS },
  });
  expect(created.code, created.stderr).toBe(0);
  await page.goto(station.url);
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await openScreen(page, 'review');
    await page.getByTestId('review-dir').fill(dir);
    await page.getByTestId('review-open').click();
    await expect(page.getByTestId('review-artifacts')).toBeVisible();
    const shots = process.env.FERRY_A11Y_SCREENSHOTS;
    if (shots) await page.screenshot({ path: join(shots, `a11y-review-bundle-${viewport.width}x${viewport.height}.png`) });
    expect(await unnamedControls(page), `review at ${viewport.width}px`).toEqual([]);
    expect(await clipped(page), `review at ${viewport.width}px`).toEqual([]);
    if (viewport.width === 1920) {
      const content = (await page.locator('main.content').boundingBox())!;
      const body = (await page.locator('main .screen').boundingBox())!;
      expect(body.width / content.width, 'review at 1920px').toBeGreaterThan(0.8);
    }
    await openScreen(page, 'custody');
    await expect(page.locator('[data-testid="custody-row"][data-type="bundle-created"], [data-testid="custody-row"]').first()).toBeVisible();
    if (shots) await page.screenshot({ path: join(shots, `a11y-custody-bundle-${viewport.width}x${viewport.height}.png`) });
    expect(await clipped(page), `custody at ${viewport.width}px`).toEqual([]);
  }
});
