import { createHash } from 'node:crypto';
import type { Models } from '@cyclonedx/cyclonedx-library';
import type { BundleManifest, ExtraArtifact, ImageArtifact, ModelArtifact } from '../bundle/manifest-schema';
import type { ScanReport } from '../scan/types';

// The bundle as a CycloneDX object model (no I/O): one function of the manifest, so the same
// bundle always gives the same BOM. Scan verdicts are carried as `ferry:scan:*` properties
// (bundle, model and file level); signatures as `ferry:signature:*` properties, and the
// signature / SBOM / provenance artifacts carried in the bundle's OCI layout as externalReferences.

// Start-up: the library and packageurl-js load when a BOM is first built, not with this module
// (readers of a bundle reach it through cyclonedx.ts; see test/unit/cli-lazy.test.ts). Each
// builder below takes the library's values as \`const { Models, … } = cdx()\`; \`Models.X\` in a
// type position still names the library's types.
type CycloneDx = typeof import('@cyclonedx/cyclonedx-library');
const cdx = (): CycloneDx => require('@cyclonedx/cyclonedx-library') as CycloneDx;
const packageUrl = (...args: ConstructorParameters<typeof import('packageurl-js').PackageURL>) =>
  new (require('packageurl-js') as typeof import('packageurl-js')).PackageURL(...args);
type Component = Models.Component;

/** What the BOM is built from: the manifest without what is only known once the BOM is written. */
export type BomSource = Pick<BundleManifest, 'bundleId' | 'createdAt' | 'createdBy' | 'tool' | 'artifacts' | 'extraArtifacts' | 'lock' | 'scan' | 'delta'>;

/** An image's verified and carried signatures (src/main/signatures): policy, verdict and the artifacts in the OCI layout. */
export type ImageSignatures = NonNullable<ImageArtifact['signatures']>;

export const BOM_BUNDLE_REF = 'bundle';
export const imageRef = (a: { name: string }): string => `image:${a.name}`;
export const modelRef = (a: { repo: string }): string => `model:${a.repo}`;
export const extraRef = (a: ExtraArtifact): string => `${a.kind}:${a.name}`;
export const RECIPE_REF = 'recipe';
const DEFAULT_HUB = 'https://huggingface.co';
/** Long scan details are cut in properties (the manifest keeps them whole). */
const MAX_DETAIL = 500;

