import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { DUO_SERVED_NAME } from '../test/harness/duo-bundle';
import { startInstallStack, type InstallStack } from '../test/harness/install-stack';
import { signInOperator } from './identities';

// Issue 8, through the wizard in Chromium: the GitLab Duo stand-in bundle on a loop-device
// volume → Inspect → settings and parameters → Plan (each step's command shown before it runs)
// → Run all → every step done, the containers running on the real engine, the GitLab values
// and agent-config.yml on screen, and each step in the custody log.
// Contacted: loopback, the test engine's containers and the test's own network namespace only.

const STEPS = ['verify', 'push', 'models', 'preflight', 'secrets', 'container:ai-gateway', 'container:vllm', 'health', 'egress', 'outputs', 'agent-config'];
const INSTALL_TIMEOUT = 8 * 60_000;

let stack: InstallStack;

test.beforeAll(async () => {
  test.setTimeout(10 * 60_000);
  stack = await startInstallStack();
});

test.afterAll(async () => {
  test.setTimeout(2 * 60_000);
  await stack?.stop();
});

test('the offline admin installs the GitLab Duo stand-in stack with the guided install wizard', async ({ page }) => {
  test.setTimeout(12 * 60_000);
  const { registry, auth } = stack;
  await page.goto(stack.url);
  await signInOperator(page, stack.dataDir); // every install step is the signed-in identity's
  await page.getByRole('button', { name: 'Guided install' }).click();
  await expect(page.getByRole('heading', { name: 'Guided install' })).toBeVisible();

  // 1 · Source: a folder that is not a bundle volume is refused with the reason; then the mounted volume.
  await page.getByLabel('Volume mount paths', { exact: true }).fill(stack.modelsDir);
  await page.getByRole('button', { name: 'Inspect' }).click();
  await expect(page.getByTestId('install-inspect-error')).toContainText(stack.modelsDir);
  await page.getByLabel('Volume mount paths', { exact: true }).fill(stack.volumes.join('\n'));
  await page.getByRole('button', { name: 'Inspect' }).click();
  await expect(page.getByTestId('install-recipe')).toHaveText('GitLab Duo Agent Platform Self-Hosted (offline)');
  await expect(page.getByTestId('install-image')).toHaveCount(4);
  await expect(page.getByTestId('install-model')).toContainText('mistralai/Mistral-Small-3.2-24B-Instruct-2506');
  await expect(page.getByLabel('gitlab_domain (required)', { exact: true })).toHaveAttribute('aria-required', 'true');
  await expect(page.getByLabel('GitLab CA file', { exact: true })).toBeVisible(); // a GitLab recipe, by the server's inspect
  await expect(page.getByLabel('served_model_name', { exact: true })).toHaveValue(DUO_SERVED_NAME);

  // 2 · Settings and the recipe's install parameters; Plan stays off until the required ones are there.
  await page.getByLabel('Internal registry', { exact: true }).fill(`${registry.host}/duo`);
  await page.getByLabel('Registry CA file', { exact: true }).fill(registry.caFile);
  await page.getByLabel('Registry username', { exact: true }).fill(auth.username);
  await page.getByLabel('Registry password', { exact: true }).fill(auth.password);
  await expect(page.getByLabel('Registry password', { exact: true })).toHaveAttribute('type', 'password');
  await page.getByLabel('Models directory', { exact: true }).fill(stack.modelsDir);
  await page.getByLabel('Engine socket', { exact: true }).fill(stack.dockerHost);
  await page.getByLabel('GPU mode', { exact: true }).selectOption('none');
  await page.getByLabel('Health timeout (seconds)', { exact: true }).fill('120');
  await page.getByLabel('Outside targets', { exact: true }).fill(stack.outside.target);
  await page.getByLabel('Internal targets', { exact: true }).fill(`http://${stack.bridgeHost}:5052/monitoring/healthz`);
  await page.getByLabel('Setup script', { exact: true }).fill('npm ci --offline');
  await page.getByLabel('Cache paths', { exact: true }).fill('node_modules');
  await page.getByLabel('Cache key files', { exact: true }).fill('package-lock.json');
  const plan = page.getByRole('button', { name: 'Plan' });
  await expect(plan).toBeDisabled();
  await expect(page.getByTestId('install-plan-needs')).toContainText('gitlab_domain');
  await page.getByLabel('gitlab_domain (required)', { exact: true }).fill('gitlab.test');
  await page.getByLabel('ai_gateway_host (required)', { exact: true }).fill('127.0.0.1');
  await page.getByLabel('internal_registry (required)', { exact: true }).fill(`${registry.host}/duo`);
  await plan.click();

  // 3 · Steps: every card shows what it will do and the equivalent command before anything runs.
  for (const id of STEPS) await expect(page.getByTestId(`step-${id}`)).toHaveAttribute('data-state', 'pending');
  const vllm = page.getByTestId('step-container:vllm');
  await expect(vllm.getByTestId('step-command')).toContainText('docker run');
  await expect(vllm.getByTestId('step-command')).toContainText(`--served_model_name ${DUO_SERVED_NAME}`);
  await expect(vllm.getByTestId('step-command')).toContainText(`${registry.host}/duo/vllm-openai:v0.18.1`);
  await expect(page.getByTestId('step-push').getByTestId('step-command')).not.toContainText(auth.password);
  await expect(vllm.getByRole('button', { name: 'Undo Start vllm' })).toBeDisabled();

  await page.getByRole('button', { name: 'Run all' }).click();
  for (const id of STEPS) {
    await expect(page.getByTestId(`step-${id}`), id).toHaveAttribute('data-state', id === 'preflight' ? 'skipped' : 'done', { timeout: INSTALL_TIMEOUT });
  }
  await expect(page.getByTestId('install-steps-count')).toHaveText(`${STEPS.length} of ${STEPS.length} done`);
  await expect(page.getByTestId('step-egress').getByTestId('install-egress-results')).toContainText(stack.outside.target);
  await expect(page.getByRole('button', { name: 'Run all' })).toBeDisabled();

  // The registry password went to the service for the run only: not in the station's database.
  expect(existsSync(join(stack.dataDir, 'ferry.db'))).toBe(true);
  for (const f of ['ferry.db', 'ferry.db-wal'].map((n) => join(stack.dataDir, n)).filter((f) => existsSync(f))) {
    expect(readFileSync(f).includes(auth.password), f).toBe(false);
  }

  // The stand-in stack runs on the real engine, from the internal registry.
  for (const name of ['ferry-ai-gateway', 'ferry-vllm']) {
    const info = await stack.engine.docker.getContainer(name).inspect();
    expect(info.State.Running, name).toBe(true);
  }
  expect((await stack.engine.docker.getContainer('ferry-vllm').inspect()).Config.Image).toBe(`${registry.host}/duo/vllm-openai:v0.18.1`);

  // 4 · Finish: the GitLab values, copyable, and agent-config.yml with the runner checklist.
  const value = (label: string) => page.getByTestId('install-output').filter({ hasText: label }).getByTestId('install-output-value');
  await expect(value('Local AI Gateway URL')).toHaveText('http://127.0.0.1:5052');
  await expect(value('Agent Platform service')).toHaveText('127.0.0.1:50052');
  await expect(value('Image registry')).toHaveText(`${registry.host}/duo`);
  await expect(value('Self-hosted model endpoint')).toHaveText(/^http:\/\/127\.0\.0\.1:8000\/v1$/);
  await expect(value('Self-hosted model identifier')).toHaveText(DUO_SERVED_NAME);
  await expect(page.getByRole('button', { name: 'Copy Admin > GitLab Duo > Local AI Gateway URL' })).toBeVisible();
  await expect(page.getByTestId('install-agent-yaml')).toContainText(`${registry.host}/duo/duo-executor:v0.0.6`);
  await expect(page.getByTestId('install-agent-yaml')).toContainText('setup_script:');
  await expect(page.getByTestId('install-agent-yaml')).toContainText('npm ci --offline');
  await expect(page.getByTestId('install-agent-yaml')).toContainText('package-lock.json');
  await expect(page.getByTestId('install-checklist')).toContainText('gitlab--duo');

  if (process.env.FERRY_SCREENSHOTS) {
    // The vLLM card at the top: its docker run, the done badge, the steps after it.
    await vllm.evaluate((el) => (el as unknown as { scrollIntoView(o: object): void }).scrollIntoView({ block: 'start' }));
    await page.screenshot({ path: join(__dirname, '..', 'docs', 'screenshot-install.png') });
  }

  // The custody log, opened filtered to the bundle, lists each step.
  await page.getByTestId('install-custody-link').click();
  await expect(page.getByTestId('custody-bundle')).toHaveValue(stack.duo.bundleId);
  const steps = page.locator('[data-testid="custody-row"][data-type="install.step"]');
  await expect(steps).toHaveCount(STEPS.length);
  await expect(page.locator('[data-testid="custody-row"][data-type="install.outputs"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="custody-row"][data-type="egress.checked"]')).toHaveCount(1);
  await expect(steps.filter({ hasText: 'container:vllm' })).toHaveCount(1);

  // Back on the wizard (the install is still open): undo one container, then run that step alone.
  await page.getByRole('button', { name: 'Guided install' }).click();
  await vllm.getByRole('button', { name: 'Undo Start vllm' }).click();
  await expect(vllm).toHaveAttribute('data-state', 'undone', { timeout: 60_000 });
  await expect.poll(() => stack.engine.docker.getContainer('ferry-vllm').inspect().then(() => 'present', () => 'gone')).toBe('gone');
  // The checks that used vllm are to be run again: the screen no longer says they passed.
  for (const id of ['health', 'egress']) await expect(page.getByTestId(`step-${id}`)).toHaveAttribute('data-state', 'pending');
  await expect(page.getByTestId('install-steps-count')).toHaveText(`${STEPS.length - 3} of ${STEPS.length} done`);
  await vllm.getByRole('button', { name: 'Re-run Start vllm' }).click();
  await expect(vllm).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  expect((await stack.engine.docker.getContainer('ferry-vllm').inspect()).State.Running).toBe(true);
});
