// Regenerates the screenshots in docs/ from the real UI against a real stack on loopback:
//   npm run build && node --import tsx scripts/screenshots.ts
import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startDemoStack } from '../test/harness/demo-stack';
import { pushStandIn, randomLayer, standIn } from '../test/integration/acquire-helpers';

const docs = join(__dirname, '..', 'docs');

async function main(): Promise<void> {
  // A model large enough that the job is still running when the first screenshot is taken.
  const stack = await startDemoStack({ modelBytes: 3 * 1024 ** 3 });
  const browser = await chromium.launch({
    executablePath: process.env.FERRY_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // The vllm-model recipe: its image served by the stack's registry through a docker.io mirror set in Settings.
    const registry = stack.images[0]!.ref.split('/')[0]!;
    await pushStandIn(registry, 'vllm/vllm-openai', ['v0.18.1'], standIn([randomLayer(48 << 20), randomLayer(12 << 20)], { label: 'vllm' }));
    await page.goto(stack.url);
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

    await page.getByTestId('nav-verify').click();
    await page.getByTestId('verify-dir').fill(out);
    await page.getByTestId('verify-submit').click();
    await page.getByTestId('verify-result').filter({ hasText: 'OK' }).waitFor({ timeout: 300_000 });
    await page.screenshot({ path: join(docs, 'screenshot-verify.png') });

    await page.getByTestId('nav-custody').click();
    await page.getByTestId('custody-row').first().waitFor();
    await page.screenshot({ path: join(docs, 'screenshot-custody.png') });

    // Reviewer: a bundle whose checkpoint would run a shell command when loaded.
    const evil = join(stack.workDir, 'evil-bundle');
    await page.getByTestId('nav-create').click();
    await page.getByTestId('create-tab-custom').click();
    await page.getByTestId('create-images').fill('');
    await page.getByTestId('create-models').fill('acme/evil-llm');
    await page.getByTestId('create-out-dir').fill(evil);
    await page.getByTestId('create-submit').click();
    await page.getByTestId('job-state').filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-dir').fill(evil);
    await page.getByTestId('review-open').click();
    await page.getByTestId('finding').first().waitFor();
    await page.screenshot({ path: join(docs, 'screenshot-review.png'), fullPage: true });

    // Operator: the bundle onto three media of 1.2 GB each.
    const targets = [1, 2, 3].map((i) => join(stack.workDir, `usb${i}`));
    for (const t of targets) mkdirSync(t);
    await page.getByTestId('nav-media').click();
    await page.getByTestId('media-dir').fill(out);
    await page.getByTestId('media-size').fill('1.2G');
    await page.getByTestId('media-plan-submit').click();
    await page.getByTestId('media-targets').fill(targets.join('\n'));
    await page.getByTestId('media-write-submit').click();
    await page.getByTestId('media-write-result').waitFor({ timeout: 300_000 });
    await page.screenshot({ path: join(docs, 'screenshot-media.png'), fullPage: true });
  } finally {
    await browser.close();
    await stack.stop();
  }
  // The guided install needs a networked engine, an internal registry and the GitLab Duo stand-in
  // bundle: its end-to-end spec takes docs/screenshot-install.png when FERRY_SCREENSHOTS is set.
  execFileSync('npx', ['playwright', 'test', 'e2e/install-wizard.spec.ts'], { stdio: 'inherit', env: { ...process.env, FERRY_SCREENSHOTS: '1' } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
