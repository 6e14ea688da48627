import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { BomSource } from '../../src/main/bom/bom-model';

// Shared by the BOM tests: a manifest with every kind of artifact, and a CycloneDX 1.6 schema
// validator built here from the schema files the library ships (not through the library's validator).

const d = (c: string): string => `sha256:${c.repeat(64)}`;
export const hex = (c: string): string => c.repeat(64);

export const IMAGE_DIGEST = d('a');
export const LAYERS = [d('c'), d('e')];
export const SBOM_DIGEST = d('9');
export const SIG_DIGEST = d('f');
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';

export function fixtureManifest(over: Partial<BomSource> = {}): BomSource {
  const image = {
    kind: 'image' as const,
    name: '127.0.0.1:5000/gitlab/ai-gateway:v1.2',
    source: '127.0.0.1:5000/gitlab/ai-gateway:v1.2',
    registry: '127.0.0.1:5000',
    repository: 'gitlab/ai-gateway',
    tag: 'v1.2',
    digest: IMAGE_DIGEST,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    platform: 'linux/arm64/v8',
    size: 1234,
    config: d('b'),
    layers: LAYERS,
    signatures: {
      policy: 'registry 127.0.0.1:5000/gitlab: cosign key',
      verdict: 'verified' as const,
      kind: 'cosign-key' as const,
      keyFingerprint: hex('7'),
      artifacts: [
        { digest: SIG_DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json', tag: `sha256-${hex('a')}.sig` },
        { digest: SBOM_DIGEST, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/spdx+json' },
        { digest: d('8'), mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.in-toto+json' },
      ],
    },
  };
  return {
    bundleId: '3f1c2d4e-1111-4222-8333-444455556666',
    createdAt: '2026-12-02T10:00:00.000+01:00',
    createdBy: { actor: 'olga', station: 'station-1', creatorFingerprint: hex('1') },
    tool: { name: 'ferry', version: '0.9.0' },
    artifacts: [
      image,
      {
        kind: 'model',
        name: 'acme/tiny-llm',
        source: 'hf://acme/tiny-llm',
        hubUrl: 'http://127.0.0.1:9999',
        repo: 'acme/tiny-llm',
        requestedRevision: 'main',
        revision: COMMIT,
        dir: 'models/acme/tiny-llm',
        size: 30,
        files: [
          { path: 'README.md', size: 10, sha256: hex('2') },
          { path: 'model.safetensors', size: 20, sha256: hex('3') },
          { path: 'pytorch_model.bin', size: 20, sha256: hex('4') },
        ],
        scan: {
          scannedAt: '2026-12-02T10:00:00.000+01:00',
          files: 3,
          bytes: 50,
          findings: [{ file: 'pytorch_model.bin', rule: 'pickle.dangerous-import', severity: 'dangerous', detail: 'os.system', explanation: 'runs a command' }],
          blocked: true,
          antivirus: { status: 'clean', engine: 'ClamAV 1.0' },
          licence: { id: 'apache-2.0', source: 'README.md front matter' },
          parameters: { total: 1000, byDtype: { BF16: 1000 } },
          errors: [],
        },
      },
    ],
    extraArtifacts: [
      { kind: 'ollama', name: 'llama3:8b', source: 'ollama://llama3:8b', registry: 'registry.ollama.ai', repository: 'library/llama3', tag: '8b', digest: d('5'), dir: 'ollama', size: 1, files: [{ path: 'blobs/sha256-x', size: 1, sha256: hex('5') }] },
      { kind: 'files', name: 'gateway-config', source: '/etc/gw', dir: 'files/gateway-config', size: 1, files: [{ path: 'gw.yaml', size: 1, sha256: hex('6') }] },
    ],
    lock: { path: 'lock.json', sha256: hex('d'), recipe: 'duo-self-hosted', version: '1.2.0' },
    scan: { scannedAt: '2026-12-02T10:00:00.000+01:00', blocked: true },
    ...over,
  } as BomSource;
}

const SCHEMA_DIR = join(__dirname, '..', '..', 'node_modules', '@cyclonedx', 'cyclonedx-library', 'res', 'schema');

/** An ajv validator for CycloneDX 1.6 JSON over the schema files (with the SPDX, JSF and crypto definitions it references). */
export function cyclonedx16Validator(): (doc: unknown) => { ok: boolean; errors: string[] } {
  const load = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ strict: false, allErrors: true, loadSchema: undefined });
  addFormats(ajv);
  ajv.addFormat('idn-email', true);
  ajv.addFormat('iri-reference', true);
  ajv.addSchema(load('spdx.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json');
  ajv.addSchema(load('jsf-0.82.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json');
  ajv.addSchema(load('cryptography-defs.SNAPSHOT.schema.json'), 'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json');
  const validate = ajv.compile(load('bom-1.6.SNAPSHOT.schema.json'));
  return (doc) => (validate(doc) ? { ok: true, errors: [] } : { ok: false, errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`) });
}

/** The fields SPDX 2.3 requires of a document and of each package (spec clauses 6 and 7). */
export function spdxProblems(doc: Record<string, unknown>): string[] {
  const p: string[] = [];
  for (const k of ['spdxVersion', 'dataLicense', 'SPDXID', 'name', 'documentNamespace', 'creationInfo']) if (doc[k] === undefined) p.push(`document: ${k} missing`);
  if (doc.spdxVersion !== 'SPDX-2.3') p.push('spdxVersion is not SPDX-2.3');
  if (doc.dataLicense !== 'CC0-1.0') p.push('dataLicense is not CC0-1.0');
  if (doc.SPDXID !== 'SPDXRef-DOCUMENT') p.push('SPDXID is not SPDXRef-DOCUMENT');
  if (typeof doc.documentNamespace !== 'string' || !/^[a-z][a-z0-9+.-]*:[^#]+$/i.test(doc.documentNamespace)) p.push('documentNamespace is not an absolute URI without #');
  const ci = doc.creationInfo as { created?: string; creators?: string[] } | undefined;
  if (!ci?.created || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(ci.created)) p.push('creationInfo.created is not YYYY-MM-DDThh:mm:ssZ');
  if (!ci?.creators?.length || !ci.creators.every((c) => /^(Tool|Person|Organization): .+/.test(c))) p.push('creationInfo.creators is empty or malformed');
  const ids = new Set<string>();
  for (const [i, pkg] of ((doc.packages as Record<string, unknown>[] | undefined) ?? []).entries()) {
    for (const k of ['SPDXID', 'name', 'downloadLocation']) if (pkg[k] === undefined) p.push(`packages[${i}]: ${k} missing`);
    const id = String(pkg.SPDXID);
    if (!/^SPDXRef-[A-Za-z0-9.-]+$/.test(id)) p.push(`packages[${i}]: SPDXID ${id} is malformed`);
    if (ids.has(id)) p.push(`packages[${i}]: SPDXID ${id} is not unique`);
    ids.add(id);
    for (const c of (pkg.checksums as { algorithm: string; checksumValue: string }[] | undefined) ?? []) if (c.algorithm !== 'SHA256' || !/^[a-f0-9]{64}$/.test(c.checksumValue)) p.push(`packages[${i}]: bad checksum`);
  }
  for (const r of (doc.relationships as { spdxElementId: string; relatedSpdxElement: string }[] | undefined) ?? []) {
    for (const e of [r.spdxElementId, r.relatedSpdxElement]) if (e !== 'SPDXRef-DOCUMENT' && !ids.has(e)) p.push(`relationship names unknown element ${e}`);
  }
  return p;
}
