import { readdir, realpath, stat } from 'node:fs/promises';
import { UsageError } from '../../shared/errors';
import { describeTarget, type CommandRunner, type TargetInfo } from './detect';
import { readLabel } from './label';
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
export async function prepareTarget(dir: string, used: Set<string>, fs: FsName | undefined, run?: CommandRunner, resumeOf?: { bundleId: string; manifestSha256: string }): Promise<PreparedTarget> {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) throw new UsageError(`Target ${dir} is not an existing folder.`, 'Mount the medium and give its mount point (or a folder on it).');
  const real = await realpath(dir);
  if (used.has(real)) throw new UsageError(`Target ${dir} is given twice.`, 'Give one target per volume.');
  const stray = (await readdir(real)).find((name) => !IGNORED.some((re) => re.test(name)));
  // A volume of this very bundle (e.g. left incomplete by a killed write) is continued, not refused (issue 14 part 7).
  if (stray !== undefined && !(resumeOf && (await incompleteVolumeOf(real, resumeOf)))) {
    throw new UsageError(`Target ${dir} is not empty (it holds ${stray}).`, 'Use an empty medium or folder; Ferry does not mix a volume with other files.');
  }
  used.add(real);
  const info = await describeTarget(real, run);
  return { dir: real, info, fs: fs ?? info.fs ?? 'fat32', ...(info.fstype ? { detectedFs: info.fstype } : {}) };
}

/** True when `dir` holds a volume of this bundle (same id and manifest digest) that Ferry wrote: its verified files are kept. */
async function incompleteVolumeOf(dir: string, of: { bundleId: string; manifestSha256: string }): Promise<boolean> {
  const label = await readLabel(dir).catch(() => undefined);
  return label !== undefined && label.bundleId === of.bundleId && label.manifestSha256 === of.manifestSha256;
}
