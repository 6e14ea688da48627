import type { BomComponentChange } from '../../shared/api-review';
import type { BomSource } from './bom-model';
import { bomJson, type BomJson } from './cyclonedx';
import { flattenComponents } from './bom-read';

/** One component of a BOM as the approved-bundle summary keeps it (src/main/review/approved-store.ts). */
export interface BomComponentSummary {
  ref: string;
  type: string;
  name: string;
  version?: string;
  sha256?: string;
}

/** Every component (nested ones included) of a BOM document, by bom-ref. */
export function summarizeBomJson(json: BomJson): BomComponentSummary[] {
  return flattenComponents(json).map(({ component: c }) => {
    const sha = (c.hashes ?? []).find((h) => h.alg === 'SHA-256')?.content;
    return { ref: c['bom-ref'] ?? `${c.type}:${c.name}`, type: c.type, name: c.name, ...(c.version ? { version: c.version } : {}), ...(sha ? { sha256: sha } : {}) };
  });
}

/** The component list of the BOM Ferry writes for this manifest (the same function bundle creation uses); undefined if it cannot be built. */
export function bomComponentSummary(m: BomSource): BomComponentSummary[] | undefined {
  try {
    return summarizeBomJson(bomJson(m));
  } catch {
    return undefined; // review still shows the bundle; its diff then has no BOM part
  }
}

const change = (c: BomComponentSummary, before?: BomComponentSummary): BomComponentChange => ({
  ref: c.ref,
  type: c.type,
  name: c.name,
  ...(c.version !== undefined ? { version: c.version } : {}),
  ...(c.sha256 !== undefined ? { sha256: c.sha256 } : {}),
  ...(before ? { before: { ...(before.version !== undefined ? { version: before.version } : {}), ...(before.sha256 !== undefined ? { sha256: before.sha256 } : {}) } } : {}),
});

/** Components added, removed, or with another version or SHA-256, from the approved BOM to this one. */
export function diffBomComponents(from: BomComponentSummary[], to: BomComponentSummary[]): { added: BomComponentChange[]; removed: BomComponentChange[]; changed: BomComponentChange[] } {
  const before = new Map(from.map((c) => [c.ref, c]));
  const after = new Map(to.map((c) => [c.ref, c]));
  return {
    added: to.filter((c) => !before.has(c.ref)).map((c) => change(c)),
    removed: from.filter((c) => !after.has(c.ref)).map((c) => change(c)),
    changed: to.filter((c) => before.has(c.ref) && (before.get(c.ref)!.version !== c.version || before.get(c.ref)!.sha256 !== c.sha256)).map((c) => change(c, before.get(c.ref))),
  };
}