const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');
const sha256Hashes = (hex: string): Models.HashDictionary => new (cdx().Models.HashDictionary)([[cdx().Enums.HashAlgorithm['SHA-256'], hex]]);
const props = (entries: [string, string | number | boolean | undefined][]): Models.PropertyRepository => {
  const { Models } = cdx();
  return new Models.PropertyRepository(entries.filter((e): e is [string, string | number | boolean] => e[1] !== undefined).map(([n, v]) => new Models.Property(n, String(v))));
};
const cut = (s: string): string => (s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL - 1)}…` : s);

/** RFC 4122 version-5 UUID of `name` in the `namespace` UUID (SHA-1), so the serial number follows from the bundle id. */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

export const bomSerial = (bundleId: string): string => `urn:uuid:${uuidV5(bundleId, 'bom.cdx.json')}`;

/** The bundle's CycloneDX model: metadata (the bundle, Ferry as the tool), every artifact, the recipe. */
export function bomModel(m: BomSource): Models.Bom {
  const { Models, Enums: { ComponentType } } = cdx();
  const ferry = new Models.Component(ComponentType.Application, 'ferry', { version: m.tool.version, bomRef: 'tool:ferry' });
  const bundle = new Models.Component(ComponentType.Application, 'ferry-bundle', {
    bomRef: BOM_BUNDLE_REF,
    version: m.bundleId,
    description: `Ferry bundle ${m.bundleId}${m.lock ? ` of recipe ${m.lock.recipe} ${m.lock.version}` : ''}`,
    properties: props([
      ['ferry:bundle:id', m.bundleId],
      ['ferry:bundle:created-at', m.createdAt],
      ['ferry:bundle:creator', m.createdBy.actor],
      ['ferry:bundle:creator-fingerprint', m.createdBy.creatorFingerprint],
      ['ferry:bundle:station', m.createdBy.station],
    ]),
  });
  const metadata = new Models.Metadata({
    ...(Number.isNaN(Date.parse(m.createdAt)) ? {} : { timestamp: new Date(m.createdAt) }),
    tools: new Models.Tools({ components: new Models.ComponentRepository([ferry]) }),
    component: bundle,
    properties: props([
      ['ferry:scan:scanned-at', m.scan?.scannedAt],
      ['ferry:scan:verdict', m.scan ? (m.scan.blocked ? 'blocked' : 'clean') : 'not-scanned'],
      ['ferry:delta:inventory-sha256', m.delta?.inventorySha256],
      ['ferry:delta:omitted-blobs', m.delta?.omitted.length],
      ['ferry:delta:omitted-model-files', m.delta?.omittedModelFiles.length],
    ]),
  });
  // bom-refs are unique in a document: a second artifact with the same name (the same image from two sources) gets `#2`.
  const used = new Set<string>([BOM_BUNDLE_REF, RECIPE_REF, 'tool:ferry']);
  const unique = (ref: string): string => {
    let r = ref;
    for (let n = 2; used.has(r); n++) r = `${ref}#${n}`;
    used.add(r);
    return r;
  };
  const components: Component[] = [];
  for (const a of m.artifacts) components.push(a.kind === 'image' ? imageComponent(a, unique(imageRef(a))) : modelComponent(a, unique(modelRef(a))));
  for (const a of m.extraArtifacts ?? []) components.push(extraComponent(a, unique(extraRef(a))));
  if (m.lock) {
    components.push(
      new Models.Component(ComponentType.Data, m.lock.recipe, {
        bomRef: RECIPE_REF,
        version: m.lock.version,
        description: 'The recipe and its lock (every artifact resolved to a digest or commit) the bundle was acquired from',
        hashes: sha256Hashes(m.lock.sha256),
        properties: props([['ferry:lock:path', m.lock.path]]),
      }),
    );
  }
  for (const c of components) bundle.dependencies.add(c.bomRef);
  return new Models.Bom({ serialNumber: bomSerial(m.bundleId), version: 1, metadata, components: new Models.ComponentRepository(components) });
}

function imageComponent(a: ImageArtifact, ref: string): Component {
  const { Models, Enums: { ComponentType } } = cdx();
  const [os, arch, variant] = a.platform.split('/');
  const purl = packageUrl('oci', null, a.repository.split('/').pop()!, a.digest, { repository_url: `${a.registry}/${a.repository}`, ...(a.tag ? { tag: a.tag } : {}), ...(arch ? { arch } : {}) }, null);
  const layers = a.layers.map(
    (d, i) =>
      new Models.Component(ComponentType.File, d, {
        bomRef: `${ref}:layer:${i}`,
        hashes: sha256Hashes(hexOf(d)),
        properties: props([['ferry:oci:layer-index', i]]),
      }),
  );
  const sig = a.signatures;
  return new Models.Component(ComponentType.Container, a.repository, {
    bomRef: ref,
    group: a.registry,
    version: a.tag ?? a.digest,
    purl: purl.toString(),
    hashes: sha256Hashes(hexOf(a.digest)),
    components: new Models.ComponentRepository(layers),
    externalReferences: new Models.ExternalReferenceRepository(sig ? signatureReferences(sig) : []),
    properties: props([
      ['ferry:source', a.source],
      ['ferry:oci:name', a.name],
      ['ferry:oci:digest', a.digest],
      ['ferry:oci:index-digest', a.indexDigest],
      ['ferry:oci:media-type', a.mediaType],
      ['ferry:oci:config', a.config],
      ['ferry:oci:platform', a.platform],
      ['ferry:oci:os', os],
      ['ferry:oci:architecture', arch],
      ['ferry:oci:variant', variant],
      ['ferry:oci:size', a.size],
      ['ferry:target', a.target],
      ['ferry:signature:verdict', sig?.verdict],
      ['ferry:signature:policy', sig?.policy],
      ['ferry:signature:kind', sig?.kind],
      ['ferry:signature:key-fingerprint', sig?.keyFingerprint],
      ['ferry:signature:identity', sig?.identity],
      ['ferry:signature:signer', sig?.signer],
    ]),
  });
}

