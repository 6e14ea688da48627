import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyResult } from '../../src/shared/api';
import { renderBundleBom } from '../../src/main/bom/bom-write';
import { bundleDocument } from '../../src/main/bundle/bundle-document';
import { readManifest } from '../../src/main/bundle/manifest-io';
import { safetensorsPrefix } from '../harness/demo-stack';
import { ferry } from '../harness/ferry-cli';
import { startHubServer } from '../harness/hub-server';
import { startRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { buildTestImages, pushTestImages } from '../harness/test-images';
import { cyclonedx16Validator, spdxProblems } from '../unit/bom-fixtures';

// issue 18, part 3: every bundle carries bom.cdx.json (CycloneDX 1.6), listed in its manifest, so
// verify covers it; `ferry bom` prints it or converts it to SPDX 2.3.
const tmp = tempDir('ferry-bom-');
const dataDir = join(tmp.path, 'data');
const bundle = join(tmp.path, 'bundle');
const README = '---\nlicense: apache-2.0\npipeline_tag: text-generation\ndatasets:\n  - wikitext\n---\n# tiny-llm\n';
let source: Awaited<ReturnType<typeof startRegistry>>;
let hub: Awaited<ReturnType<typeof startHubServer>>;
let images: { ref: string; digest: string }[];

interface Comp {
  type: string;
  name: string;
  version?: string;
  purl?: string;
  'bom-ref'?: string;
  hashes?: { alg: string; content: string }[];
  components?: Comp[];
  licenses?: { license: { id?: string } }[];
  modelCard?: { modelParameters?: Record<string, unknown> };
}

beforeAll(async () => {
  [source, hub] = await Promise.all([
    startRegistry(),
    startHubServer({
      repos: {
        'acme/tiny-llm': {
          files: {
            'README.md': Buffer.from(README),
            'config.json': Buffer.from('{"architectures":["MistralForCausalLM"],"model_type":"mistral"}'),
            'model.safetensors': { size: 64 * 1024 + 17, seed: 3, prefix: safetensorsPrefix(64 * 1024 + 17) },
          },
        },
      },
    }),
  ]);
  const built = await buildTestImages(join(tmp.path, 'src-layout'));
  images = await pushTestImages(built.layoutDir, source.host, 'test');
  const created = await ferry(['bundle', 'create', ...images.flatMap((i) => ['--image', i.ref]), '--model', 'acme/tiny-llm', '--hub-url', hub.url, '--out', bundle, '--data-dir', dataDir, '--json']);
  if (created.code !== 0) throw new Error(`bundle create failed: ${created.stderr}`);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([source?.stop(), hub?.stop()]);
  tmp.cleanup();
});

describe('bill of materials of a bundle', () => {
  it('validates against the CycloneDX 1.6 JSON schema and is recorded in the manifest (files and bom)', async () => {
    const bytes = readFileSync(join(bundle, 'bom.cdx.json'));
    const bom = JSON.parse(bytes.toString()) as Record<string, unknown>;
    expect(cyclonedx16Validator()(bom)).toEqual({ ok: true, errors: [] });
    expect(bom).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6' });
    const { manifest } = await readManifest(bundle);
    const sha = (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');
    expect(manifest.bom).toEqual({ path: 'bom.cdx.json', sha256: sha, format: 'CycloneDX', specVersion: '1.6' });
    expect(manifest.files).toContainEqual({ path: 'bom.cdx.json', size: bytes.length, sha256: sha });
    // Deterministic: the same bundle gives the same BOM, byte for byte.
    expect((await renderBundleBom(bundle, manifest)).equals(bytes)).toBe(true);
  });

  it('lists every image with its digest and every model file with its sha256, licence and model card', async () => {
    const bom = JSON.parse(readFileSync(join(bundle, 'bom.cdx.json'), 'utf8')) as { components: Comp[] };
    const { manifest } = await readManifest(bundle);
    for (const img of images) {
      const a = manifest.artifacts.find((x) => x.source === img.ref)!;
      const c = bom.components.find((x) => x['bom-ref'] === `image:${a.name}`)!;
      expect(c).toMatchObject({ type: 'container', hashes: [{ alg: 'SHA-256', content: img.digest.slice(7) }] });
      expect(c.purl).toContain(`@${img.digest}`);
      expect(c.components!.map((l) => `sha256:${l.hashes![0]!.content}`)).toEqual(a.kind === 'image' ? a.layers : []);
    }
    const model = manifest.artifacts.find((x) => x.kind === 'model')!;
    if (model.kind !== 'model') throw new Error('no model');
    const m = bom.components.find((x) => x.type === 'machine-learning-model')!;
    expect(m).toMatchObject({ name: 'acme/tiny-llm', version: hub.commitOf('acme/tiny-llm'), licenses: [{ license: { id: 'Apache-2.0' } }] });
    expect(m.purl).toMatch(new RegExp(`^pkg:huggingface/acme/tiny-llm@${hub.commitOf('acme/tiny-llm')}`));
    expect(m.modelCard?.modelParameters).toEqual({ task: 'text-generation', architectureFamily: 'mistral', modelArchitecture: 'MistralForCausalLM', datasets: [{ type: 'dataset', name: 'wikitext' }] });
    const files = Object.fromEntries(m.components!.map((f) => [f.name, f.hashes![0]!.content]));
    expect(files).toEqual(Object.fromEntries(model.files.map((f) => [f.path, f.sha256])));
  });

  it('ferry bom prints the stored BOM; --format spdx writes SPDX 2.3 with every required field', async () => {
    const printed = await ferry(['bom', bundle]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toBe(readFileSync(join(bundle, 'bom.cdx.json'), 'utf8'));
    const out = join(tmp.path, 'bom.spdx.json');
    const spdx = await ferry(['bom', bundle, '--format', 'spdx', '--out', out, '--json']);
    expect(spdx.code, spdx.stderr).toBe(0);
    expect(spdx.json()).toMatchObject({ path: out, format: 'spdx' });
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { packages: { name: string; checksums?: { checksumValue: string }[] }[] };
    expect(spdxProblems(doc as unknown as Record<string, unknown>)).toEqual([]);
    for (const img of images) expect(doc.packages.some((p) => p.checksums?.[0]?.checksumValue === img.digest.slice(7))).toBe(true);
  });

  it('review shows the BOM with its component counts', async () => {
    const doc = await bundleDocument(bundle);
    expect(doc.bom).toMatchObject({ path: 'bom.cdx.json', format: 'CycloneDX', specVersion: '1.6', components: { topLevel: 4, byType: { container: 2, 'machine-learning-model': 1, data: 1 } } });
    expect(doc.bom?.problem).toBeUndefined();
  });

  it('a one-byte change of bom.cdx.json fails ferry verify naming it, and ferry bom refuses it', async () => {
    const file = join(bundle, 'bom.cdx.json');
    const original = readFileSync(file);
    const changed = Buffer.from(original);
    const at = changed.indexOf('"machine-learning-model"') + 2;
    changed[at] = 'n'.charCodeAt(0); // "machine…" → "nachine…": still JSON, same size
    writeFileSync(file, changed);
    try {
      const r = await ferry(['verify', bundle, '--data-dir', dataDir, '--json']);
      expect(r.code).toBe(1);
      expect(r.json<VerifyResult>().problems).toEqual([expect.objectContaining({ kind: 'mismatch', path: 'bom.cdx.json' })]);
      const b = await ferry(['bom', bundle]);
      expect(b.code).toBe(1);
      expect(b.stderr).toMatch(/bom\.cdx\.json does not match the manifest/);
      expect((await bundleDocument(bundle)).bom?.problem).toMatch(/does not match the manifest/);
    } finally {
      writeFileSync(file, original);
    }
  });
});
