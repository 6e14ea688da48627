import { formatBytes } from '../../shared/format';
import { finding, isBlocking } from './rules';
import { SCAN_LIMITS } from './scan-schema';
import { SEVERITY_RANK, type Finding, type ScanError, type ScanReport } from './types';

export type { Finding, ScanReport, Severity } from './types';

/** Sorts (most severe first), bounds and seals a report: `blocked` unless every finding is informational and every file was read. */
export function finalizeReport(r: Omit<ScanReport, 'blocked'>): ScanReport {
  const blocked = r.findings.some(isBlocking) || r.errors.length > 0;
  const sorted = [...r.findings].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || cmp(a.file, b.file) || cmp(a.rule, b.rule));
  let findings = sorted.map(bound);
  if (findings.length > SCAN_LIMITS.findings) {
    const dropped = findings.slice(SCAN_LIMITS.findings - 1);
    const by = (s: string) => dropped.filter((f) => f.severity === s).length;
    findings = [
      ...findings.slice(0, SCAN_LIMITS.findings - 1),
      finding('.', 'scan.truncated', `${dropped.length} more findings not kept: ${dropped.filter(isBlocking).length} blocking, ${by('info')} info`),
    ];
  }
  let errors: ScanError[] = r.errors.map((e) => ({ file: clip(e.file, SCAN_LIMITS.file), detail: clip(e.detail, SCAN_LIMITS.detail) }));
  if (errors.length > SCAN_LIMITS.errors) {
    errors = [...errors.slice(0, SCAN_LIMITS.errors - 1), { file: '.', detail: `${errors.length - SCAN_LIMITS.errors + 1} more files could not be read` }];
  }
  const antivirus = { ...r.antivirus, ...(r.antivirus.detail ? { detail: clip(r.antivirus.detail, 1000) } : {}) };
  return { ...r, findings, errors, antivirus, blocked };
}

function bound(f: Finding): Finding {
  return { ...f, file: clip(f.file, SCAN_LIMITS.file), detail: clip(f.detail, SCAN_LIMITS.detail), explanation: clip(f.explanation, SCAN_LIMITS.explanation) };
}

function clip(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Human-readable report for the CLI: findings grouped by file, each rule explained once. */
export function formatScanReport(r: ScanReport, target: string): string {
  const blocking = r.findings.filter(isBlocking).length;
  const lines = [
    blocking
      ? `BLOCKED: ${blocking} blocking finding(s) in ${target}${r.errors.length ? `; ${r.errors.length} file(s) could not be scanned` : ''}`
      : r.errors.length
        ? `INCOMPLETE (blocked): ${r.errors.length} file(s) could not be scanned in ${target}`
        : `OK: nothing in ${target} could run code when loaded`,
    `Scanned ${r.files} file(s), ${formatBytes(r.bytes)}`,
  ];
  const explained = new Set<string>();
  const byFile = new Map<string, Finding[]>(); // findings are sorted most severe first, so files are too
  for (const f of r.findings) byFile.set(f.file, [...(byFile.get(f.file) ?? []), f]);
  for (const [file, fs] of byFile) {
    lines.push('', `  ${file}`);
    for (const f of fs) {
      lines.push(`    ${(isBlocking(f) ? 'BLOCKS' : 'INFO').padEnd(10)} ${f.rule}: ${f.detail}`);
      if (isBlocking(f) && !explained.has(f.rule)) {
        explained.add(f.rule);
        lines.push(`               ${f.explanation}`);
      }
    }
  }
  lines.push('');
  const l = r.licence;
  lines.push(`Licence:    ${l ? `${l.id}${l.name ? ` (${l.name})` : ''}${l.link ? ` ${l.link}` : ''} — from ${l.source}` : 'unknown'}`);
  if (r.parameters) {
    const by = Object.entries(r.parameters.byDtype).map(([d, c]) => `${d} ${count(c)}`).join(', ');
    lines.push(`Parameters: ${count(r.parameters.total)} (${by})`);
  }
  if (r.gpuMemory) {
    const g = r.gpuMemory;
    lines.push(`GPU memory: about ${formatBytes(g.totalBytes)} = weights ${formatBytes(g.weightsBytes)} + KV cache ${formatBytes(g.kvCacheBytes)} + overhead ${formatBytes(g.overheadBytes)}`);
    for (const a of g.assumptions) lines.push(`            - ${a}`);
  }
  const av = r.antivirus;
  lines.push(`Antivirus:  ${av.status}${av.engine ? ` — ${av.engine}` : ''}${av.signaturesDate ? `, signatures of ${av.signaturesDate}` : ''}${av.detail ? `: ${av.detail}` : ''}`);
  for (const e of r.errors) lines.push(`Error:      ${e.file}: ${e.detail}`);
  return lines.join('\n');
}

function count(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} K`;
  return String(n);
}