/** What a carried artifact is, by its artifactType / media type: an SBOM, a provenance attestation, or a signature. */
export function signatureArtifactKind(x: { mediaType: string; artifactType?: string; tag?: string }): 'bom' | 'attestation' | 'signature' {
  if (x.tag?.endsWith('.sbom')) return 'bom';
  if (x.tag?.endsWith('.att')) return 'attestation';
  const t = `${x.artifactType ?? ''} ${x.mediaType}`.toLowerCase();
  if (/spdx|cyclonedx|sbom|syft/.test(t)) return 'bom';
  if (/in-toto|intoto|slsa|provenance|attestation|dsse/.test(t)) return 'attestation';
  return 'signature';
}

function signatureReferences(sig: ImageSignatures): Models.ExternalReference[] {
  const { Models, Enums: { ExternalReferenceType } } = cdx();
  const type = { bom: ExternalReferenceType.BOM, attestation: ExternalReferenceType.Attestation, signature: ExternalReferenceType.DigitalSignature } as const;
  return sig.artifacts.map((x) => {
    const kind = signatureArtifactKind(x);
    return new Models.ExternalReference(`images/blobs/sha256/${hexOf(x.digest)}`, type[kind], {
      hashes: sha256Hashes(hexOf(x.digest)),
      comment: `upstream ${kind} carried in this bundle's OCI layout: ${x.artifactType ?? x.mediaType}${x.tag ? ` (tag ${x.tag})` : ''}`,
    });
  });
}

/** A licence as CycloneDX carries it: an SPDX id when the card names one, else a named licence. */
function licences(scan: ScanReport | undefined): Models.LicenseRepository {
  const { Models, SPDX } = cdx();
  const l = scan?.licence;
  if (!l || l.id === 'unknown') return new Models.LicenseRepository();
  const id = SPDX.fixupSpdxId(l.id);
  const url = l.link && /^https?:\/\//.test(l.link) ? l.link : undefined;
  // A card listing several licences (read as `a OR b`): an SPDX expression when every one is an SPDX id.
  const ids = l.id.split(' OR ').map((x) => SPDX.fixupSpdxId(x.trim()));
  if (!id && ids.length > 1 && ids.every((x) => x !== undefined)) return new Models.LicenseRepository([new Models.LicenseExpression(ids.join(' OR '))]);
  const lic = id ? new Models.SpdxLicense(id, { url }) : new Models.NamedLicense(l.name ?? l.id, { url });
  return new Models.LicenseRepository([lic]);
}

/** The worst verdict for one file: unreadable (a scan error), dangerous, suspicious, info, or clean. */
function fileVerdict(scan: ScanReport, path: string): string {
  if (scan.errors.some((e) => e.file === path)) return 'unreadable';
  const sev = scan.findings.filter((f) => f.file === path).map((f) => f.severity);
  return sev.includes('dangerous') ? 'dangerous' : sev.includes('suspicious') ? 'suspicious' : sev.includes('info') ? 'info' : 'clean';
}

const findingText = (f: ScanReport['findings'][number]): string => cut(`${f.severity} ${f.rule} ${f.file}: ${f.detail}`);

