import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FerryError } from '../../shared/errors';
import { normalizeFsType, type FsName } from './fs-rules';

/** Runs a command and returns its stdout; injected in unit tests with recorded output. */
export type CommandRunner = (cmd: string, args: string[]) => Promise<string>;

export const runCommand: CommandRunner = (cmd, args) =>
  new Promise((res, rej) =>
    execFile(cmd, args, { maxBuffer: 16 << 20, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) =>
      err ? rej(new FerryError(`${cmd} ${args.join(' ')} failed: ${String(stderr).trim() || err.message}`)) : res(String(stdout)),
    ),
  );

export const LSBLK_COLUMNS = 'NAME,PATH,SIZE,RM,HOTPLUG,TRAN,VENDOR,MODEL,SERIAL,FSTYPE,LABEL,MOUNTPOINT,TYPE,PKNAME';

export interface BlockDevice {
  name: string;
  path: string;
  size: number;
  removable: boolean;
  hotplug: boolean;
  transport: string | null;
  vendor: string | null;
  model: string | null;
  serial: string | null;
  fstype: string | null;
  label: string | null;
  mountpoint: string | null;
  type: string;
  parent: string | null;
  children: BlockDevice[];
}

export interface MediaVolume {
  device: string;
  fstype: string | null;
  fs: FsName | undefined;
  label: string | null;
  size: number;
  mountpoint: string | null;
  /** Bytes free for writing (statfs), when mounted. */
  free?: number;
}

export interface MediaDrive {
  device: string;
  size: number;
  transport: string | null;
  vendor: string | null;
  model: string | null;
  serial: string | null;
  type: string;
  /** Filesystems on the drive (its partitions, or the whole drive). */
  volumes: MediaVolume[];
}

export interface DetectResult {
  drives: MediaDrive[];
  /** Drives not offered, with why (the system disk, or not removable). */
  refused: { device: string; reason: string }[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);
const bool = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 'true';
const num = (v: unknown): number => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v.trim()) : 0;
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
};

function toDevice(raw: unknown, depth: number): BlockDevice | null {
  if (depth > 8 || raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Record<string, unknown>;
  const name = str(r.name);
  if (!name) return null;
  // util-linux ≥ 2.37 may give `mountpoints: [...]`; older ones `mountpoint`.
  const mounts = Array.isArray(r.mountpoints) ? r.mountpoints.map(str).filter((m): m is string => !!m) : [];
  const kids = Array.isArray(r.children) ? r.children.map((c) => toDevice(c, depth + 1)).filter((c): c is BlockDevice => !!c) : [];
  return {
    name,
    path: str(r.path) ?? `/dev/${name}`,
    size: num(r.size),
    removable: bool(r.rm),
    hotplug: bool(r.hotplug),
    transport: str(r.tran),
    vendor: str(r.vendor),
    model: str(r.model),
    serial: str(r.serial),
    fstype: str(r.fstype),
    label: str(r.label),
    mountpoint: str(r.mountpoint) ?? mounts[0] ?? null,
    type: str(r.type) ?? 'unknown',
    parent: str(r.pkname),
    children: kids,
  };
}

/** Parses `lsblk --json --bytes` output defensively (string or number sizes, "0"/"1" or booleans, nesting). */
export function parseLsblk(json: string): BlockDevice[] {
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    throw new FerryError(`lsblk printed something that is not JSON: ${(err as Error).message}`);
  }
  const list = (doc as { blockdevices?: unknown } | null)?.blockdevices;
  if (!Array.isArray(list)) throw new FerryError('lsblk output has no "blockdevices" list.');
  return list.map((d) => toDevice(d, 0)).filter((d): d is BlockDevice => !!d);
}

function flatten(d: BlockDevice): BlockDevice[] {
  return [d, ...d.children.flatMap(flatten)];
}

const SYSTEM_MOUNTS = ['/', '/boot', '/boot/efi', '/usr', '/var', '/home'];
const REMOVABLE_TRANSPORTS = new Set(['usb', 'mmc', 'sdio', 'ieee1394']);

/**
 * Sorts devices into removable drives Ferry may write to, and refused ones. `systemMounts`
 * are mount points whose drive must never be offered (`/` and the one holding the data dir).
 */
