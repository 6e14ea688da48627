import { describe, expect, it } from 'vitest';
import { classifyDrives, detectDrives, describeTarget, fsFromPath, parseLsblk, type CommandRunner } from '../../src/main/media/detect';

// Recorded from `lsblk --json --bytes -o NAME,PATH,SIZE,RM,HOTPLUG,TRAN,VENDOR,MODEL,SERIAL,FSTYPE,LABEL,MOUNTPOINT,TYPE,PKNAME`
// on a laptop (util-linux 2.38): NVMe system disk with LVM root, a USB stick, a USB disk, a DVD drive.
const MODERN = JSON.stringify({
  blockdevices: [
    { name: 'sda', path: '/dev/sda', size: 30752636928, rm: true, hotplug: true, tran: 'usb', vendor: 'SanDisk ', model: 'Ultra', serial: '4C530001230712117384', fstype: null, label: null, mountpoint: null, type: 'disk', pkname: null,
      children: [{ name: 'sda1', path: '/dev/sda1', size: 30751588352, rm: true, hotplug: true, tran: null, vendor: null, model: null, serial: null, fstype: 'vfat', label: 'STICK', mountpoint: '/media/op/STICK', type: 'part', pkname: 'sda' }] },
    { name: 'sdb', path: '/dev/sdb', size: 2000398934016, rm: false, hotplug: true, tran: 'usb', vendor: 'WD', model: 'Elements 25A2', serial: 'WX12A3456789', fstype: null, label: null, mountpoint: null, type: 'disk', pkname: null,
      children: [{ name: 'sdb1', path: '/dev/sdb1', size: 2000397885440, rm: false, hotplug: true, tran: null, vendor: null, model: null, serial: null, fstype: 'exfat', label: 'Elements', mountpoint: null, type: 'part', pkname: 'sdb' }] },
    { name: 'sr0', path: '/dev/sr0', size: 1073741312, rm: true, hotplug: true, tran: 'sata', vendor: 'HL-DT-ST', model: 'DVDRAM', serial: 'K1ZF6EH0123', fstype: null, label: null, mountpoint: null, type: 'rom', pkname: null },
    { name: 'nvme0n1', path: '/dev/nvme0n1', size: 512110190592, rm: false, hotplug: false, tran: 'nvme', vendor: null, model: 'Samsung SSD 980', serial: 'S64DNX0R123456', fstype: null, label: null, mountpoint: null, type: 'disk', pkname: null,
      children: [
        { name: 'nvme0n1p1', path: '/dev/nvme0n1p1', size: 536870912, rm: false, hotplug: false, tran: 'nvme', vendor: null, model: null, serial: null, fstype: 'vfat', label: null, mountpoint: '/boot/efi', type: 'part', pkname: 'nvme0n1' },
        { name: 'nvme0n1p2', path: '/dev/nvme0n1p2', size: 511572254720, rm: false, hotplug: false, tran: 'nvme', vendor: null, model: null, serial: null, fstype: 'LVM2_member', label: null, mountpoint: null, type: 'part', pkname: 'nvme0n1',
          children: [{ name: 'vg-root', path: '/dev/mapper/vg-root', size: 511570157568, rm: false, hotplug: false, tran: null, vendor: null, model: null, serial: null, fstype: 'ext4', label: null, mountpoint: '/', type: 'lvm', pkname: 'nvme0n1p2' }] },
      ] },
  ],
});

// util-linux 2.33 style: strings for sizes and flags, no PATH.
const OLD = `{"blockdevices": [
  {"name": "sdc", "size": "8004304896", "rm": "1", "hotplug": "1", "tran": "usb", "vendor": "Kingston", "model": "DataTraveler", "serial": "001A4D5F1", "fstype": "exfat", "label": "KS", "mountpoint": "/srv/data", "type": "disk", "pkname": null},
  {"name": "sdd", "size": "oops", "rm": "0", "hotplug": "0", "type": "disk"},
  {"size": 5},
  "garbage"
]}`;

