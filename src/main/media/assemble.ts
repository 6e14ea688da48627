import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import { MediaFileError, mediaReadStream, openMediaFile, readMediaFile } from '../io/media-file';
import { CanceledError, FerryError, UsageError } from '../../shared/errors';
import { mapLimit } from '../core/concurrency';
import { MANIFEST_FILE } from '../bundle/manifest-schema';
import type { Progress } from '../jobs/progress';
import { IntegrityError, writeVerified } from '../io/verified-write';
import { fsyncDir } from './copy';
import { copyKit } from './kit-check';
import { labelFileName, type LabelKit } from './label';
import { copySidecars } from './sidecars';
import { loadVolumeSet, type Piece } from './volume-set';

export interface AssembleResult {
  bundleId: string;
  dir: string;
  manifestSha256: string;
  files: number;
  bytes: number;
  /** Files that were split across parts and joined again. */
  joined: number;
  /** The offline kit copied into ferry/ (absent when the volumes carry none). */
  kit?: LabelKit;
}

const CHUNK = 4 << 20;
const CONCURRENCY = 4;

/**
 * Rebuilds a normal bundle directory from volumes given in any order, streaming: each file
 * is hashed once as its parts pass and checked against the manifest before it is renamed
 * into place; on a mismatch its parts are re-hashed to name the volume and file at fault.
 * The approvals/ and custody/ files every volume carries are checked on each and copied.
 * Built in `<out>.partial`, renamed to `<out>` only when complete;
 * removed on failure, so nothing half-written looks like a bundle.
 */
