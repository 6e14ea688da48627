import { UsageError } from '../../shared/errors';
import { unsafePathReason } from '../bundle/safe-path';
import { FS_NAMES, type FsName } from './fs-names';

/** Filesystems Ferry plans for: the list lives in fs-names.ts (cheap for the CLI's help). */
export { FS_NAMES, type FsName };

export interface FsRules {
  name: FsName;
  /** Largest single file the filesystem stores. */
  maxFileSize: number;
  /** Allocation unit used to estimate what a file really occupies (conservative cluster size). */
  blockSize: number;
  /** Two names differing only in case collide. */
  caseInsensitive: boolean;
  /** Longest path component in characters. */
  maxComponent: number;
}

const GiB = 1024 ** 3;
const UNBOUNDED = Number.MAX_SAFE_INTEGER;

const RULES: Record<FsName, FsRules> = {
  // FAT32: 4 GiB − 1 per file; clusters up to 32 KiB on the large volumes USB sticks ship with.
  fat32: { name: 'fat32', maxFileSize: 4 * GiB - 1, blockSize: 32 * 1024, caseInsensitive: true, maxComponent: 255 },
  // exFAT/NTFS/ext4: effectively unlimited per file; still bounded by the volume.
  exfat: { name: 'exfat', maxFileSize: UNBOUNDED, blockSize: 128 * 1024, caseInsensitive: true, maxComponent: 255 },
  ntfs: { name: 'ntfs', maxFileSize: UNBOUNDED, blockSize: 4096, caseInsensitive: true, maxComponent: 255 },
  ext4: { name: 'ext4', maxFileSize: 16 * 1024 * GiB, blockSize: 4096, caseInsensitive: false, maxComponent: 255 },
  // ISO 9660 below level 3 (what every reader handles): 4 GiB − 1 per file extent.
  iso9660: { name: 'iso9660', maxFileSize: 4 * GiB - 1, blockSize: 2048, caseInsensitive: false, maxComponent: 255 },
};

export function fsRules(name: FsName): FsRules {
  return RULES[name];
}

/** `--fs` value → filesystem name; bad usage otherwise. */
export function parseFsName(value: string): FsName {
  const v = value.trim().toLowerCase();
  const fs = normalizeFsType(v) ?? (FS_NAMES as readonly string[]).find((n) => n === v);
  if (!fs) throw new UsageError(`Unknown filesystem "${value}".`, `Use one of: ${FS_NAMES.join(', ')}.`);
  return fs as FsName;
}

/**
 * Maps a detected filesystem type (lsblk FSTYPE, findmnt, statfs) to the rules Ferry applies.
 * Unknown types return undefined; callers fall back to the strictest reasonable rules.
 */
export function normalizeFsType(type: string | null | undefined): FsName | undefined {
  const t = (type ?? '').trim().toLowerCase();
  if (t === 'vfat' || t === 'fat' || t === 'fat32' || t === 'msdos' || t === 'fat16' || t === 'fat12') return 'fat32';
  if (t === 'exfat') return 'exfat';
  if (t === 'ntfs' || t === 'ntfs3' || t === 'ntfs-3g') return 'ntfs';
  if (t === 'ext2' || t === 'ext3' || t === 'ext4' || t === 'xfs' || t === 'btrfs' || t === 'tmpfs' || t === 'f2fs') return 'ext4';
  if (t === 'iso9660' || t === 'udf') return 'iso9660';
  return undefined;
}

/** Why `rel` cannot be stored on this filesystem, or null. Bundle paths are portable already; this re-checks. */
export function pathProblem(rel: string, rules: FsRules): string | null {
  const reason = unsafePathReason(rel);
  if (reason) return reason;
  for (const part of rel.split('/')) if ([...part].length > rules.maxComponent) return `component longer than ${rules.maxComponent} characters`;
  return null;
}

/** Paths that would land on the same file on a case-insensitive filesystem, as [first, second] pairs. */
export function caseCollisions(paths: Iterable<string>, rules: FsRules): [string, string][] {
  if (!rules.caseInsensitive) return [];
  const seen = new Map<string, string>();
  const out: [string, string][] = [];
  for (const p of paths) {
    const key = p.toLowerCase();
    const prev = seen.get(key);
    if (prev !== undefined && prev !== p) out.push([prev, p]);
    else seen.set(key, p);
  }
  return out;
}

/** Bytes a file of `size` occupies once rounded up to the allocation unit. */
export function allocated(size: number, rules: FsRules): number {
  return Math.ceil(size / rules.blockSize) * rules.blockSize;
}