function scanProperties(scan: ScanReport | undefined): [string, string | number | undefined][] {
  if (!scan) return [['ferry:scan:verdict', 'not-scanned']];
  return [
    ['ferry:scan:verdict', scan.blocked ? 'blocked' : 'clean'],
    ['ferry:scan:scanned-at', scan.scannedAt],
    ['ferry:scan:antivirus', `${scan.antivirus.status}${scan.antivirus.engine ? ` (${scan.antivirus.engine})` : ''}`],
    ['ferry:scan:findings', scan.findings.length],
    ...scan.findings.map((f): [string, string] => ['ferry:scan:finding', findingText(f)]),
    ...scan.errors.map((e): [string, string] => ['ferry:scan:error', cut(`${e.file}: ${e.detail}`)]),
  ];
}

function modelComponent(a: ModelArtifact, ref: string): Component {
  const { Models, Enums: { ComponentType, ExternalReferenceType } } = cdx();
  const [org, name] = a.repo.split('/') as [string, string];
  const hub = a.hubUrl.replace(/\/+$/, '');
  const purl = packageUrl('huggingface', org, name, a.revision, hub && hub !== DEFAULT_HUB ? { repository_url: hub } : undefined, null);
  const files = a.files.map(
    (f) =>
      new Models.Component(ComponentType.File, f.path, {
        bomRef: `${ref}:file:${f.path}`,
        hashes: sha256Hashes(f.sha256),
        properties: props([
          ['ferry:file:size', f.size],
          ['ferry:scan:verdict', a.scan ? fileVerdict(a.scan, f.path) : undefined],
          ...(a.scan?.findings.filter((x) => x.file === f.path).map((x): [string, string] => ['ferry:scan:finding', findingText(x)]) ?? []),
        ]),
      }),
  );
  const refs: Models.ExternalReference[] = [];
  if (/^https?:\/\//.test(hub)) {
    refs.push(new Models.ExternalReference(`${hub}/${a.repo}/tree/${a.revision}`, ExternalReferenceType.Distribution));
    if (a.files.some((f) => f.path === 'README.md')) refs.push(new Models.ExternalReference(`${hub}/${a.repo}/blob/${a.revision}/README.md`, ExternalReferenceType.ModelCard));
  }
  return new Models.Component(ComponentType.MachineLearningModel, a.repo, {
    bomRef: ref,
    group: org,
    version: a.revision,
    purl: purl.toString(),
    licenses: licences(a.scan),
    components: new Models.ComponentRepository(files),
    externalReferences: new Models.ExternalReferenceRepository(refs),
    properties: props([
      ['ferry:source', a.source],
      ['ferry:hf:requested-revision', a.requestedRevision],
      ['ferry:dir', a.dir],
      ['ferry:size', a.size],
      ['ferry:licence:source', a.scan?.licence?.source],
      ...scanProperties(a.scan),
    ]),
  });
}

function extraComponent(a: ExtraArtifact, ref: string): Component {
  const { Models, Enums: { ComponentType } } = cdx();
  const files = a.files.map(
    (f) =>
      new Models.Component(ComponentType.File, f.path, {
        bomRef: `${ref}:file:${f.path}`,
        hashes: sha256Hashes(f.sha256),
        properties: props([['ferry:file:size', f.size]]),
      }),
  );
  if (a.kind === 'ollama') {
    return new Models.Component(ComponentType.MachineLearningModel, a.name, {
      bomRef: ref,
      group: a.registry,
      version: a.tag,
      hashes: sha256Hashes(hexOf(a.digest)),
      components: new Models.ComponentRepository(files),
      properties: props([
        ['ferry:source', a.source],
        ['ferry:ollama:repository', a.repository],
        ['ferry:ollama:digest', a.digest],
        ['ferry:dir', a.dir],
        ['ferry:size', a.size],
      ]),
    });
  }
  return new Models.Component(ComponentType.Data, a.name, {
    bomRef: ref,
    components: new Models.ComponentRepository(files),
    properties: props([
      ['ferry:source', a.source],
      ['ferry:dir', a.dir],
      ['ferry:size', a.size],
    ]),
  });
}