export function classifyDrives(devices: BlockDevice[], systemMounts: string[]): { drives: BlockDevice[]; refused: DetectResult['refused'] } {
  const system = new Set([...SYSTEM_MOUNTS, ...systemMounts]);
  const drives: BlockDevice[] = [];
  const refused: DetectResult['refused'] = [];
  for (const d of devices) {
    const all = flatten(d);
    const sys = all.find((x) => x.mountpoint !== null && (system.has(x.mountpoint) || x.mountpoint === '[SWAP]'));
    if (sys) refused.push({ device: d.path, reason: `system disk (${sys.path} is mounted at ${sys.mountpoint})` });
    else if (d.type === 'rom' || d.removable || d.hotplug || (d.transport && REMOVABLE_TRANSPORTS.has(d.transport))) drives.push(d);
    else if (d.type === 'disk' || d.type === 'loop') refused.push({ device: d.path, reason: 'not removable' });
  }
  return { drives, refused };
}

export interface Space {
  free: number;
  total: number;
  blockSize: number;
  /** Filesystem type as statfs reports it (magic number), mapped where known. */
  fsType?: string;
}

const MAGIC: Record<number, string> = { 0xef53: 'ext4', 0x4d44: 'vfat', 0x2011bab0: 'exfat', 0x5346544e: 'ntfs', 0x7366746e: 'ntfs3', 0x9660: 'iso9660', 0x01021994: 'tmpfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x15013346: 'udf' };

export async function freeSpace(dir: string): Promise<Space> {
  const s = await statfs(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize, blockSize: s.bsize, fsType: MAGIC[s.type] };
}

/** The filesystem type of the mount holding `dir` (findmnt, else statfs). */
export async function fsFromPath(dir: string, run: CommandRunner = runCommand): Promise<string | undefined> {
  const viaFindmnt = await run('findmnt', ['-no', 'FSTYPE', '--target', resolve(dir)]).then((o) => str(o.split('\n')[0]) ?? undefined, () => undefined);
  return viaFindmnt ?? (await freeSpace(dir).then((s) => s.fsType, () => undefined));
}

export interface TargetInfo {
  dir: string;
  /** Device of the mount holding dir, and the serial of its drive when lsblk knows it. */
  device?: string;
  serial?: string;
  fstype?: string;
  fs?: FsName;
  space: Space;
}

/** Describes a target folder: its filesystem, free space, and the media serial when it is on a drive. */
export async function describeTarget(dir: string, run: CommandRunner = runCommand): Promise<TargetInfo> {
  const abs = resolve(dir);
  const space = await freeSpace(abs);
  const mnt = await run('findmnt', ['-no', 'SOURCE,FSTYPE', '--target', abs]).then((o) => o.split('\n')[0]!.trim().split(/\s+/), () => [] as string[]);
  // btrfs and bind mounts show SOURCE as /dev/sda1[/subvol].
  const device = mnt[0]?.startsWith('/dev/') ? mnt[0].replace(/\[.*\]$/, '') : undefined;
  const fstype = mnt[1] ?? space.fsType;
  let serial: string | undefined;
  if (device) {
    const devs = await run('lsblk', ['--json', '--bytes', '-s', '-o', LSBLK_COLUMNS, device]).then(parseLsblk, () => [] as BlockDevice[]);
    // With -s the tree is inverted: the partition first, its disk among the children.
    serial = devs.flatMap(flatten).map((d) => d.serial).find((s): s is string => !!s);
  }
  return { dir: abs, device, serial, fstype, fs: normalizeFsType(fstype), space };
}

/** Lists removable drives with their mounted filesystems and free space; never the system disk. */
export async function detectDrives(opts: { dataDir?: string; run?: CommandRunner; space?: (dir: string) => Promise<Space> } = {}): Promise<DetectResult> {
  const run = opts.run ?? runCommand;
  const space = opts.space ?? freeSpace;
  const devices = parseLsblk(await run('lsblk', ['--json', '--bytes', '-o', LSBLK_COLUMNS]));
  const systemMounts: string[] = [];
  for (const p of ['/', opts.dataDir]) {
    if (!p) continue;
    const t = await run('findmnt', ['-no', 'TARGET', '--target', resolve(p)]).then((o) => str(o.split('\n')[0]), () => null);
    if (t) systemMounts.push(t);
  }
  const { drives, refused } = classifyDrives(devices, systemMounts);
  const out: MediaDrive[] = [];
  for (const d of drives) {
    const withFs = flatten(d).filter((x) => x.fstype !== null || x.mountpoint !== null);
    const volumes: MediaVolume[] = [];
    for (const v of withFs) {
      const free = v.mountpoint ? await space(v.mountpoint).then((s) => s.free, () => undefined) : undefined;
      volumes.push({ device: v.path, fstype: v.fstype, fs: normalizeFsType(v.fstype), label: v.label, size: v.size, mountpoint: v.mountpoint, ...(free !== undefined ? { free } : {}) });
    }
    out.push({ device: d.path, size: d.size, transport: d.transport, vendor: d.vendor, model: d.model, serial: d.serial, type: d.type, volumes });
  }
  return { drives: out, refused };
}
