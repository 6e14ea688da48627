import { readdir, realpath, stat } from 'node:fs/promises';
import { UsageError } from '../../shared/errors';
import { describeTarget, type CommandRunner, type TargetInfo } from './detect';
import { type FsName } from './fs-rules';

/** Entries a freshly formatted medium may already hold. */
const IGNORED = [/^lost\+found$/, /^System Volume Information$/, /^\$RECYCLE\.BIN$/i, /^\.Trash-\d+$/, /^\.Spotlight-V100$/, /^\.fseventsd$/];

export interface PreparedTarget {
  dir: string;
  info: TargetInfo;
  /** Rules applied: `--fs` when given, else the detected filesystem, else FAT32 (the strictest). */
  fs: FsName;
  detectedFs?: string;
}

/**
 * Checks a write target: an existing, empty folder (a fresh medium's lost+found and the
 * like are fine), not used twice. Detects its filesystem, free space and media serial.
 */
export async function prepareTarget(dir: string, used: Set<string>, fs: FsName | undefined, run?: CommandRunner): Promise<PreparedTarget> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new UsageError(`Target ${dir} is not an existing folder.`, 'Mount the medium and give its mount point (or a folder on it).');
  const real = await realpath(dir);
  if (used.has(real)) throw new UsageError(`Target ${dir} is given twice.`, 'Give one target per volume.');
  const stray = (await readdir(real)).find((name) => !IGNORED.some((re) => re.test(name)));
  if (stray !== undefined) {
    throw new UsageError(`Target ${dir} is not empty (it holds ${stray}).`, 'Use an empty medium or folder; Ferry does not mix a volume with other files.');
  }
  used.add(real);
  const info = await describeTarget(real, run);
  return { dir: real, info, fs: fs ?? info.fs ?? 'fat32', ...(info.fstype ? { detectedFs: info.fstype } : {}) };
}
