import { createHash, type Hash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FerryError } from '../../shared/errors';
import type { BundleFile, BundleManifest } from '../bundle/manifest-schema';
import { holdsVerified } from '../io/verified-write';
import { copyRange, hashFileInline } from './copy';
import { labelFileName, type LabelFile } from './label';
import type { PlanEntry } from './plan';
import type { MediaKit } from './kit-media';
import type { SidecarFile } from './sidecars';
import type { PreparedTarget } from './target';
import type { WriteOptions } from './write';

/** State of one write across its volumes. */
export interface Session {
  bundleDir: string;
  manifest: BundleManifest;
  manifestSha256: string;
  manifestBytes: number;
  byPath: Map<string, BundleFile>;
  done: Map<string, { covered: number; parts: number }>;
  /** Whole-file hash of split files, carried from part to part. */
  fileHashes: Map<string, Hash>;
  /** approvals/ and custody/ files, read once; every volume carries all of them. */
  sidecars: SidecarFile[];
  /** The offline kit, written whole onto volume 1 only. */
  kit?: MediaKit;
  opts: WriteOptions;
}

/** How to take one written entry back off a volume. */
export interface Undo {
  entry: LabelFile;
  before?: { covered: number; parts: number };
  hashBefore?: Hash;
}

/** Copies one plan entry onto the volume; a whole file (or a split file's last part) must match the manifest. */
export async function writeEntry(s: Session, t: PreparedTarget, e: PlanEntry, undo: Undo[], onBytes: (n: number) => void): Promise<void> {
  const f = s.byPath.get(e.path)!;
  const before = s.done.get(e.path);
  const hashBefore = e.part ? (s.fileHashes.get(e.path) ?? createHash('sha256')) : undefined;
  const running = hashBefore?.copy();
  // A whole file an interrupted write already put on this (resumed) volume is kept when its bytes match.
  const kept = !e.part && (await holdsVerified(join(t.dir, e.file), { sha256: f.sha256, size: e.size }, s.opts.signal));
  if (kept) onBytes(e.size);
  // A whole file is not hashed while copied: the volume's read-back proves its bytes against the
  // manifest's sha256 (and, on a mismatch, sourceDamaged tells a damaged bundle from a bad medium).
  // A part's own sha256 goes on the label, and every part feeds the whole file's running hash.
  const copy = { signal: s.opts.signal, onBytes, alsoHash: running };
  const source = join(s.bundleDir, e.path);
  let sha256 = f.sha256;
  if (!kept && e.part) sha256 = await copyRange(source, f.size, e.part.offset, e.size, join(t.dir, e.file), copy);
  else if (!kept) await copyRange(source, f.size, 0, e.size, join(t.dir, e.file), { ...copy, hash: false });
  const end = (e.part?.offset ?? 0) + e.size;
  const whole = end === f.size && running ? running.digest('hex') : undefined;
  if (whole !== undefined && whole !== f.sha256) {
    await rm(join(t.dir, e.file), { force: true });
    throw new FerryError(`${join(s.bundleDir, e.path)} does not match its manifest sha256.`, 'The bundle is damaged; run "ferry verify" on it.');
  }
  if (running && whole === undefined) s.fileHashes.set(e.path, running);
  else s.fileHashes.delete(e.path);
  s.done.set(e.path, { covered: end, parts: e.part ? e.part.index : 0 });
  const entry: LabelFile = { path: e.path, size: e.size, sha256, ...(e.part ? { part: { index: e.part.index, offset: e.part.offset, fileSize: f.size } } : {}) };
  undo.push({ entry, ...(before ? { before } : {}), ...(hashBefore ? { hashBefore } : {}) });
}

/**
 * After a read-back mismatch on a whole file: whether the bundle's own copy no longer matches the
 * manifest (hashed once more, only on this rare path). Then writing it again cannot help.
 */
export async function sourceDamaged(s: Session, path: string): Promise<boolean> {
  const f = s.byPath.get(path);
  if (!f) return false;
  const got = await hashFileInline(join(s.bundleDir, path), { signal: s.opts.signal }).catch(() => undefined);
  return got?.sha256 !== f.sha256 || got.size !== f.size;
}

/** Removes entries from the volume and from what counts as written, so they are planned again. */
export async function revert(s: Session, dir: string, undo: Undo[], drop: Undo[]): Promise<void> {
  for (const u of [...drop].reverse()) {
    await rm(join(dir, labelFileName(u.entry)), { force: true });
    if (u.before) s.done.set(u.entry.path, u.before);
    else s.done.delete(u.entry.path);
    if (u.hashBefore) s.fileHashes.set(u.entry.path, u.hashBefore);
    else s.fileHashes.delete(u.entry.path);
    undo.splice(undo.indexOf(u), 1);
  }
}


/** Every directory holding one of `files` (relative), deepest first, ending with the volume root ''. */
export function dirsOf(files: string[]): string[] {
  const dirs = new Set<string>();
  for (const f of files) for (let d = dirname(f); d !== '.'; d = dirname(d)) dirs.add(d);
  return [...[...dirs].sort((a, b) => b.length - a.length), ''];
}
