import { describe, expect, it } from 'vitest';
import { bomJson, bomBytes, type BomJson, type BomJsonComponent } from '../../src/main/bom/cyclonedx';
import { bomSerial } from '../../src/main/bom/bom-model';
import { flattenComponents } from '../../src/main/bom/bom-read';
import { bomComponentSummary, diffBomComponents } from '../../src/main/bom/bom-diff';
import { toSpdx } from '../../src/main/bom/spdx';
import { frontMatter } from '../../src/main/bom/model-card';
import { summarize } from '../../src/main/review/approved-store';
import { diffSummaries } from '../../src/main/review/bundle-diff';
import { BUNDLE_FORMAT, type BundleManifest } from '../../src/main/bundle/manifest-schema';
import { COMMIT, IMAGE_DIGEST, LAYERS, SBOM_DIGEST, SIG_DIGEST, cyclonedx16Validator, fixtureManifest, hex, spdxProblems } from './bom-fixtures';

const validate = cyclonedx16Validator();
const byRef = (j: BomJson, ref: string): BomJsonComponent => {
  const c = flattenComponents(j).find((x) => x.component['bom-ref'] === ref)?.component;
  if (!c) throw new Error(`no component ${ref}`);
  return c;
};
const prop = (c: BomJsonComponent, name: string): string[] => ((c.properties as { name: string; value: string }[] | undefined) ?? []).filter((p) => p.name === name).map((p) => p.value);

