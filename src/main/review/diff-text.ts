import type { BundleDocument } from '../../shared/api-review';
import { formatBytes } from '../../shared/format';

/** `ferry review DIR`: the document summary and the diff against the last approved bundle of its recipe, as text. */
export function documentText(doc: BundleDocument): string {
  const out = [
    `Bundle ${doc.bundleId}  (recipe ${doc.recipe ?? 'adhoc'})`,
    `  ${doc.dir}`,
    `  manifest sha256 ${doc.manifestSha256}`,
    `  created ${doc.createdAt} by ${doc.createdBy.actor} at ${doc.createdBy.station}; ${doc.files} files, ${formatBytes(doc.bytes)}`,
    `  ${doc.blocked ? 'BLOCKED by a dangerous scan finding: it cannot be approved' : doc.scannedAt ? `scanned ${doc.scannedAt}, no dangerous findings` : 'not scanned'}`,
    '',
    'Artifacts:',
    ...doc.artifacts.map((a) => `  ${a.kind.padEnd(6)} ${a.source}  ${a.kind === 'image' ? a.digest : a.revision}  ${formatBytes(a.size)}`),
    '',
  ];
  const d = doc.diff;
  if (!d) {
    out.push(`No bundle of recipe ${doc.recipe ?? 'adhoc'} was approved on this station before: nothing to compare with.`);
    return out.join('\n');
  }
  out.push(`Against ${d.against.bundleId}, approved ${d.against.approvedAt} by ${d.against.approvedBy}:`);
  if (d.added.length + d.removed.length + d.changed.length + d.filesChangedTotal === 0) out.push('  identical artifacts and files');
  for (const a of d.added) out.push(`  + ${a.kind} ${a.name}  ${a.pinned}`);
  for (const a of d.removed) out.push(`  - ${a.kind} ${a.name}  ${a.pinned}`);
  for (const a of d.changed) out.push(`  ~ ${a.kind} ${a.name}  ${a.before} -> ${a.pinned}`);
  if (d.filesChangedTotal > 0) {
    out.push(`  ${d.filesChangedTotal} file(s) differ:`);
    for (const f of d.filesChanged) out.push(`    ${f.change === 'added' ? '+' : f.change === 'removed' ? '-' : '~'} ${f.path}`);
    if (d.filesChangedTotal > d.filesChanged.length) out.push(`    … and ${d.filesChangedTotal - d.filesChanged.length} more`);
  }
  return out.join('\n');
}