export async function assembleBundle(dirs: string[], outDir: string, progress: Progress): Promise<AssembleResult> {
  progress.phase('reading labels');
  const set = await loadVolumeSet(dirs);
  if (set.problems.length > 0 || !set.manifest) {
    const shown = set.problems.slice(0, 5).map((p) => `${p.volume}: ${p.path ? `${p.path}: ` : ''}${p.detail}`);
    const more = set.problems.length > 5 ? ` (and ${set.problems.length - 5} more)` : '';
    throw new FerryError(`Cannot assemble: ${shown.join('; ') || 'no readable volume'}${more}`, 'Give every volume of the bundle; "ferry media verify" lists each problem.');
  }
  const manifest = set.manifest;
  const out = resolve(outDir);
  const existing = await stat(out).catch(() => null);
  if (existing && (!existing.isDirectory() || (await readdir(out)).length > 0)) throw new UsageError(`Output ${out} already exists and is not empty.`, 'Choose a new output directory.');
  const partial = `${out}.partial`;
  // Ferry removes only what this call creates: a `.partial` already there (an interrupted
  // assembly, or someone else's folder) is left alone and named.
  if (await lstat(partial).catch(() => null)) {
    throw new UsageError(`${partial} already exists; nothing was changed.`, `It may be left by an interrupted assembly: check it, remove it yourself, then assemble again (or choose another output).`);
  }
  await mkdir(dirname(partial), { recursive: true });
  await mkdir(partial);
  const roots = new Map<string, string>();
  for (const v of set.volumes) roots.set(v.dir, await realpath(v.dir));
  for (const v of set.volumes) if (!v.duplicate) progress.item(`volume:${v.dir}`, `volume ${v.name}`, v.label.files.reduce((a, f) => a + f.size, 0));
  let kit: LabelKit | undefined;
  try {
    progress.phase('assembling');
    await mapLimit(manifest.files, CONCURRENCY, async (f) => {
      const pieces = set.pieces.get(f.path)!;
      try {
        await writeVerified(streamPieces(pieces, roots, progress), join(partial, f.path), { sha256: f.sha256, size: f.size }, { signal: progress.signal });
      } catch (err) {
        if (!(err instanceof IntegrityError)) throw err;
        await nameBadPiece(pieces, progress.signal);
        const from = [...new Set(pieces.map((p) => p.volume.name))].join(', ');
        throw new FerryError(`${f.path} joined from volume ${from} does not match the manifest: ${err.message}`, 'The labels and the manifest disagree; treat these volumes as untrusted.');
      }
    });
    // approvals/ and custody/, so the import's approval gate and "ferry custody import" see them.
    await copySidecars(set.volumes, set.sidecars, roots, partial);
    // The offline kit of volume 1, so the assembled folder still carries the tool its approval may name.
    kit = await copyKit(set.volumes, manifest, partial, progress.signal);
    const mbytes = await readMediaFile(set.manifestDir!, MANIFEST_FILE, 'volume-manifest', { signal: progress.signal });
    if (createHash('sha256').update(mbytes).digest('hex') !== set.manifestSha256) throw new FerryError(`${join(set.manifestDir!, MANIFEST_FILE)} changed while assembling.`);
    await writeFileAtomic(join(partial, MANIFEST_FILE), mbytes);
    for (const v of set.volumes) if (!v.duplicate) progress.itemState(`volume:${v.dir}`, 'done');
    if (existing) await rmdir(out); // the empty folder checked above, nothing else
    await rename(partial, out);
    await fsyncDir(dirname(out));
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  const joined = manifest.files.filter((f) => set.pieces.get(f.path)!.some((p) => p.entry.part)).length;
  return { bundleId: manifest.bundleId, dir: out, manifestSha256: set.manifestSha256!, files: manifest.files.length, bytes: manifest.files.reduce((a, f) => a + f.size, 0), joined, ...(kit ? { kit } : {}) };
}

/** Yields the bytes of a file's pieces in order; the joined file is hashed once, against the manifest. */
async function* streamPieces(pieces: Piece[], roots: Map<string, string>, progress: Progress): AsyncGenerator<Uint8Array> {
  for (const p of pieces) {
    const name = labelFileName(p.entry);
    const where = `volume ${p.volume.name}: ${name}`;
    // Hostile media: a regular file inside the volume, reached without symlinks (the one media reader).
    const f = await openMediaFile(p.volume.dir, name, { label: where }).catch((err: MediaFileError) => {
      const what = err.code === 'ENOENT' ? 'absent' : err.message.slice(where.length + 1);
      throw new FerryError(`${where} is missing or not a regular file inside the volume (${what}).`, 'This medium was altered or damaged; treat it as untrusted.');
    });
    const fh = f.fh;
    if (f.size !== p.entry.size) {
      await f.close();
      throw new FerryError(`${where} is ${f.size} bytes, its label says ${p.entry.size}.`);
    }
    try {
      for (let done = 0; done < p.entry.size; ) {
        if (progress.signal.aborted) throw new CanceledError();
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, p.entry.size - done));
        const { bytesRead } = await fh.read(buf, 0, buf.length, done);
        if (bytesRead === 0) throw new FerryError(`${where} ended early at byte ${done}.`);
        done += bytesRead;
        progress.advance(bytesRead, `volume:${p.volume.dir}`);
        yield buf.subarray(0, bytesRead);
      }
    } finally {
      await fh.close();
    }
  }
}

/** After a joined file failed its manifest hash: re-hash its pieces to name the volume and file at fault. */
async function nameBadPiece(pieces: Piece[], signal: AbortSignal): Promise<void> {
  for (const p of pieces) {
    const name = labelFileName(p.entry);
    const h = createHash('sha256');
    for await (const c of (await mediaReadStream(p.volume.dir, name, { signal, label: `volume ${p.volume.name}: ${name}` })).stream) h.update(c);
    const got = { sha256: h.digest('hex') };
    if (got.sha256 !== p.entry.sha256) {
      throw new FerryError(`volume ${p.volume.name}: ${name} does not match its label: sha256 ${got.sha256}, label says ${p.entry.sha256}.`, 'This medium is damaged; re-write this volume from the bundle.');
    }
  }
}