describe('CycloneDX BOM of a bundle', () => {
  it('validates against the CycloneDX 1.6 schema (checked here with ajv over the shipped schema files)', async () => {
    const json = bomJson(fixtureManifest(), new Map([['acme/tiny-llm', { task: 'text-generation', modelArchitecture: 'LlamaForCausalLM', architectureFamily: 'llama', datasets: ['wikitext'] }]]));
    const bytes = await bomBytes(json);
    const parsed = JSON.parse(bytes.toString()) as BomJson;
    expect(validate(parsed)).toEqual({ ok: true, errors: [] });
    expect(parsed).toMatchObject({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, serialNumber: bomSerial('3f1c2d4e-1111-4222-8333-444455556666') });
    expect((parsed.metadata as { timestamp: string }).timestamp).toBe('2026-12-02T09:00:00.000Z');
  });

  it('is the same bytes for the same manifest, and another serial number for another bundle', async () => {
    const a = await bomBytes(bomJson(fixtureManifest()));
    const b = await bomBytes(bomJson(fixtureManifest()));
    expect(a.equals(b)).toBe(true);
    const other = bomJson(fixtureManifest({ bundleId: '3f1c2d4e-1111-4222-8333-444455556667' }));
    expect(other.serialNumber).not.toBe(JSON.parse(a.toString()).serialNumber);
    expect(String(other.serialNumber)).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('lists the image as a container with its digest, purl, platform, layers and carried attestations', () => {
    const j = bomJson(fixtureManifest());
    const img = byRef(j, 'image:127.0.0.1:5000/gitlab/ai-gateway:v1.2');
    expect(img).toMatchObject({ type: 'container', name: 'gitlab/ai-gateway', group: '127.0.0.1:5000', version: 'v1.2', hashes: [{ alg: 'SHA-256', content: IMAGE_DIGEST.slice(7) }] });
    expect(img.purl).toBe(`pkg:oci/ai-gateway@${IMAGE_DIGEST}?arch=arm64&repository_url=127.0.0.1%3A5000%2Fgitlab%2Fai-gateway&tag=v1.2`);
    expect(prop(img, 'ferry:oci:platform')).toEqual(['linux/arm64/v8']);
    expect(prop(img, 'ferry:signature:verdict')).toEqual(['verified']);
    expect(img.components!.map((l) => l.hashes![0]!.content)).toEqual(LAYERS.map((l) => l.slice(7)));
    const refs = img.externalReferences as { url: string; type: string }[];
    expect(refs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'bom', url: `images/blobs/sha256/${SBOM_DIGEST.slice(7)}` }),
        expect.objectContaining({ type: 'digital-signature', url: `images/blobs/sha256/${SIG_DIGEST.slice(7)}` }),
        expect.objectContaining({ type: 'attestation' }),
      ]),
    );
  });

  it('lists the model as a machine-learning-model: commit, purl, licence, every file with its sha256, scan verdicts and model card', () => {
    const j = bomJson(fixtureManifest(), new Map([['acme/tiny-llm', { task: 'text-generation' }]]));
    const m = byRef(j, 'model:acme/tiny-llm');
    expect(m).toMatchObject({ type: 'machine-learning-model', name: 'acme/tiny-llm', version: COMMIT, licenses: [{ license: { id: 'Apache-2.0' } }] });
    expect(m.purl).toBe(`pkg:huggingface/acme/tiny-llm@${COMMIT}?repository_url=http%3A%2F%2F127.0.0.1%3A9999`);
    expect(m.components!.map((f) => [f.name, f.hashes![0]!.content]).sort()).toEqual([
      ['README.md', hex('2')],
      ['model.safetensors', hex('3')],
      ['pytorch_model.bin', hex('4')],
    ]);
    expect(prop(m, 'ferry:scan:verdict')).toEqual(['blocked']);
    expect(prop(byRef(j, 'model:acme/tiny-llm:file:pytorch_model.bin'), 'ferry:scan:verdict')).toEqual(['dangerous']);
    expect(prop(byRef(j, 'model:acme/tiny-llm:file:model.safetensors'), 'ferry:scan:verdict')).toEqual(['clean']);
    expect(m.modelCard).toEqual({
      modelParameters: { task: 'text-generation' },
      properties: expect.arrayContaining([{ name: 'ferry:parameters:total', value: '1000' }, { name: 'ferry:parameters:BF16', value: '1000' }]),
    });
  });

  it('carries a card\'s licence list as an SPDX expression, and an unknown licence by name', async () => {
    const withLicence = (id: string) => {
      const m = fixtureManifest();
      const model = m.artifacts[1] as Extract<(typeof m.artifacts)[number], { kind: 'model' }>;
      model.scan = { ...model.scan!, licence: { id, name: id === 'other' ? 'Acme Community Licence' : undefined, source: 'README.md front matter' } };
      return bomJson(m);
    };
    const expr = withLicence('mit OR apache-2.0');
    expect(byRef(expr, 'model:acme/tiny-llm').licenses).toEqual([{ expression: 'MIT OR Apache-2.0' }]);
    expect(toSpdx(expr).packages.find((p) => p.name === 'acme/tiny-llm' && p.versionInfo === COMMIT)!.licenseDeclared).toBe('MIT OR Apache-2.0');
    const named = withLicence('other');
    expect(byRef(named, 'model:acme/tiny-llm').licenses).toEqual([{ license: { name: 'Acme Community Licence' } }]);
    const doc = toSpdx(named);
    expect(doc.packages.find((p) => p.name === 'acme/tiny-llm' && p.versionInfo === COMMIT)!.licenseDeclared).toBe('LicenseRef-Acme-Community-Licence');
    expect(doc.hasExtractedLicensingInfos).toEqual([{ licenseId: 'LicenseRef-Acme-Community-Licence', extractedText: 'Acme Community Licence', name: 'Acme Community Licence' }]);
    for (const j of [expr, named]) expect(validate(JSON.parse((await bomBytes(j)).toString()))).toEqual({ ok: true, errors: [] });
  });

  it('lists Ollama models, local files and the recipe with its lock sha256; the bundle depends on each', () => {
    const j = bomJson(fixtureManifest());
    expect(byRef(j, 'ollama:llama3:8b')).toMatchObject({ type: 'machine-learning-model', version: '8b', hashes: [{ alg: 'SHA-256', content: hex('5') }] });
    expect(byRef(j, 'files:gateway-config').components![0]).toMatchObject({ name: 'gw.yaml', hashes: [{ alg: 'SHA-256', content: hex('6') }] });
    expect(byRef(j, 'recipe')).toMatchObject({ type: 'data', name: 'duo-self-hosted', version: '1.2.0', hashes: [{ alg: 'SHA-256', content: hex('d') }] });
    const deps = (j.dependencies as { ref: string; dependsOn?: string[] }[]).find((x) => x.ref === 'bundle');
    expect(deps?.dependsOn?.sort()).toEqual(['files:gateway-config', 'image:127.0.0.1:5000/gitlab/ai-gateway:v1.2', 'model:acme/tiny-llm', 'ollama:llama3:8b', 'recipe']);
  });

  it('gives a second artifact of the same name its own bom-ref (#2), the same on every run', async () => {
    const m = fixtureManifest();
    m.artifacts = [m.artifacts[0]!, { ...m.artifacts[0]!, source: 'docker-daemon:gitlab/ai-gateway:v1.2' } as (typeof m.artifacts)[number], m.artifacts[1]!];
    const a = await bomBytes(bomJson(m));
    expect(validate(JSON.parse(a.toString()))).toEqual({ ok: true, errors: [] });
    expect(a.equals(await bomBytes(bomJson(m)))).toBe(true);
    const refs = flattenComponents(JSON.parse(a.toString()) as BomJson).map((c) => c.component['bom-ref']);
    expect(refs).toEqual(expect.arrayContaining(['image:127.0.0.1:5000/gitlab/ai-gateway:v1.2', 'image:127.0.0.1:5000/gitlab/ai-gateway:v1.2#2', 'image:127.0.0.1:5000/gitlab/ai-gateway:v1.2#2:layer:0']));
  });

  it('refuses to produce a BOM the schema rejects, naming the file and the field', async () => {
    const j = bomJson(fixtureManifest());
    (j.components![0] as Record<string, unknown>).type = 'not-a-type';
    await expect(bomBytes(j)).rejects.toThrow(/bom\.cdx\.json does not validate against CycloneDX 1\.6: \/components\/0\/type/);
  });
});

