import { join } from 'node:path';
import { blob, pushStandIn, randomLayer, standIn } from '../test/integration/acquire-helpers';
import { expect, test } from './fixtures';
import { signInOperator } from './identities';

// The built-in vllm-model recipe, resolved against the demo stack: its vllm/vllm-openai image is
// served by the stack's loopback registry, reached through a docker.io mirror saved in Settings,
// and its model is the stack's hub model.
test('an operator picks a recipe, fills its parameters, previews the lock and creates the bundle', async ({ page, stack }) => {
  const registry = stack.images[0]!.ref.split('/')[0]!;
  const vllm = standIn([randomLayer(256 * 1024), blob(Buffer.from('vllm stand-in'))], { label: 'vllm' });
  await pushStandIn(registry, 'vllm/vllm-openai', ['v0.18.1'], vllm);

  await page.goto(stack.url);
  await signInOperator(page, stack.dataDir); // acting needs a signed-in identity
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-mirrors').fill(`docker.io=${registry}`);
  await page.getByTestId('settings-mirrors-save').click();
  await expect(page.getByTestId('settings-mirrors-saved')).toContainText('1 mirror');
  await expect(page.getByTestId('settings-proxy')).toBeVisible();

  await page.getByTestId('nav-create').click();
  await page.getByTestId('create-tab-recipe').click();
  await expect(page.locator('[data-testid="recipe-option"][data-recipe-id="gitlab-duo-self-hosted"]')).toBeVisible();
  const option = page.locator('[data-testid="recipe-option"][data-recipe-id="vllm-model"]');
  await expect(option).toContainText('vLLM model server');
  await option.click();
  await expect(page.getByTestId('recipe-mirrors')).toContainText(`docker.io=${registry}`);

  // Defaults are prefilled; install-stage parameters are not asked here.
  await expect(page.getByTestId('param-vllm_version')).toHaveValue('v0.18.1');
  await expect(page.getByTestId('param-revision')).toHaveValue('main');
  await expect(page.getByTestId('param-tensor_parallel_size')).toHaveCount(0);
  // An empty value is flagged where it is typed, and resolving waits for a fix.
  await page.getByTestId('param-model').fill('');
  await expect(page.getByTestId('param-model-problem')).toHaveText('Needs a value');
  await expect(page.getByTestId('recipe-resolve')).toBeDisabled();
  await page.getByTestId('param-model').fill(stack.model);
  await expect(page.getByTestId('param-model-problem')).toHaveCount(0);

  await page.getByTestId('recipe-hub-url').fill(stack.hubUrl);
  await page.getByTestId('recipe-resolve').click();
  const preview = page.getByTestId('lock-preview');
  await expect(preview).toBeVisible();
  const image = preview.locator('[data-testid="lock-entry"][data-kind="image"]');
  const model = preview.locator('[data-testid="lock-entry"][data-kind="model"]');
  await expect(image).toContainText('docker.io/vllm/vllm-openai:v0.18.1');
  await expect(image).toContainText('tag v0.18.1');
  await expect(image).toContainText('linux/amd64');
  await expect(image.getByTestId('lock-pinned')).toHaveAttribute('title', vllm.digest);
  await expect(image.getByTestId('lock-size')).toContainText('KiB');
  await expect(model).toContainText(`${stack.model}@main`);
  await expect(model).toContainText('3 files');
  await expect(model.getByTestId('lock-size')).toContainText('MiB');
  const total = Number(await preview.getByTestId('lock-total').getAttribute('data-bytes'));
  const imageBytes = vllm.manifest.length + vllm.blobs.reduce((s, b) => s + b.size, 0);
  expect(total).toBeGreaterThan(imageBytes + 8 * 1024 * 1024);
  await expect(preview.getByTestId('lock-total')).toContainText('MiB');

  // Creating needs an output directory and a preview that matches the parameters.
  await expect(page.getByTestId('recipe-create')).toBeDisabled();
  await page.getByTestId('recipe-out-dir').fill(join(stack.workDir, 'recipe-bundle'));
  await expect(page.getByTestId('recipe-create')).toBeEnabled();
  await page.getByTestId('param-revision').fill('v2');
  await expect(preview).toHaveAttribute('data-stale', 'true');
  await expect(page.getByTestId('recipe-create')).toBeDisabled();
  await page.getByTestId('param-revision').fill('main');
  await expect(preview).toHaveAttribute('data-stale', 'false');

  await page.getByTestId('recipe-create').click();
  const panel = page.getByTestId('job-panel');
  await expect(panel.getByTestId('job-state')).toHaveText('succeeded', { timeout: 120_000 }); // fetch + scan can be slow on a loaded 2-core machine
  await expect(panel.getByTestId('job-item')).toHaveCount(2);
  await expect(panel.getByTestId('job-progress')).toContainText('100');
  await expect(panel.getByTestId('create-bundle-id')).toHaveText(/^[0-9a-f-]{36}$/);
  await expect(panel.getByTestId('create-acquired')).toContainText('fetched');
  await expect(panel.getByTestId('create-acquired')).toHaveAttribute('data-resumed', 'false');

  await page.getByTestId('nav-verify').click();
  await page.getByTestId('verify-dir').fill(join(stack.workDir, 'recipe-bundle'));
  await page.getByTestId('verify-submit').click();
  await expect(page.getByTestId('verify-result')).toHaveText('OK');

  // Leave the worker's station as it was: no mirrors.
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('settings-mirrors').fill('');
  await page.getByTestId('settings-mirrors-save').click();
  await expect(page.getByTestId('settings-mirrors-saved')).toContainText('0 mirrors');
});

test('registry credentials are stored from Settings and never shown again', async ({ page, stack }) => {
  const secret = 'e2e-Registry-Secret-991';
  await page.goto(stack.url);
  await page.getByTestId('nav-settings').click();
  await page.getByTestId('credential-registry').fill('registry.internal:5000');
  await page.getByTestId('credential-username').fill('ci-robot');
  await page.getByTestId('credential-password').fill(secret);
  await expect(page.getByTestId('credential-password')).toHaveAttribute('type', 'password');
  await page.getByTestId('credential-save').click();
  const row = page.locator('[data-testid="credential-row"][data-registry="registry.internal:5000"]');
  await expect(row).toContainText('ci-robot');
  await expect(page.getByTestId('credential-password')).toHaveValue('');
  await page.reload();
  await page.getByTestId('nav-settings').click();
  await expect(row).toBeVisible();
  expect(await page.content()).not.toContain(secret);
  await row.getByTestId('credential-remove').click();
  await expect(row).toHaveCount(0);
});
