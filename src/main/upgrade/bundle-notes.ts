import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { readMediaFile } from '../io/media-file';
import { join, resolve } from 'node:path';
import { FerryError, UsageError } from '../../shared/errors';
import { writeVerified } from '../io/verified-write';
import type { BundleFile, BundleManifest } from '../bundle/manifest-schema';

// Release notes and a migration guide carried in a bundle: copied at create time as
// notes/RELEASE-NOTES.md and notes/MIGRATION-GUIDE.md, listed and hashed in the manifest like
// every file; read back (hash checked) by `ferry upgrade` to show the admin.

export const RELEASE_NOTES_FILE = 'notes/RELEASE-NOTES.md';
export const MIGRATION_GUIDE_FILE = 'notes/MIGRATION-GUIDE.md';
/** Notes are for reading on screen: larger files are refused at bundle create. */
export const MAX_NOTES_BYTES = 4 << 20;

export interface NotesSources {
  releaseNotes?: string;
  migrationGuide?: string;
}

export interface BundleNotes {
  releaseNotes?: string;
  migrationGuide?: string;
}

async function checkSource(path: string, what: string): Promise<string> {
  const abs = resolve(path);
  const st = await lstat(abs).catch(() => undefined);
  if (!st) throw new UsageError(`${what} file ${abs} does not exist.`, `Give an existing Markdown or text file.`);
  if (!st.isFile()) throw new UsageError(`${what} ${abs} is not a regular file.`, 'Give a Markdown or text file (not a folder or link).');
  if (st.size > MAX_NOTES_BYTES) throw new UsageError(`${what} file ${abs} is ${st.size} bytes; at most ${MAX_NOTES_BYTES} are carried.`, 'Shorten it, or carry it as a --file artifact instead.');
  return abs;
}

/** Checks the given note files exist before any download starts. */
export async function checkNotesSources(src: NotesSources): Promise<void> {
  if (src.releaseNotes) await checkSource(src.releaseNotes, 'Release notes');
  if (src.migrationGuide) await checkSource(src.migrationGuide, 'Migration guide');
}

/** Copies the notes into the bundle folder (hashed as written); the manifest lists what this returns. */
export async function writeBundleNotes(bundleDir: string, src: NotesSources): Promise<BundleFile[]> {
  const out: BundleFile[] = [];
  for (const [path, rel, what] of [
    [src.releaseNotes, RELEASE_NOTES_FILE, 'Release notes'],
    [src.migrationGuide, MIGRATION_GUIDE_FILE, 'Migration guide'],
  ] as const) {
    if (!path) continue;
    const abs = await checkSource(path, what);
    const w = await writeVerified(createReadStream(abs) as AsyncIterable<Uint8Array>, join(bundleDir, rel), {});
    out.push({ path: rel, size: w.size, sha256: w.sha256 });
  }
  return out;
}

/** The notes a verified bundle folder carries, each checked against the manifest's hash. */
export async function readBundleNotes(bundleDir: string, manifest: BundleManifest): Promise<BundleNotes> {
  const notes: BundleNotes = {};
  for (const [rel, key] of [
    [RELEASE_NOTES_FILE, 'releaseNotes'],
    [MIGRATION_GUIDE_FILE, 'migrationGuide'],
  ] as const) {
    const listed = manifest.files.find((f) => f.path === rel);
    if (!listed) continue;
    if (listed.size > MAX_NOTES_BYTES) throw new FerryError(`${rel} in bundle ${manifest.bundleId} is ${listed.size} bytes; refusing to read it.`);
    const bytes = await readMediaFile(bundleDir, rel, 'notes', { maxBytes: MAX_NOTES_BYTES });
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== listed.sha256) throw new FerryError(`${rel} in ${bundleDir} does not match the manifest (sha256 ${sha}).`, 'Verify the bundle again; the file was changed after verification.');
    notes[key] = bytes.toString('utf8');
  }
  return notes;
}