describe('SPDX 2.3 conversion', () => {
  it('has every required field, one package per component, CONTAINS for nesting and the licence as an SPDX id', () => {
    const j = bomJson(fixtureManifest());
    const doc = toSpdx(j);
    expect(spdxProblems(doc as unknown as Record<string, unknown>)).toEqual([]);
    expect(doc.packages).toHaveLength(1 + flattenComponents(j).length);
    const model = doc.packages.find((p) => p.name === 'acme/tiny-llm' && p.versionInfo === COMMIT)!;
    expect(model.licenseDeclared).toBe('Apache-2.0');
    expect(model.externalRefs).toEqual([{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: expect.stringMatching(/^pkg:huggingface\/acme\/tiny-llm@/) }]);
    const file = doc.packages.find((p) => p.name === 'pytorch_model.bin')!;
    expect(file.checksums).toEqual([{ algorithm: 'SHA256', checksumValue: hex('4') }]);
    expect(doc.relationships).toContainEqual({ spdxElementId: model.SPDXID, relationshipType: 'CONTAINS', relatedSpdxElement: file.SPDXID });
    expect(doc.relationships[0]).toMatchObject({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES' });
  });
});

describe('BOM diff against the approved bundle', () => {
  it('names added, removed and re-pinned components by bom-ref', () => {
    const before = fixtureManifest();
    const m = structuredClone(before);
    const model = m.artifacts[1] as Extract<(typeof m.artifacts)[number], { kind: 'model' }>;
    model.revision = 'f'.repeat(40);
    model.files = [...model.files.filter((f) => f.path !== 'pytorch_model.bin'), { path: 'tokenizer.json', size: 1, sha256: hex('0') }];
    const d = diffBomComponents(bomComponentSummary(before)!, bomComponentSummary(m)!);
    expect(d.added.map((c) => c.ref)).toEqual(['model:acme/tiny-llm:file:tokenizer.json']);
    expect(d.removed.map((c) => c.ref)).toEqual(['model:acme/tiny-llm:file:pytorch_model.bin']);
    expect(d.changed).toEqual([expect.objectContaining({ ref: 'model:acme/tiny-llm', version: 'f'.repeat(40), before: { version: COMMIT } })]);
    expect(diffBomComponents(bomComponentSummary(before)!, bomComponentSummary(before)!)).toEqual({ added: [], removed: [], changed: [] });
  });

  it('is part of the review diff against the approved summary, only when both bundles have a BOM', () => {
    const full = (src: ReturnType<typeof fixtureManifest>, bom: boolean): BundleManifest => ({ format: BUNDLE_FORMAT, ...src, files: [], ...(bom ? { bom: { path: 'bom.cdx.json', sha256: hex('0'), format: 'CycloneDX', specVersion: '1.6' } } : {}) }) as BundleManifest;
    const approved = fixtureManifest();
    const next = fixtureManifest({ bundleId: '3f1c2d4e-1111-4222-8333-444455556667' });
    (next.artifacts[0] as { layers: string[] }).layers = [`sha256:${hex('1')}`];
    const d = diffSummaries(summarize(full(approved, true), hex('a')), summarize(full(next, true), hex('b')));
    expect(d.bom?.added).toEqual([]);
    expect(d.bom?.removed.map((c) => c.ref)).toEqual(['image:127.0.0.1:5000/gitlab/ai-gateway:v1.2:layer:1']);
    expect(d.bom?.changed).toEqual([expect.objectContaining({ ref: 'image:127.0.0.1:5000/gitlab/ai-gateway:v1.2:layer:0', sha256: hex('1'), before: { sha256: hex('c') } })]);
    expect(summarize(full(approved, false), hex('a')).bom).toBeUndefined();
    expect(diffSummaries(summarize(full(approved, false), hex('a')), summarize(full(next, true), hex('b'))).bom).toBeUndefined();
  });
});

describe('model card front matter', () => {
  it('reads pipeline_tag and datasets (scalar, flow and block lists), nothing else', () => {
    expect(frontMatter('---\nlicense: mit\npipeline_tag: text-generation # the task\ndatasets:\n  - wikitext\n  - "c4"\n---\n# card')).toEqual({ task: 'text-generation', datasets: ['wikitext', 'c4'] });
    expect(frontMatter('---\ndatasets: [a, \'b\']\n---\n')).toEqual({ datasets: ['a', 'b'] });
    expect(frontMatter('# no front matter\npipeline_tag: x')).toEqual({});
  });
});
