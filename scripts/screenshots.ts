// Regenerates the screenshots in docs/ from the real UI against a real stack on loopback:
//   npm run build && node --import tsx scripts/screenshots.ts
// The README's pictures (docs/screenshot-*.png), then every screen of the side navigation at
// 1024×700 and 1920×1080 (docs/screenshots/SCREEN-WIDTHxHEIGHT.png). With --screens, only the
// latter, on a stack with one small approved bundle (a minute instead of several).
import { chromium, type Browser, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDemoStack } from '../test/harness/demo-stack';
import { ferry } from '../test/harness/ferry-cli';
import { pushStandIn, randomLayer, standIn } from '../test/integration/acquire-helpers';

const docs = join(__dirname, '..', 'docs');
const everyScreen = join(docs, 'screenshots');
const SIZES = [
  { width: 1024, height: 700 },
  { width: 1920, height: 1080 },
];
const PASS = 'correct horse battery staple';

/** Creates identity NAME on the stack's station with the CLI (it shares the server's database). */
async function createIdentity(dataDir: string, name: string, role: 'operator' | 'reviewer'): Promise<void> {
  const r = await ferry(['identity', 'create', '--name', name, '--role', role, '--passphrase-stdin', '--data-dir', dataDir, '--json'], { input: `${PASS}\n` });
  if (r.code !== 0) throw new Error(`ferry identity create ${name}: ${r.stderr}`);
}

/** Pins identity NAME's public key on the station (export-public, then trust add --confirm its fingerprint). */
async function pinKey(dataDir: string, workDir: string, name: string): Promise<void> {
  const list = await ferry(['identity', 'list', '--data-dir', dataDir, '--json']);
  const fingerprint = list.json<{ name: string; fingerprint: string }[]>().find((i) => i.name === name)?.fingerprint;
  if (!fingerprint) throw new Error(`no identity ${name}: ${list.stderr}`);
  const file = join(workDir, `${name}.pub`);
  const exported = await ferry(['identity', 'export-public', name, '--out', file, '--data-dir', dataDir, '--json']);
  if (exported.code !== 0) throw new Error(`ferry identity export-public ${name}: ${exported.stderr}`);
  const pinned = await ferry(['trust', 'add', file, '--confirm', fingerprint, '--data-dir', dataDir, '--json']);
  if (pinned.code !== 0) throw new Error(`ferry trust add ${name}: ${pinned.stderr}`);
}

/** A page in its own browser context (its own login), signed in as NAME with the login control (top right). */
async function signedInPage(browser: Browser, url: string, name: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(url);
  await page.getByTestId('login-open').click();
  await page.getByTestId('login-name').selectOption(name);
  await page.getByTestId('login-passphrase').fill(PASS);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('session-name').filter({ hasText: new RegExp(`^${name} \\(`) }).waitFor();
  return page;
}

/** The whole screen: the viewport made as tall as the scrolling content (main.content scrolls, not the page). */
async function shootWhole(page: Page, file: string): Promise<void> {
  const content = page.locator('main.content');
  const extra = await content.evaluate((el) => el.scrollHeight - el.clientHeight);
  await page.setViewportSize({ width: 1280, height: Math.min(3200, 800 + Math.max(0, extra)) });
  await content.evaluate((el) => el.scrollTo(0, 0));
  await page.screenshot({ path: join(docs, file) });
  await page.setViewportSize({ width: 1280, height: 800 });
}

/** Every screen of the side navigation (read from the page) at each size, as it opens; Review with BUNDLE open. */
async function shootEveryScreen(page: Page, bundle: string): Promise<string[]> {
  mkdirSync(everyScreen, { recursive: true });
  const screens = await page
    .locator('nav[aria-label="Screens"] [data-testid^="nav-"]')
    .evaluateAll((els) => els.map((el) => (el as unknown as { dataset: { testid: string } }).dataset.testid.slice('nav-'.length)));
  const written: string[] = [];
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const screen of screens) {
      await page.getByTestId(`nav-${screen}`).click();
      await page.locator('main h1').waitFor();
      if (screen === 'review') {
        await page.getByTestId('review-dir').fill(bundle);
        await page.getByTestId('review-open').click();
        await page.getByTestId('review-artifacts').waitFor();
      }
      if (screen === 'custody') await page.getByTestId('custody-row').first().waitFor();
      await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
      const file = join(everyScreen, `${screen}-${size.width}x${size.height}.png`);
      await page.screenshot({ path: file });
      written.push(file);
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  return written;
}

