import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { browse, browseRoots, mediaMounts, MAX_BROWSE_ENTRIES } from '../../src/main/io/browse';
import { tempDir } from '../harness/temp';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

/** home/ (a root) with a bundle folder, a file, a FIFO and links in and out; outside/ beside it. */
function tree() {
  const t = tempDir();
  cleanup = t.cleanup;
  const home = join(t.path, 'home');
  const outside = join(t.path, 'outside');
  mkdirSync(join(home, 'bundles', 'b1'), { recursive: true });
  mkdirSync(join(home, '.hidden'));
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'not yours');
  writeFileSync(join(home, 'notes.txt'), '12345');
  symlinkSync(outside, join(home, 'escape'));
  symlinkSync(join(home, 'bundles'), join(home, 'shortcut'));
  execFileSync('mkfifo', [join(home, 'pipe')]);
  return { home, outside, roots: [{ label: 'Home', path: home }] };
}

describe('browse', () => {
  it('lists folders first, files with their sizes, and leaves out hidden names, FIFOs and links leading out', async () => {
    const { home, roots } = tree();
    const v = await browse({ path: home }, roots);
    expect(v.path).toBe(home);
    expect(v.parent).toBeUndefined();
    expect(v.entries).toEqual([
      { name: 'bundles', kind: 'dir' },
      { name: 'shortcut', kind: 'dir' },
      { name: 'notes.txt', kind: 'file', size: 5 },
    ]);
    expect((await browse({ path: home, dirsOnly: true }, roots)).entries.map((e) => e.name)).toEqual(['bundles', 'shortcut']);
  });

  it('starts at the first root and names the parent below it', async () => {
    const { home, roots } = tree();
    expect((await browse({}, roots)).path).toBe(home);
    const sub = await browse({ path: join(home, 'bundles') }, roots);
    expect(sub.parent).toBe(home);
    expect(sub.entries).toEqual([{ name: 'b1', kind: 'dir' }]);
  });

  it('refuses a symlink that leads out of the roots, naming where it leads', async () => {
    const { home, outside, roots } = tree();
    await expect(browse({ path: join(home, 'escape') }, roots)).rejects.toThrow(`is outside the folders Ferry may browse (it leads to ${outside})`);
  });

  it('refuses `..` that climbs out of the roots and a folder outside them', async () => {
    const { home, outside, roots } = tree();
    await expect(browse({ path: join(home, '..', 'outside') }, roots)).rejects.toThrow(/outside the folders Ferry may browse/);
    await expect(browse({ path: outside }, roots)).rejects.toThrow(/outside the folders Ferry may browse/);
    await expect(browse({ path: '/' }, roots)).rejects.toThrow(/outside the folders Ferry may browse/);
  });

  it('refuses files, FIFOs, relative and missing paths', async () => {
    const { home, roots } = tree();
    await expect(browse({ path: join(home, 'notes.txt') }, roots)).rejects.toThrow(/is not a folder/);
    await expect(browse({ path: join(home, 'pipe') }, roots)).rejects.toThrow(/is not a folder/);
    await expect(browse({ path: 'bundles' }, roots)).rejects.toThrow(/not an absolute path/);
    await expect(browse({ path: join(home, 'gone') }, roots)).rejects.toThrow(/does not exist/);
  });

  it('follows a link that stays inside the roots to its real folder', async () => {
    const { home, roots } = tree();
    const v = await browse({ path: join(home, 'shortcut') }, roots);
    expect(v.path).toBe(join(home, 'bundles'));
  });

  it('caps the entries of a huge folder', async () => {
    const { home, roots } = tree();
    const big = join(home, 'big');
    mkdirSync(big);
    for (let i = 0; i < MAX_BROWSE_ENTRIES + 5; i++) writeFileSync(join(big, `f${i}`), '');
    expect((await browse({ path: big }, roots)).entries).toHaveLength(MAX_BROWSE_ENTRIES);
  });
});

describe('browse roots', () => {
  const mountinfo = [
    '22 1 8:2 / / rw,relatime shared:1 - ext4 /dev/sda2 rw',
    '40 22 0:5 / /proc rw - proc proc rw',
    '91 22 8:17 / /media/olga/USB\\040STICK rw,nosuid shared:50 - vfat /dev/sdb1 rw',
    '92 22 7:0 / /mnt/iso rw shared:51 - iso9660 /dev/loop0 ro',
    '93 22 8:33 / /run/media/olga/disk2 rw shared:52 - exfat /dev/sdc1 rw',
    '94 22 0:44 / /home/olga/mnt rw - tmpfs tmpfs rw',
  ].join('\n');

  it('takes mounts under /media, /run/media and /mnt (octal escapes decoded), nothing else', () => {
    expect(mediaMounts(mountinfo)).toEqual(['/media/olga/USB STICK', '/mnt/iso', '/run/media/olga/disk2']);
  });

  it('offers home and the media mounts, or exactly FERRY_BROWSE_ROOTS when set', () => {
    const roots = browseRoots({ HOME: '/home/olga' }, () => mountinfo).map((r) => r.path);
    expect(roots.slice(1)).toEqual(['/media/olga/USB STICK', '/mnt/iso', '/run/media/olga/disk2']);
    expect(browseRoots({ FERRY_BROWSE_ROOTS: '/srv/a:/srv/b' }, () => mountinfo)).toEqual([
      { label: 'a', path: '/srv/a' },
      { label: 'b', path: '/srv/b' },
    ]);
    expect(() => browseRoots({ FERRY_BROWSE_ROOTS: 'rel/path' })).toThrow(/not an absolute path/);
  });
});
