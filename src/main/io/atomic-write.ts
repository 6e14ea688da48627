import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** File mode of the temp file, set before any byte is written (e.g. 0o600 for secrets). Default 0o666 less the umask. */
  mode?: number;
  /** Also fsync the folder, so the rename itself survives a power cut. */
  syncDir?: boolean;
}

/**
 * The one way Ferry replaces a small file: a temp file of its own beside it (unique name, created
 * exclusively), written, fsynced, then renamed over `file`; never leaves a half-written file, and
 * removes the temp file on any failure.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', opts.mode ?? 0o666);
  try {
    if (opts.mode !== undefined) await fh.chmod(opts.mode);
    await fh.writeFile(bytes);
    await fh.sync();
    await fh.close();
    await rename(tmp, file);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  if (opts.syncDir) await fsyncDir(dirname(file));
}

/** fsyncs a directory so renames and new entries in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
