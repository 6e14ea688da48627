import type { ArtifactView, BundleDocument } from '../../shared/api-review';
import { formatBytes } from '../../shared/format';
import { antivirusText } from './antivirus-state';

/** `ferry review DIR`: the document summary and the diff against the last approved bundle of its recipe, as text. */
export function documentText(doc: BundleDocument): string {
  const out = [
    `Bundle ${doc.bundleId}  (recipe ${doc.recipe ?? 'adhoc'})`,
    `  ${doc.dir}`,
    `  manifest sha256 ${doc.manifestSha256}`,
    `  created ${doc.createdAt} by ${doc.createdBy.actor} at ${doc.createdBy.station}; ${doc.files} files, ${formatBytes(doc.bytes)}`,
    ...scanLines(doc),
    '',
    'Artifacts:',
    ...doc.artifacts.flatMap(artifactLines),
    '',
    ...deliveryLines(doc),
    ...surfaceLines(doc),
    ...kitLines(doc),
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
  for (const a of d.changed) {
    out.push(`  ~ ${a.kind} ${a.name}  ${a.before === a.pinned ? a.pinned : `${a.before} -> ${a.pinned}`}`);
    if (a.destinationBefore) out.push(`      destination ${a.destinationBefore} -> ${a.destination}`);
    if (a.signatureBefore) out.push(`      signature ${a.signatureBefore} -> ${a.signature}`);
  }
  if (d.filesChangedTotal > 0) {
    out.push(`  ${d.filesChangedTotal} file(s) differ:`);
    for (const f of d.filesChanged) out.push(`    ${f.change === 'added' ? '+' : f.change === 'removed' ? '-' : '~'} ${f.path}`);
    if (d.filesChangedTotal > d.filesChanged.length) out.push(`    … and ${d.filesChangedTotal - d.filesChanged.length} more`);
  }
  return out.join('\n');
}

/** Blocking findings (open or overridden) and each model's antivirus state, in the same weight. */
function scanLines(doc: BundleDocument): string[] {
  const unresolved = doc.unresolved ?? [];
  const overrides = doc.overrides ?? [];
  const av = doc.antivirus ?? [];
  const avClean = av.every((s) => s.status === 'clean');
  const out: string[] = [];
  if (unresolved.length > 0) {
    out.push(`  BLOCKED: ${unresolved.length} blocking finding(s) without an override; it cannot be approved, written or imported:`);
    for (const f of unresolved) out.push(`    ${f.file}  ${f.rule}  ${f.detail}`);
    out.push(`    (to accept one: ferry review ${doc.dir} --override --file FILE --rule RULE --reason "why" --as REVIEWER)`);
  } else if (doc.blocked && overrides.length === 0) out.push('  BLOCKED by a scan finding: it cannot be approved');
  else if (doc.scannedAt) out.push(`  scanned ${doc.scannedAt}${overrides.length ? `, ${overrides.length} blocking finding(s) overridden` : ', no blocking findings'}${avClean ? '' : ', but antivirus is NOT clean (below)'}`);
  else out.push('  not scanned');
  for (const o of overrides) out.push(`  OVERRIDDEN ${o.file}  ${o.rule}  by ${o.by.name} at ${o.at}: ${o.reason}`);
  for (const s of av) out.push(`  antivirus ${s.artifact}: ${antivirusText(s)}`);
  return out;
}

/** One artifact: kind, source, what pins it, size, and where it goes on the offline side. */
function artifactLines(a: ArtifactView): string[] {
  const pinned = a.kind === 'image' || a.kind === 'ollama' ? a.digest : a.kind === 'model' ? a.revision : `${a.files.length} file(s)`;
  const out = [`  ${a.kind.padEnd(6)} ${a.source}  ${pinned}  ${formatBytes(a.size)}`, `         -> ${a.destination}`];
  if (a.kind === 'image' && a.manifestLayers) {
    const listed = new Set(a.layers);
    const unlisted = a.manifestLayers.filter((l) => !listed.has(l.digest));
    out.push(`         ${a.manifestLayers.length} layer(s) in its image manifest${unlisted.length ? `; ${unlisted.length} NOT in the bundle manifest (verify refuses it)` : ''}:`);
    for (const l of a.manifestLayers) out.push(`           ${l.digest}  ${formatBytes(l.size)}${listed.has(l.digest) ? '' : '  NOT IN THE BUNDLE MANIFEST'}`);
  } else if (a.kind === 'image') out.push('         its image manifest could not be read: verify refuses the bundle');
  return out;
}

/** Reviewed identity vs delivery fields that disagree (verify refuses the bundle). */
function deliveryLines(doc: BundleDocument): string[] {
  const p = doc.deliveryProblems ?? [];
  if (p.length === 0) return [];
  return ['DELIVERY DIFFERS FROM WHAT IS SHOWN (verify refuses this bundle):', ...p.map((x) => `  ${x}`), ''];
}

/** The recipe's runtime surface: containers, images, commands, env names, ports, mounts, GPUs, health and stack checks. */
function surfaceLines(doc: BundleDocument): string[] {
  const r = doc.runtime;
  if (!r) return [];
  const out: string[] = [];
  if (r.warnings.length > 0) {
    out.push(`NEEDS THE ADMIN'S ALLOWANCE AT INSTALL (${r.warnings.length}):`);
    for (const w of r.warnings) out.push(`  ! ${w.where}: ${w.detail}${w.allowance ? `  [--allow ${w.allowance}]` : ''}`);
    out.push('');
  }
  if (doc.diff?.filesChanged.some((f) => f.path === 'recipe.yaml')) out.push('THE RECIPE CHANGED since the last approved bundle: read what it runs again.');
  out.push(`Runtime (recipe ${r.recipe}):`);
  for (const c of r.containers) {
    out.push(`  container ${c.engineName}  image ${c.image}${c.gpu ? `  gpu ${c.gpu}` : ''}${c.when ? `  when ${JSON.stringify(c.when)}` : ''}`);
    if (c.command.length) out.push(`    command ${c.command.join(' ')}`);
    if (c.env.length) out.push(`    env ${c.env.join(', ')}`);
    if (c.ports.length) out.push(`    ports ${c.ports.join(', ')}`);
    for (const m of c.mounts) out.push(`    mount ${m.spec}  (${m.kind}${m.readOnly ? ', read-only' : ''})`);
    for (const h of c.health) out.push(`    health ${h}`);
  }
  for (const v of r.verify) out.push(`  check ${v.name}: ${v.method} ${v.url}`);
  out.push('');
  return out;
}

/** The offline kit in the folder's ferry/: what an approval of this folder also signs (its digest). */
function kitLines(doc: BundleDocument): string[] {
  if (doc.kit) {
    const k = doc.kit;
    return [
      `Offline kit (${k.dir}/): ferry ${k.version} (commit ${k.commit}), ${k.platform}, node ${k.nodeVersion}`,
      `  digest (kit.json sha256) ${k.sha256}; ${k.files} files, ${formatBytes(k.bytes)}`,
      '  approving this folder records the kit digest in the signed statement',
      '',
    ];
  }
  return doc.kitProblem ? [`Offline kit (ferry/): NOT A SOUND KIT: ${doc.kitProblem}; approval is refused while it is there`, ''] : [];
}
