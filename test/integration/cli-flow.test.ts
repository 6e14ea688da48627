import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustodyEvent, ImportResult, VerifyResult } from '../../src/shared/api';
import { safetensorsPrefix } from '../harness/demo-stack';
import { startDockerd } from '../harness/dockerd';
import { ferry } from '../harness/ferry-cli';
import { startHubServer } from '../harness/hub-server';
import { startRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { buildTestImages, pushTestImages } from '../harness/test-images';

// The foundation's acceptance flow, through the built CLI against real services:
// source registry → bundle ← hub stand-in; verify; tamper; push to a TLS+auth registry; docker load + run.
const tmp = tempDir('ferry-flow-');
const dataDir = join(tmp.path, 'data');
const bundle = join(tmp.path, 'bundle');
const creds = { username: 'ferry', password: 'correct horse battery staple' };
let source: Awaited<ReturnType<typeof startRegistry>>;
let internal: Awaited<ReturnType<typeof startRegistry>>;
let hub: Awaited<ReturnType<typeof startHubServer>>;
let dockerd: { socketPath: string; docker: Dockerode; stop(): Promise<void> };
let images: { ref: string; digest: string }[];

beforeAll(async () => {
  [source, internal, hub, dockerd] = await Promise.all([
    startRegistry(),
    startRegistry({ tls: true, auth: creds }),
    startHubServer({
      repos: {
        'acme/tiny-llm': {
          files: {
            'config.json': Buffer.from('{"architectures":["MistralForCausalLM"]}'),
            // a valid safetensors header over generated data: a malformed model would block the bundle
            'model.safetensors': { size: 3 * 1024 * 1024 + 17, seed: 7, prefix: safetensorsPrefix(3 * 1024 * 1024 + 17) },
            'tokenizer/tokenizer.json': Buffer.from('{"version":"1.0"}'),
          },
        },
      },
    }),
    startDockerd(),
  ]);
  const built = await buildTestImages(join(tmp.path, 'src-layout'));
  images = await pushTestImages(built.layoutDir, source.host, 'test');
});

afterAll(async () => {
  await Promise.allSettled([source?.stop(), internal?.stop(), hub?.stop(), dockerd?.stop()]);
  tmp.cleanup();
});

const common = () => ['--data-dir', dataDir, '--json'];

describe('ferry CLI, end to end', () => {
  it('creates a bundle from a registry and a hub, and verifies it', async () => {
    const args = ['bundle', 'create', ...images.flatMap((i) => ['--image', i.ref]), '--model', 'acme/tiny-llm', '--hub-url', hub.url, '--out', bundle, ...common()];
    const created = await ferry(args);
    expect(created.stderr).not.toMatch(/Error/);
    expect(created.code, created.stderr).toBe(0);
    const verified = await ferry(['verify', bundle, ...common()]);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.json<VerifyResult>()).toMatchObject({ ok: true, problems: [] });
  });

  it('stores the images in an OCI layout that skopeo reads, with the source digests', () => {
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    for (const img of images) {
      const art = manifest.artifacts.find((a: { source: string }) => a.source === img.ref);
      expect(art.digest).toBe(img.digest);
      const raw = execFileSync('skopeo', ['inspect', '--raw', `oci:${join(bundle, 'images')}:${art.name}`]);
      expect(`sha256:${createHash('sha256').update(raw).digest('hex')}`).toBe(img.digest);
    }
    const model = manifest.artifacts.find((a: { kind: string }) => a.kind === 'model');
    expect(model.revision).toBe(hub.commitOf('acme/tiny-llm'));
    expect(model.files.map((f: { path: string }) => f.path).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer/tokenizer.json']);
  });

  it('exits 1 naming the file when one byte of any file changes; import stops at that file', async () => {
    const manifest = JSON.parse(readFileSync(join(bundle, 'manifest.json'), 'utf8'));
    const victim = manifest.files.find((f: { path: string; size: number }) => f.path.startsWith('images/blobs/') && f.size > 1000).path;
    const file = join(bundle, victim);
    const original = readFileSync(file);
    const changed = Buffer.from(original);
    changed[Math.floor(changed.length / 2)] ^= 0x01;
    writeFileSync(file, changed);
    try {
      const r = await ferry(['verify', bundle, ...common()]);
      expect(r.code).toBe(1);
      expect(r.json<VerifyResult>().problems).toEqual([expect.objectContaining({ kind: 'mismatch', path: victim })]);
      const human = await ferry(['verify', bundle, '--data-dir', dataDir]);
      expect(human.stdout).toContain(victim);
      const imp = await ferry(['import', bundle, '--registry', `${internal.host}/duo`, '--ca', internal.caFile!, '--username', creds.username, '--password-stdin', ...common()], { input: creds.password });
      // Import reads each file once, proving it as it streams: it stops at the changed file, naming it.
      expect(imp.code).toBe(1);
      expect(imp.stderr).toContain(`${victim}: sha256 `);
      expect(imp.stderr).toMatch(/nothing built from it was delivered/);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('pushes to a TLS registry with auth, keeping every manifest digest; a second push only checks', async () => {
    const args = ['import', bundle, '--registry', `${internal.host}/duo`, '--ca', internal.caFile!, '--username', creds.username, '--password-stdin', ...common()];
    const first = await ferry(args, { input: creds.password });
    expect(first.stderr).not.toMatch(/Error|Warning/);
    expect(first.code, first.stderr).toBe(0);
    const r = first.json<ImportResult>();
    for (const img of images) {
      const pushed = r.registry.find((p) => p.source === img.ref)!;
      expect(pushed.digest).toBe(img.digest);
      const digest = execFileSync('skopeo', ['inspect', '--tls-verify=false', '--creds', `${creds.username}:${creds.password}`, '--format', '{{.Digest}}', `docker://${pushed.target}`], { encoding: 'utf8' }).trim();
      expect(digest).toBe(img.digest);
    }
    const again = (await ferry(args, { input: creds.password })).json<ImportResult>();
    expect(again.registry.every((p) => p.blobsUploaded === 0)).toBe(true);
  });

  it('loads the images into Docker so that they run, and places the model', async () => {
    const models = join(tmp.path, 'models');
    const r = await ferry(['import', bundle, '--docker', '--docker-host', `unix://${dockerd.socketPath}`, '--models-dir', models, ...common()]);
    expect(r.stderr).not.toMatch(/Error|Warning/);
    expect(r.code, r.stderr).toBe(0);
    const result = r.json<ImportResult>();
    expect(result.docker).toHaveLength(images.length);
    const out = execFileSync('docker', ['-H', `unix://${dockerd.socketPath}`, 'run', '--rm', '--network', 'none', result.docker[0]!.tag, '/bin/echo', 'ferried'], { encoding: 'utf8' });
    expect(out.trim()).toBe('ferried');
    expect(readFileSync(join(models, 'acme/tiny-llm/config.json'), 'utf8')).toContain('MistralForCausalLM');
  });

  it('recorded every step as a chained custody event', async () => {
    const log = await ferry(['custody', 'log', ...common()]);
    const types = log.json<CustodyEvent[]>().map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['resolved', 'acquired', 'acquired', 'acquired']);
    expect(types).toContain('created');
    expect(types).toContain('verified');
    expect(types.filter((t) => t === 'imported').length).toBeGreaterThanOrEqual(3);
    expect((await ferry(['custody', 'verify', ...common()])).code).toBe(0);
  });

  it('exits 2 on bad usage with a message naming the problem', async () => {
    const r = await ferry(['bundle', 'create', '--image', 'Not A Ref!!', '--out', join(tmp.path, 'x'), '--data-dir', dataDir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Not A Ref!!');
    expect((await ferry(['import', bundle, '--data-dir', dataDir])).code).toBe(2);
  });
});