/** --screens: one small bundle made by jane in the app and approved by ravi, then every screen at both sizes. */
async function screensOnly(): Promise<void> {
  const stack = await startDemoStack();
  const browser = await launch();
  try {
    await createIdentity(stack.dataDir, 'jane', 'operator');
    await createIdentity(stack.dataDir, 'ravi', 'reviewer');
    await pinKey(stack.dataDir, stack.workDir, 'ravi');
    const page = await signedInPage(browser, stack.url, 'jane');
    const reviewer = await signedInPage(browser, stack.url, 'ravi');
    const out = join(stack.workDir, 'tiny-bundle');
    await page.getByTestId('nav-create').click();
    await page.getByTestId('create-tab-custom').click();
    await page.getByTestId('create-images').fill(stack.images[0]!.ref);
    await page.getByTestId('create-models').fill(stack.model);
    await page.getByTestId('create-hub-url').fill(stack.hubUrl);
    await page.getByTestId('create-out-dir').fill(out);
    await page.getByTestId('create-submit').click();
    await page.getByTestId('job-panel').getByTestId('job-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 300_000 });
    await reviewer.getByTestId('nav-review').click();
    await reviewer.getByTestId('review-dir').fill(out);
    await reviewer.getByTestId('review-open').click();
    await reviewer.getByTestId('review-reason').fill('digests match; licence apache-2.0; no findings');
    await reviewer.getByTestId('review-approve').click();
    await reviewer.getByTestId('review-outcome').filter({ hasText: 'Approved by ravi' }).waitFor();
    for (const f of await shootEveryScreen(page, out)) console.log(f);
  } finally {
    await browser.close();
    await stack.stop();
  }
}

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

async function main(): Promise<void> {
  if (process.argv.includes('--screens')) return screensOnly();
  // A model large enough that the job is still running when the first screenshot is taken.
  const stack = await startDemoStack({ modelBytes: 3 * 1024 ** 3 });
  const browser = await launch();
  try {
    // Acting needs a signed-in identity per browser session: the operator jane creates, verifies and
    // writes media; the reviewer ravi (a different key, as the two-person rule needs) reviews and approves.
    await createIdentity(stack.dataDir, 'jane', 'operator');
    await createIdentity(stack.dataDir, 'ravi', 'reviewer');
    // Approvals count only under pinned reviewer keys: pin ravi's, as the station's administrator would.
    await pinKey(stack.dataDir, stack.workDir, 'ravi');
    const page = await signedInPage(browser, stack.url, 'jane');
    const reviewer = await signedInPage(browser, stack.url, 'ravi');
    // The vllm-model recipe: its image served by the stack's registry through a docker.io mirror set in Settings.
    const registry = stack.images[0]!.ref.split('/')[0]!;
    await pushStandIn(registry, 'vllm/vllm-openai', ['v0.18.1'], standIn([randomLayer(48 << 20), randomLayer(12 << 20)], { label: 'vllm' }));
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-mirrors').fill(`docker.io=${registry}`);
    await page.getByTestId('settings-mirrors-save').click();
    await page.getByTestId('settings-mirrors-saved').waitFor();
    await page.getByTestId('nav-create').click();
    await page.getByTestId('create-tab-recipe').click();
    await page.locator('[data-testid="recipe-option"][data-recipe-id="vllm-model"]').click();
    await page.getByTestId('param-model').fill(stack.model);
    await page.getByTestId('recipe-hub-url').fill(stack.hubUrl);
    await page.getByTestId('recipe-resolve').click();
    await page.getByTestId('lock-preview').waitFor();
    const out = join(stack.workDir, 'vllm-bundle');
    await page.getByTestId('recipe-out-dir').fill(out);
    await page.getByTestId('recipe-create').click();
    // Wait until the model is part-way through, so the shot shows live progress.
    await page.waitForFunction(
      () => {
        const doc = (globalThis as unknown as { document: { querySelector(q: string): { textContent: string | null } | null } }).document;
        const m = /(\d+(?:\.\d+)?)\s*%/.exec(doc.querySelector('[data-testid="job-progress"]')?.textContent ?? '');
        return m !== null && Number(m[1]) > 25;
      },
      undefined,
      { timeout: 120_000 },
    );
    // Tall enough for the picker, the parameters, the lock preview and the live job at once.
    await page.setViewportSize({ width: 1280, height: 1500 });
    await page.locator('main.content').evaluate((el) => el.scrollTo(0, 0));
    await page.screenshot({ path: join(docs, 'screenshot-create.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('job-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 300_000 });

    // The reviewer approves jane's bundle (this stack's ClamAV has no signature database, so the demo
    // station's policy approves without a clean antivirus result).
    await reviewer.getByTestId('nav-review').click();
    await reviewer.getByTestId('review-dir').fill(out);
    await reviewer.getByTestId('review-open').click();
    await reviewer.getByTestId('review-creator').filter({ hasText: 'jane' }).waitFor();
    await reviewer.getByTestId('review-reason').fill('digests match the lock; model licence apache-2.0; no findings');
    await reviewer.getByTestId('review-approve').click();
    await reviewer.getByTestId('review-outcome').filter({ hasText: 'Approved by ravi' }).waitFor();

    // Verify on the offline side: every file, and the approval statement ravi signed.
    await page.getByTestId('nav-verify').click();
    await page.getByTestId('verify-dir').fill(out);
    await page.getByTestId('verify-submit').click();
    await page.getByTestId('verify-result').filter({ hasText: 'OK' }).waitFor({ timeout: 300_000 });
    await page.screenshot({ path: join(docs, 'screenshot-verify.png') });

    // The custody log: resolved, acquired, scanned and created by jane, approved by ravi, verified by jane.
    await page.getByTestId('nav-custody').click();
    await page.locator('[data-testid="custody-row"][data-type="verified"]').first().waitFor();
    await page.screenshot({ path: join(docs, 'screenshot-custody.png') });

    // Reviewer: a bundle whose checkpoint would run a shell command when loaded (created by the operator).
    const evil = join(stack.workDir, 'evil-bundle');
    await page.getByTestId('nav-create').click();
    await page.getByTestId('create-tab-custom').click();
    await page.getByTestId('create-images').fill('');
    await page.getByTestId('create-models').fill('acme/evil-llm');
    await page.getByTestId('create-hub-url').fill(stack.hubUrl);
    await page.getByTestId('create-out-dir').fill(evil);
    await page.getByTestId('create-submit').click();
    // This bundle's own job panel (the last job's panel may still be on screen when the new one starts).
    await page.getByTestId('job-panel').filter({ hasText: evil }).getByTestId('job-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
    await reviewer.getByTestId('nav-review').click();
    await reviewer.getByTestId('review-dir').fill(evil);
    await reviewer.getByTestId('review-open').click();
    await reviewer.getByTestId('review-verdict').filter({ hasText: 'BLOCKED' }).waitFor();
    await reviewer.getByTestId('finding').first().waitFor();
    await shootWhole(reviewer, 'screenshot-review.png');

    // Operator: the approved bundle onto three media of 1.2 GB each.
    const targets = [1, 2, 3].map((i) => join(stack.workDir, `usb${i}`));
    for (const t of targets) mkdirSync(t);
    await page.getByTestId('nav-media').click();
    await page.getByTestId('media-dir').fill(out);
    await page.getByTestId('media-size').fill('1.2G');
    await page.getByTestId('media-plan-submit').click();
    await page.getByTestId('media-targets').fill(targets.join('\n'));
    await page.getByTestId('media-write-submit').click();
    await page.getByTestId('media-write-result').filter({ hasText: 'WRITTEN' }).waitFor({ timeout: 300_000 });
    await shootWhole(page, 'screenshot-media.png');

    // Every screen at 1024×700 and 1920×1080, with the approved bundle open on Review.
    for (const f of await shootEveryScreen(page, out)) console.log(f);
  } catch (err) {
    // What each browser showed when it failed, for whoever runs this next.
    let i = 0;
    for (const ctx of browser.contexts()) for (const p of ctx.pages()) await p.screenshot({ path: join(stack.workDir, '..', `ferry-screenshots-failed-${++i}.png`) }).catch(() => undefined);
    throw err;
  } finally {
    await browser.close();
    await stack.stop();
  }
  // The guided install needs a networked engine, an internal registry and the GitLab Duo stand-in
  // bundle: its end-to-end spec takes docs/screenshot-install.png when FERRY_SCREENSHOTS is set.
  if (!existsSync('/var/run/docker.sock') && !process.env.DOCKER_HOST) {
    console.log('No container engine here (no /var/run/docker.sock, no DOCKER_HOST): docs/screenshot-install.png is left as it is.');
    return;
  }
  execFileSync('npx', ['playwright', 'test', 'e2e/install-wizard.spec.ts'], { stdio: 'inherit', env: { ...process.env, FERRY_SCREENSHOTS: '1' } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
