import { test as base } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startHubServer } from '../test/harness/hub-server';
import { startRegistry } from '../test/harness/registry';
import { tempDir } from '../test/harness/temp';
import { buildTestImages, pushTestImages } from '../test/harness/test-images';

export interface Stack {
  url: string;
  workDir: string;
  images: { ref: string; digest: string }[];
  hubUrl: string;
  model: string;
}

/** Starts `ferry serve` as its own process and resolves with the URL it prints. */
async function startServe(dataDir: string): Promise<{ url: string; child: ChildProcess }> {
  const bin = resolve(__dirname, '..', 'bin', 'ferry.js');
  const child = spawn(process.execPath, [bin, 'serve', '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((res, rej) => {
    child.once('exit', (code) => rej(new Error(`ferry serve exited with ${code}`)));
    lines.once('line', (l) => res((JSON.parse(l) as { url: string }).url));
  });
  return { url, child };
}

/** One real stack per worker: a source registry with test images, a hub stand-in, `ferry serve`. */
export const test = base.extend<{ stack: Stack }, { workerStack: Stack }>({
  workerStack: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const tmp = tempDir('ferry-e2e-');
      const registry = await startRegistry();
      const hub = await startHubServer({
        repos: { 'acme/tiny-llm': { files: { 'config.json': Buffer.from('{"model_type":"mistral"}'), 'model.safetensors': { size: 8 * 1024 * 1024, seed: 3 } } } },
      });
      const built = await buildTestImages(join(tmp.path, 'layout'));
      const images = await pushTestImages(built.layoutDir, registry.host, 'e2e');
      const serve = await startServe(join(tmp.path, 'data'));
      try {
        await use({ url: serve.url, workDir: tmp.path, images, hubUrl: hub.url, model: 'acme/tiny-llm' });
      } finally {
        serve.child.kill('SIGTERM');
        await Promise.allSettled([registry.stop(), hub.stop()]);
        tmp.cleanup();
      }
    },
    { scope: 'worker', timeout: 120_000 },
  ],
  stack: async ({ workerStack }, use) => use(workerStack),
});

export { expect } from '@playwright/test';
