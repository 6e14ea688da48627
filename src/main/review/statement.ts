import { lstat, mkdir, readdir } from 'node:fs/promises';
import { MediaFileError, readMediaJson } from '../io/media-file';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../bundle/canonical-json';
import type { ActingIdentity } from '../identity/identity-store';
import { fingerprintOf, SIG, verifyWith } from '../identity/keys';
import { ENVELOPE_SUFFIX } from './dsse';
import { writeFileAtomic } from '../io/atomic-write';

export const APPROVALS_DIR = 'approvals';
export const STATEMENT_FORMAT = 'ferry.review.v1';
/** A statement file larger than this is refused before it is read. */
export const MAX_STATEMENT_BYTES = 64 * 1024;

const hex64 = z.string().regex(/^[a-f0-9]{64}$/);
export const StatementSchema = z.strictObject({
  format: z.literal(STATEMENT_FORMAT),
  bundleId: z.uuid(),
  manifestSha256: hex64,
  decision: z.enum(['approve', 'reject']),
  reason: z.string().max(4000),
  reviewer: z.strictObject({ name: z.string().min(1).max(128), fingerprint: hex64, role: z.string().max(32) }),
  station: z.string().max(255),
  location: z.string().max(255).optional(),
  at: z.string().max(64),
  /** The offline kit (sha256 of ferry/kit.json) in the reviewed folder, approved with the content; absent without a kit. */
  kitSha256: hex64.optional(),
});
export type Statement = z.infer<typeof StatementSchema>;

/** On media: the statement, the reviewer's public key and a detached signature over the statement's canonical JSON. */
export const StatementFileSchema = z.strictObject({
  statement: StatementSchema,
  publicKey: z.string().max(64),
  signature: z.string().max(128),
});
export type StatementFile = z.infer<typeof StatementFileSchema>;

export function signStatement(statement: Statement, acting: ActingIdentity): StatementFile {
  return { statement, publicKey: acting.publicKey, signature: acting.sign(SIG.statement, canonicalJson(statement)) };
}

/** Checks the file's own consistency: key matches the named fingerprint and the signature verifies. */
export function statementSignatureProblem(f: StatementFile): string | undefined {
  if (fingerprintOf(f.publicKey) !== f.statement.reviewer.fingerprint) return 'bad signature: the enclosed key is not the reviewer\'s fingerprint';
  if (!verifyWith(f.publicKey, SIG.statement, canonicalJson(f.statement), f.signature)) return 'bad signature: the signature does not verify';
  return undefined;
}

/** `approvals/<fingerprint>-<UTC time>.json`, FAT-safe (no colons). */
export function statementPath(s: Statement, now = new Date()): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  return `${APPROVALS_DIR}/${s.reviewer.fingerprint}-${t}.json`;
}

/** Writes a signed file (statement or override) atomically, never over another one; returns the path it took. */
export async function writeStatement(bundleDir: string, file: StatementFile | object, rel: string): Promise<string> {
  await mkdir(dirname(join(bundleDir, rel)), { recursive: true });
  let name = rel;
  for (let n = 2; await lstat(join(bundleDir, name)).then(() => true, () => false); n++) name = rel.replace(/\.json$/, `-${n}.json`);
  const target = join(bundleDir, name);
  await writeFileAtomic(target, `${canonicalJson(file)}\n`);
  return name;
}

export type ReadStatement = { path: string; file: StatementFile } | { path: string; problem: string };
export type ReadSigned<T> = { path: string; file: T } | { path: string; problem: string };

/**
 * Reads every `.json` file in one of the bundle's signed folders (approvals/, overrides/),
 * treating the media as hostile: no symlinks, bounded, schema-checked.
 */
export async function readSignedFiles<T>(bundleDir: string, folder: string, schema: z.ZodType<T>, what: string, only: (name: string) => boolean = () => true): Promise<ReadSigned<T>[]> {
  const dir = join(bundleDir, folder);
  const top = await lstat(dir).catch(() => null);
  if (top && !top.isDirectory()) return [{ path: folder, problem: 'not a directory (a link or a file)' }];
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const out: ReadSigned<T>[] = [];
  for (const name of names.sort()) {
    if (!only(name)) continue;
    const path = `${folder}/${name}`;
    const st = await lstat(join(dir, name));
    if (!st.isFile()) {
      out.push({ path, problem: 'not a regular file' });
      continue;
    }
    if (!name.endsWith('.json')) {
      out.push({ path, problem: `not ${what} (.json) file` });
      continue;
    }
    if (st.size > MAX_STATEMENT_BYTES) {
      out.push({ path, problem: `${st.size} bytes, over the ${MAX_STATEMENT_BYTES}-byte limit` });
      continue;
    }
    let json: unknown;
    try {
      json = (await readMediaJson(dir, name, 'statement')).value; // the one media reader (docs/security.md)
    } catch (err) {
      out.push({ path, problem: err instanceof MediaFileError ? err.message : 'not valid JSON' });
      continue;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) out.push({ path, file: parsed.data });
    else out.push({ path, problem: `not a valid ${what} (field ${parsed.error.issues[0]!.path.join('.') || '(root)'})` });
  }
  return out;
}

/** Reads every statement in approvals/ (not the DSSE envelopes beside them: review/intoto-approval.ts). */
export function readStatements(bundleDir: string): Promise<ReadStatement[]> {
  return readSignedFiles(bundleDir, APPROVALS_DIR, StatementFileSchema, 'a statement', (name) => !name.endsWith(ENVELOPE_SUFFIX));
}
