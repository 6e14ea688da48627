import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '../../shared/errors';
import { unsafePathReason } from '../bundle/safe-path';
import type { PlannedFiles } from '../recipes/expand';
import { selectedByGlobs } from '../recipes/glob';
import type { LockFiles } from '../recipes/lock-schema';

export const FILES_DIR = 'files';
const MAX_FILES = 100_000;

export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20, signal })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    const st = await stat(join(root, r)).catch(() => undefined);
    if (!st) throw new UsageError(`${join(root, r)} is a broken link`, 'Fix or remove it, or exclude it.');
    if (st.isDirectory()) await walk(root, r, out);
    else if (st.isFile()) out.push(r);
    if (out.length > MAX_FILES) throw new UsageError(`${root} holds more than ${MAX_FILES} files`, 'Narrow it with include/exclude.');
  }
}

/**
 * Pins a local file or folder: every file's size and sha256, under `files/<id>/` in the bundle.
 * Names FAT/exFAT/NTFS reject are refused here, naming the file, so media can hold the bundle.
 */
export async function resolveLocalFiles(p: PlannedFiles, signal?: AbortSignal): Promise<LockFiles | undefined> {
  const st = await stat(p.path).catch(() => undefined);
  if (!st) {
    if (p.optional) return undefined;
    throw new UsageError(`Artifact ${p.id}: ${p.path} does not exist`, 'Create it, or point the recipe parameter at the right path.');
  }
  const dir = `${FILES_DIR}/${p.id}`;
  const pairs: { rel: string; abs: string }[] = [];
  if (st.isFile()) pairs.push({ rel: p.target ?? basename(p.path), abs: p.path });
  else if (st.isDirectory()) {
    const rels: string[] = [];
    await walk(p.path, '', rels);
    const prefix = p.target ? `${p.target.replace(/\/+$/, '')}/` : '';
    for (const rel of rels.sort()) if (selectedByGlobs(rel, p.include, p.exclude)) pairs.push({ rel: prefix + rel, abs: join(p.path, rel) });
  } else throw new UsageError(`Artifact ${p.id}: ${p.path} is neither a file nor a folder`);
  const files: LockFiles['files'] = [];
  for (const { rel, abs } of pairs) {
    const why = unsafePathReason(`${dir}/${rel}`);
    if (why) throw new UsageError(`Artifact ${p.id}: ${abs} cannot go on removable media: ${why}`, 'Rename the file, or exclude it.');
    const s = await stat(abs);
    files.push({ path: rel, size: s.size, sha256: await sha256File(abs, signal) });
  }
  return { id: p.id, source: p.path, kind: st.isFile() ? 'file' : 'folder', dir, files, size: files.reduce((s, f) => s + f.size, 0) };
}
