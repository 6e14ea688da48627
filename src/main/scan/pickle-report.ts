import { gradeImport, qualifiedName } from './pickle-policy';
import type { PickleCall, PickleImport, PickleIssue, PickleScan } from './pickle-walker';
import { finding } from './rules';
import type { Finding } from './types';

const MAX_PER_RULE = 50;

export interface PickleContext {
  /** Relative file path for the findings. */
  file: string;
  /** Zip member or container part, e.g. `archive/data.pkl`, prefixed to every detail. */
  part?: string;
  /** Pickles a loader reads (1; legacy torch.save files: 5). Parse errors in later ones are informational: raw data can look like a pickle. */
  requiredPickles?: number;
}

/** Turns one walked pickle stream into graded findings. */
export function gradePickleScan(scan: PickleScan, ctx: PickleContext): Finding[] {
  const out: Finding[] = [];
  const at = ctx.part ? `${ctx.part}: ` : '';
  const innocuous: string[] = [];
  const unknown: Finding[] = [];
  for (const imp of scan.imports) {
    const full = qualifiedName(imp.module, imp.name);
    const g = gradeImport(imp.module, imp.name);
    const where = `${imp.opcode} at offset ${imp.offset}${imp.count > 1 ? `, ${imp.count} times` : ''}`;
    const detail = `${at}imports ${full} (${where})${callsOf(scan.calls, imp)}: ${g.why}`;
    if (g.severity === 'info') innocuous.push(full);
    else if (g.known || g.traversal) out.push(finding(ctx.file, g.traversal ? 'pickle.attribute-traversal' : 'pickle.dangerous-import', detail));
    else unknown.push(finding(ctx.file, 'pickle.unknown-import', detail));
  }
  out.push(...capped(unknown, ctx.file, 'pickle.unknown-import'));
  out.push(
    ...capped(
      scan.unresolved.map((u) => finding(ctx.file, 'pickle.unresolved-global', `${at}${u.detail}`)),
      ctx.file,
      'pickle.unresolved-global',
    ),
  );
  if (scan.extensions.length) out.push(finding(ctx.file, 'pickle.extension-code', `${at}${summarise(scan.extensions)}`));
  if (scan.unsupported.length) out.push(finding(ctx.file, 'pickle.unsupported-opcode', `${at}${summarise(scan.unsupported)}`));
  const required = ctx.requiredPickles ?? 1;
  const [primary, later] = partition(scan.errors, (e) => e.pickle < required);
  if (primary.length) out.push(finding(ctx.file, 'pickle.parse-error', `${at}${summarise(primary)}`));
  if (later.length) out.push(finding(ctx.file, 'pickle.parse-error', `${at}after ${scan.pickles} complete pickle(s): ${summarise(later)}`, 'info'));
  if (scan.tooLarge) out.push(finding(ctx.file, 'pickle.too-large', `${at}only the first ${scan.bytes} bytes were walked`));
  if (scan.dropped > 0) out.push(finding(ctx.file, 'pickle.record-limit', `${at}${scan.dropped} further records were not kept`));
  if (scan.trailingData) out.push(finding(ctx.file, 'pickle.trailing-data', `${at}non-pickle data follows ${scan.pickles} pickle(s) at offset ${scan.trailingOffset ?? scan.bytes}`));
  if (innocuous.length) out.push(finding(ctx.file, 'pickle.imports', `${at}${[...new Set(innocuous)].sort().join(', ')}`));
  return out;
}

function callsOf(calls: PickleCall[], imp: PickleImport): string {
  const key = `${imp.module}.${imp.name}`;
  const mine = calls.filter((c) => c.callee === key);
  if (!mine.length) return ', not called';
  return ` and calls it (${mine.map((c) => `${c.opcode} at offset ${c.offset}${c.count > 1 ? ` +${c.count - 1}` : ''}`).join(', ')})`;
}

function summarise(issues: PickleIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => i.detail);
  return shown.join('; ') + (issues.length > shown.length ? `; and ${issues.length - shown.length} more` : '');
}

function capped(list: Finding[], file: string, rule: 'pickle.unknown-import' | 'pickle.unresolved-global'): Finding[] {
  if (list.length <= MAX_PER_RULE) return list;
  const rest = list.length - MAX_PER_RULE;
  return [...list.slice(0, MAX_PER_RULE), finding(file, rule, `and ${rest} more like these`)];
}

function partition<T>(xs: T[], pred: (x: T) => boolean): [T[], T[]] {
  const a: T[] = [];
  const b: T[] = [];
  for (const x of xs) (pred(x) ? a : b).push(x);
  return [a, b];
}
