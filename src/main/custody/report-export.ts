import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FerryError } from '../../shared/errors';
import type { ReportEvent } from './report-data';

const CSV_COLUMNS = ['source', 'seq', 'event_id', 'at', 'type', 'actor', 'role', 'station', 'location', 'bundle_id', 'details', 'prev_hash', 'hash', 'signer', 'signer_name', 'signature'] as const;

/** RFC 4180 quoting; a cell a spreadsheet would run as a formula is prefixed with '. */
function cell(v: unknown): string {
  let s = v === undefined || v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function eventsCsv(events: ReportEvent[]): string {
  const rows = events.map((e) =>
    [e.source, e.seq, e.eventId, e.at, e.type, e.actor, e.role, e.station, e.location, e.bundleId, JSON.stringify(e.details), e.prevHash, e.hash, e.signer, e.signerName, e.signature].map(cell).join(','),
  );
  return `${[CSV_COLUMNS.join(','), ...rows].join('\r\n')}\r\n`;
}

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const c of [env.FERRY_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (c && existsSync(c)) return c;
  return undefined;
}

/** The PDF of the HTML report as bytes (printed into a throwaway folder, read back, removed). */
export async function htmlToPdfBytes(html: string, chromium = findChromium()): Promise<Buffer> {
  const work = await mkdtemp(join(tmpdir(), 'ferry-pdf-'));
  try {
    const out = join(work, 'report.pdf');
    await htmlToPdf(html, out, chromium);
    return await readFile(out);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Prints the HTML report to PDF with headless Chromium, offline (no network, a throwaway profile). */
export async function htmlToPdf(html: string, out: string, chromium = findChromium()): Promise<void> {
  if (!chromium) {
    throw new FerryError('PDF export needs Chromium, and none was found (/usr/bin/chromium, or set FERRY_CHROMIUM).', 'Install Debian\'s "chromium", or export --html and print it from a browser.');
  }
  const work = await mkdtemp(join(tmpdir(), 'ferry-report-'));
  const target = resolve(out);
  try {
    const page = join(work, 'report.html');
    await writeFile(page, html);
    const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', `--user-data-dir=${join(work, 'profile')}`, '--no-pdf-header-footer', `--print-to-pdf=${target}`, pathToFileURL(page).href];
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((res, rej) => {
      const { FERRY_PASSPHRASE: _secret, ...env } = process.env;
      const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000, env });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
      child.on('error', rej);
      child.on('close', (c) => res({ code: c, stderr: err }));
    });
    const st = await stat(target).catch(() => null);
    if (code !== 0 || !st || st.size === 0) throw new FerryError(`Chromium could not print the report (exit ${code}).`, stderr.trim().split('\n').slice(-3).join('\n') || undefined);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
