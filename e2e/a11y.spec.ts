import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { signIn } from './identities';
import { a11yProblems, navScreens } from './page-checks';
import { eachState, fixtureBundle, openScreen, startStation, type Station } from './station';

// Accessibility on every screen and every dialog (issue 17, item 7), in Chromium against a station
// of its own. The screens are read from the side navigation at run time, so a new screen is covered
// without editing this file; dialogs are found by their openers' aria-haspopup="dialog".
//
// The rules of serious and critical impact are checked in e2e/page-checks.ts after axe-core's rules
// of the same names, plus Chromium's own accessible-name computation (the ARIA snapshot), and
// axe-core itself (@axe-core/playwright) on the same page.

let station: Station;

test.beforeAll(async () => {
  station = await startStation('ferry-e2e-a11y-');
});

test.afterAll(() => station?.stop());

/** axe-core's serious and critical violations on the page (or inside `include`). */
async function axe(page: Page, include?: string): Promise<string[]> {
  const builder = new AxeBuilder({ page });
  if (include) builder.include(include);
  const { violations } = await builder.analyze();
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);
}

/** Every serious or critical problem on the page (or inside `root`), from both checkers. */
async function problems(page: Page, root?: string): Promise<string[]> {
  return [...(await a11yProblems(page, root)), ...(await axe(page, root))];
}

test('every screen in the navigation, signed out and signed in: no serious or critical accessibility problem', async ({ page }) => {
  await page.goto(station.url);
  await expect(page.getByTestId('login-open')).toBeVisible();
  const screens = await navScreens(page);
  // The screens issue 17 names are there (new ones are picked up from the navigation as they come).
  expect(screens).toEqual(expect.arrayContaining(['create', 'media', 'review', 'verify', 'install', 'trust', 'custody', 'settings']));
  for (const who of ['nobody', 'ada'] as const) {
    if (who === 'ada') await signIn(page, 'ada');
    for (const screen of screens) {
      await openScreen(page, screen);
      if (screen === 'trust' && who === 'ada') await expect(page.getByTestId('trust-revoke-reason')).toBeVisible();
      await eachState(page, screen, async (label) => {
        expect.soft(await problems(page), `${label}, signed in as ${who}`).toEqual([]);
      });
    }
  }
});

/** Tab and Shift+Tab, `n` times each, never leave the open dialog; returns how many distinct stops Tab reached. */
async function focusStaysInside(page: Page, label: string, n = 10): Promise<number> {
  const inside = async () => (await page.locator('[role="dialog"] :focus, [role="dialog"]:focus').count()) === 1;
  const stops = new Set<string>();
  for (const key of ['Tab', 'Shift+Tab']) {
    for (let i = 0; i < n; i++) {
      await page.keyboard.press(key);
      expect(await inside(), `${label}: ${key} ${i + 1} left the dialog`).toBe(true);
      if (key === 'Tab') stops.add(await page.evaluate('(() => { const a = document.activeElement; return a.id || a.getAttribute("data-testid") || a.outerHTML.slice(0, 80); })()'));
    }
  }
  // Even a script that focuses something behind it lands back inside (the page behind is inert).
  await page.getByTestId('skip-link').evaluate((el) => (el as unknown as { focus(): void }).focus());
  expect(await inside(), `${label}: focus moved behind the dialog`).toBe(true);
  return stops.size;
}

