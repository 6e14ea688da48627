/** Filesystems Ferry plans for (their rules: fs-rules.ts). `iso9660` is an optical image written by xorriso (Joliet + Rock Ridge).
 *  A file of its own so that the CLI's option help loads nothing else. */
export const FS_NAMES = ['fat32', 'exfat', 'ntfs', 'ext4', 'iso9660'] as const;
export type FsName = (typeof FS_NAMES)[number];