describe('lsblk parsing', () => {
  it('flattens nothing away and normalises values', () => {
    const devs = parseLsblk(MODERN);
    expect(devs.map((d) => d.name)).toEqual(['sda', 'sdb', 'sr0', 'nvme0n1']);
    expect(devs[0]).toMatchObject({ path: '/dev/sda', size: 30752636928, removable: true, vendor: 'SanDisk', serial: '4C530001230712117384' });
    expect(devs[3]!.children[1]!.children[0]).toMatchObject({ mountpoint: '/', type: 'lvm' });
  });

  it('reads old string-typed output and skips malformed entries', () => {
    const devs = parseLsblk(OLD);
    expect(devs).toHaveLength(2);
    expect(devs[0]).toMatchObject({ path: '/dev/sdc', size: 8004304896, removable: true, hotplug: true, mountpoint: '/srv/data' });
    expect(devs[1]).toMatchObject({ size: 0, removable: false });
  });

  it('reads the mountpoints array of newer util-linux', () => {
    const devs = parseLsblk(JSON.stringify({ blockdevices: [{ name: 'sde', rm: 1, mountpoints: [null, '/mnt/x'], type: 'disk' }] }));
    expect(devs[0]).toMatchObject({ mountpoint: '/mnt/x', removable: true });
  });

  it('rejects output that is not lsblk JSON', () => {
    expect(() => parseLsblk('lsblk: unknown column')).toThrow(/not JSON/);
    expect(() => parseLsblk('{"x":1}')).toThrow(/blockdevices/);
  });
});

describe('drive classification', () => {
  it('offers removable drives and refuses the system disk', () => {
    const { drives, refused } = classifyDrives(parseLsblk(MODERN), []);
    expect(drives.map((d) => d.name)).toEqual(['sda', 'sdb', 'sr0']);
    expect(refused).toEqual([{ device: '/dev/nvme0n1', reason: 'system disk (/dev/nvme0n1p1 is mounted at /boot/efi)' }]);
  });

  it('refuses a removable drive that holds the data directory', () => {
    const { drives, refused } = classifyDrives(parseLsblk(OLD), ['/srv/data']);
    expect(drives).toEqual([]);
    expect(refused[0]).toMatchObject({ device: '/dev/sdc', reason: expect.stringContaining('system disk') });
  });
});

describe('detectDrives', () => {
  it('reports mounted filesystems with free space', async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (cmd, args) => {
      calls.push(`${cmd} ${args.join(' ')}`);
      if (cmd === 'lsblk') return MODERN;
      if (cmd === 'findmnt') return args.at(-1) === '/' ? '/\n' : '/home\n';
      throw new Error('unexpected');
    };
    const r = await detectDrives({ run, dataDir: '/home/op/.local/share/ferry', space: async () => ({ free: 12345, total: 99999, blockSize: 4096 }) });
    expect(r.drives.map((d) => d.device)).toEqual(['/dev/sda', '/dev/sdb', '/dev/sr0']);
    expect(r.drives[0]!.volumes).toEqual([{ device: '/dev/sda1', fstype: 'vfat', fs: 'fat32', label: 'STICK', size: 30751588352, mountpoint: '/media/op/STICK', free: 12345 }]);
    expect(r.drives[1]!.volumes[0]).toMatchObject({ fs: 'exfat', mountpoint: null });
    expect(r.drives[1]!.volumes[0]!.free).toBeUndefined();
    expect(r.drives[0]!.serial).toBe('4C530001230712117384');
    expect(calls).toContain('findmnt -no TARGET --target /home/op/.local/share/ferry');
  });

  it('describes a folder target with its filesystem and the serial of its drive', async () => {
    const run: CommandRunner = async (cmd) => {
      if (cmd === 'findmnt') return '/dev/sda1 vfat\n';
      return JSON.stringify({ blockdevices: [{ name: 'sda1', type: 'part', serial: null, children: [{ name: 'sda', type: 'disk', serial: 'ABC123' }] }] });
    };
    const t = await describeTarget('/tmp', run);
    expect(t).toMatchObject({ device: '/dev/sda1', serial: 'ABC123', fstype: 'vfat', fs: 'fat32' });
    expect(t.space.free).toBeGreaterThan(0);
    const sub = await describeTarget('/tmp', async (cmd) => (cmd === 'findmnt' ? '/dev/sdb2[/@media] btrfs\n' : '{"blockdevices":[]}'));
    expect(sub).toMatchObject({ device: '/dev/sdb2', fstype: 'btrfs', fs: 'ext4' });
  });

  it('finds the filesystem of a folder with findmnt, else statfs', async () => {
    expect(await fsFromPath('/media/x', async () => 'vfat\n')).toBe('vfat');
    expect(await fsFromPath('/tmp', async () => {
      throw new Error('no findmnt');
    })).toBeTypeOf('string');
  });
});
