import type { BomJson, BomJsonComponent } from './cyclonedx';
import { flattenComponents } from './bom-read';

// CycloneDX → SPDX 2.3 JSON, by hand (small): every component becomes a package (files too: SPDX
// files need a SHA-1, which Ferry does not compute), nesting becomes CONTAINS relationships, the
// bundle is what the document DESCRIBES. Hashes, purls, licences and versions carry over.

export const SPDX_VERSION = 'SPDX-2.3';

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed: false;
  checksums?: { algorithm: 'SHA256'; checksumValue: string }[];
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: string;
  primaryPackagePurpose?: string;
  externalRefs?: { referenceCategory: string; referenceType: string; referenceLocator: string }[];
  comment?: string;
}

export interface SpdxDocument {
  spdxVersion: typeof SPDX_VERSION;
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  creationInfo: { created: string; creators: string[]; comment?: string };
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
  hasExtractedLicensingInfos?: { licenseId: string; extractedText: string; name: string }[];
}

const PURPOSE: Record<string, string> = {
  application: 'APPLICATION',
  container: 'CONTAINER',
  file: 'FILE',
  library: 'LIBRARY',
  framework: 'FRAMEWORK',
  'operating-system': 'OPERATING-SYSTEM',
  firmware: 'FIRMWARE',
  device: 'DEVICE',
};

const idPart = (s: string): string => s.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'x';

interface Licences {
  extracted: Map<string, string>;
}

/** The library's list of SPDX ids, loaded at the first export (start-up: see cyclonedx.ts). */
const isSpdxId = (id: string): boolean => (require('@cyclonedx/cyclonedx-library') as typeof import('@cyclonedx/cyclonedx-library')).SPDX.isSupportedSpdxId(id);

/** licenseDeclared: an SPDX id or expression, a LicenseRef- for a named licence, else NOASSERTION. */
function declaredLicence(c: BomJsonComponent, l: Licences): string {
  const list = (c.licenses as { license?: { id?: string; name?: string }; expression?: string }[] | undefined) ?? [];
  const parts: string[] = [];
  for (const x of list) {
    if (x.expression) parts.push(x.expression);
    else if (x.license?.id && isSpdxId(x.license.id)) parts.push(x.license.id);
    else if (x.license?.name || x.license?.id) {
      const name = (x.license.name ?? x.license.id)!;
      const ref = `LicenseRef-${idPart(name)}`;
      l.extracted.set(ref, name);
      parts.push(ref);
    }
  }
  return parts.length === 0 ? 'NOASSERTION' : parts.length === 1 ? parts[0]! : parts.map((p) => `(${p})`).join(' AND ');
}

/** The SPDX 2.3 document for a CycloneDX BOM. */
export function toSpdx(bom: BomJson): SpdxDocument {
  const serial = String(bom.serialNumber ?? '');
  const meta = (bom.metadata ?? {}) as { timestamp?: string; component?: BomJsonComponent; tools?: { components?: { name: string; version?: string }[] } };
  const l: Licences = { extracted: new Map() };
  const ids = new Map<string, string>();
  const packages: SpdxPackage[] = [];
  const relationships: SpdxDocument['relationships'] = [];
  const pkg = (c: BomJsonComponent, i: number): string => {
    const id = `SPDXRef-${i}-${idPart(c['bom-ref'] ?? c.name)}`;
    if (c['bom-ref']) ids.set(c['bom-ref'], id);
    const sha = (c.hashes ?? []).find((h) => h.alg === 'SHA-256');
    packages.push({
      SPDXID: id,
      name: c.group && !c.name.startsWith(`${c.group}/`) ? `${c.group}/${c.name}` : c.name,
      ...(c.version ? { versionInfo: c.version } : {}),
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      ...(sha ? { checksums: [{ algorithm: 'SHA256' as const, checksumValue: sha.content }] } : {}),
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: declaredLicence(c, l),
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: PURPOSE[c.type] ?? 'OTHER',
      ...(c.purl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: c.purl }] } : {}),
      ...(PURPOSE[c.type] ? {} : { comment: `CycloneDX component type: ${c.type}` }),
    });
    return id;
  };
  const root = meta.component ? pkg(meta.component, 0) : undefined;
  flattenComponents(bom).forEach(({ component, parent }, i) => {
    const id = pkg(component, i + 1);
    const from = parent ? ids.get(parent) : root;
    if (from) relationships.push({ spdxElementId: from, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  });
  if (root) relationships.unshift({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: root });
  const tool = meta.tools?.components?.find((t) => t.name === 'ferry');
  const created = (meta.timestamp ?? new Date(0).toISOString()).replace(/\.\d+Z$/, 'Z');
  return {
    spdxVersion: SPDX_VERSION,
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: meta.component ? `${meta.component.name}-${meta.component.version ?? ''}`.replace(/-$/, '') : 'ferry-bundle',
    documentNamespace: serial.startsWith('urn:uuid:') ? serial : `urn:ferry:bom:${idPart(serial)}`,
    creationInfo: { created, creators: [`Tool: ferry-${tool?.version ?? 'unknown'}`], comment: `Converted from CycloneDX ${String(bom.specVersion)} ${serial}` },
    packages,
    relationships,
    ...(l.extracted.size ? { hasExtractedLicensingInfos: [...l.extracted].map(([licenseId, name]) => ({ licenseId, extractedText: name, name })) } : {}),
  };
}