test('every dialog: named, no accessibility problem, focus held inside until Escape, then back on its opener', async ({ page }) => {
  const checked: string[] = [];
  /** Opens each dialog whose opener is on the page now, checks it, and closes it with Escape. */
  const dialogsHere = async (where: string) => {
    const openers = page.locator('[aria-haspopup="dialog"]:visible:not([disabled])');
    const n = await openers.count();
    for (let i = 0; i < n; i++) {
      const opener = openers.nth(i);
      const label = `${where}: ${(await opener.getAttribute('data-testid')) ?? (await opener.textContent())?.trim()}`;
      await opener.focus();
      await page.keyboard.press('Enter');
      const dialog = page.locator('[role="dialog"], [role="alertdialog"]');
      await expect(dialog, label).toHaveCount(1);
      await expect(dialog, label).toHaveAttribute('aria-modal', 'true');
      await expect(page.locator('#root'), `${label}: the page behind is inert`).toHaveAttribute('inert', '');
      // Focus moved into it on opening.
      await expect(page.locator('[role="dialog"] :focus, [role="dialog"]:focus'), `${label}: focus moved in`).toHaveCount(1);
      expect(await problems(page, '[role="dialog"], [role="alertdialog"]'), label).toEqual([]);
      const stops = await focusStaysInside(page, label);
      const controls = await dialog.locator('button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href]').count();
      expect(stops, `${label}: Tab reached each control and came round`).toBeGreaterThanOrEqual(Math.min(controls, 2));
      await page.keyboard.press('Escape');
      await expect(dialog, `${label}: Escape closes it`).toHaveCount(0);
      await expect(opener, `${label}: focus back on the opener`).toBeFocused();
      checked.push(label);
    }
  };

  await page.goto(station.url);
  await expect(page.getByTestId('login-open')).toBeVisible();
  const screens = await navScreens(page);
  await dialogsHere('top bar');
  expect(checked, 'the Log in dialog was found by its opener').toContain('top bar: login-open');
  await signIn(page, 'ada');
  for (const screen of screens) {
    await openScreen(page, screen);
    await eachState(page, screen, (label) => dialogsHere(label));
  }
  // The folder pickers' dialogs were among them (their Browse… buttons say aria-haspopup="dialog").
  expect(checked.filter((l) => /-browse$/.test(l)).length, `folder pickers opened; dialogs checked: ${checked.join(' | ')}`).toBeGreaterThan(0);
  test.info().annotations.push({ type: 'dialogs checked', description: checked.join(' | ') });
});

test('keyboard: the skip link comes first and leads to the content; tabs follow the arrow keys', async ({ page }) => {
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

  // Every tab list of every screen: one Tab stop, arrow keys, Home and End move and select; the panel follows.
  let lists = 0;
  for (const screen of await navScreens(page)) {
    await openScreen(page, screen);
    const tablists = page.locator('main [role="tablist"]');
    for (let l = 0; l < (await tablists.count()); l++) {
      lists++;
      const tabs = tablists.nth(l).getByRole('tab');
      const n = await tabs.count();
      const label = `${screen}, tab list ${(await tablists.nth(l).getAttribute('aria-label')) ?? l}`;
      expect(n, label).toBeGreaterThan(1);
      await tabs.first().click();
      await expect(tabs.first(), label).toHaveAttribute('aria-selected', 'true');
      await expect(tablists.nth(l).locator('[role="tab"][tabindex="0"]'), `${label}: one Tab stop`).toHaveCount(1);
      const panelOf = async (i: number) => page.locator(`[role="tabpanel"][id="${await tabs.nth(i).getAttribute('aria-controls')}"]`);
      await expect(await panelOf(0), label).toBeVisible();
      await page.keyboard.press('ArrowRight');
      await expect(tabs.nth(1), label).toBeFocused();
      await expect(tabs.nth(1), label).toHaveAttribute('aria-selected', 'true');
      await expect(tabs.first(), label).toHaveAttribute('aria-selected', 'false');
      await expect(await panelOf(1), label).toBeVisible();
      await page.keyboard.press('End');
      await expect(tabs.nth(n - 1), label).toBeFocused();
      await page.keyboard.press('ArrowRight'); // wraps round
      await expect(tabs.first(), label).toBeFocused();
      await expect(tabs.first(), label).toHaveAttribute('aria-selected', 'true');
      await page.keyboard.press('ArrowLeft');
      await expect(tabs.nth(n - 1), label).toBeFocused();
      await page.keyboard.press('Home');
      await expect(tabs.first(), label).toBeFocused();
    }
  }
  expect(lists, 'Create bundle has its Recipe | Custom tabs').toBeGreaterThanOrEqual(1);
});

test('a bundle under review and its custody events: no serious or critical accessibility problem', async ({ page, stack }) => {
  const dir = await fixtureBundle(station, stack, 'a11y-bundle');
  await page.goto(station.url);
  await signIn(page, 'rita');
  await openScreen(page, 'review');
  await page.getByTestId('review-dir').fill(dir);
  await page.getByTestId('review-open').click();
  await expect(page.getByTestId('review-artifacts')).toBeVisible();
  await eachState(page, 'review (bundle open)', async (label) => expect.soft(await problems(page), label).toEqual([]));
  await openScreen(page, 'custody');
  await expect(page.getByTestId('custody-row').first()).toBeVisible();
  await eachState(page, 'custody (with events)', async (label) => expect.soft(await problems(page), label).toEqual([]));
});
