import { describe, expect, it } from 'vitest';
import { allocated, caseCollisions, fsRules, normalizeFsType, parseFsName, pathProblem } from '../../src/main/media/fs-rules';
import { parseSize } from '../../src/main/media/size';
import { UsageError } from '../../src/shared/errors';

describe('filesystem rules', () => {
  it('limits fat32 files to 4 GiB − 1 and leaves the others to the volume', () => {
    expect(fsRules('fat32').maxFileSize).toBe(4 * 1024 ** 3 - 1);
    expect(fsRules('iso9660').maxFileSize).toBe(4 * 1024 ** 3 - 1);
    for (const fs of ['exfat', 'ntfs', 'ext4'] as const) expect(fsRules(fs).maxFileSize).toBeGreaterThan(1024 ** 4);
  });

  it('maps detected types and --fs values', () => {
    expect(normalizeFsType('vfat')).toBe('fat32');
    expect(normalizeFsType('ntfs3')).toBe('ntfs');
    expect(normalizeFsType('ext3')).toBe('ext4');
    expect(normalizeFsType('zfs')).toBeUndefined();
    expect(parseFsName('FAT32')).toBe('fat32');
    expect(parseFsName('vfat')).toBe('fat32');
    expect(() => parseFsName('hfs+')).toThrow(UsageError);
  });

  it('re-checks paths, including characters FAT rejects', () => {
    expect(pathProblem('models/org--m/model.safetensors', fsRules('fat32'))).toBeNull();
    expect(pathProblem('images/blobs/sha256:abc', fsRules('ntfs'))).toContain('character');
    expect(pathProblem('a/../b', fsRules('ext4'))).toContain('..');
    expect(pathProblem(`a/${'x'.repeat(256)}`, fsRules('exfat'))).toContain('longer');
  });

  it('finds case collisions only where the filesystem folds case', () => {
    expect(caseCollisions(['a/B', 'a/b', 'c'], fsRules('fat32'))).toEqual([['a/B', 'a/b']]);
    expect(caseCollisions(['a/B', 'a/b'], fsRules('ext4'))).toEqual([]);
  });

  it('rounds to the allocation unit', () => {
    expect(allocated(0, fsRules('ext4'))).toBe(0);
    expect(allocated(1, fsRules('ext4'))).toBe(4096);
    expect(allocated(40_000, fsRules('fat32'))).toBe(65536);
  });
});

describe('parseSize', () => {
  it.each([
    ['700M', 700_000_000],
    ['4.7G', 4_700_000_000],
    ['16GiB', 16 * 1024 ** 3],
    ['512 KiB', 512 * 1024],
    ['123456', 123456],
    ['1.5t', 1.5e12],
    ['64MiB', 64 * 1024 ** 2],
  ])('%s = %d bytes', (s, n) => expect(parseSize(s)).toBe(n));

  it.each(['', '-5M', '4.7Q', 'G', '0', '1e3', '99999999P'])('refuses %j', (s) => {
    expect(() => parseSize(s)).toThrow(UsageError);
  });
});
