import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './require-tool';

/** A real removable-medium stand-in: a loop device over a sparse file, formatted and mounted. */
export interface LoopVolume {
  device: string;
  mountPoint: string;
  backingFile: string;
  stop(): Promise<void>;
}

const live = new Set<() => void>();
let netInstalled = false;

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Unmounts, detaches and deletes, tolerating each step having failed or never happened. */
function teardown(state: { device?: string; mounted?: boolean; root: string }): void {
  if (state.mounted) {
    try {
      execFileSync('umount', [join(state.root, 'mnt')], { stdio: 'ignore' });
    } catch {
      try {
        execFileSync('umount', ['-l', join(state.root, 'mnt')], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    state.mounted = false;
  }
  if (state.device) {
    try {
      execFileSync('losetup', ['-d', state.device], { stdio: 'ignore' });
    } catch {
      /* already detached */
    }
    state.device = undefined;
  }
  rmSync(state.root, { recursive: true, force: true });
}

/**
 * Creates a sparse backing file of `sizeBytes`, attaches it with `losetup --find --show`,
 * formats it (`mkfs.ext4 -q -m 0`) and mounts it in a temp dir. `stop()` undoes all of it;
 * a failure half-way undoes what was done, and a process 'exit' hook catches the rest.
 * Needs root and loop device support; says so clearly otherwise.
 */
export async function createLoopVolume(sizeBytes: number, fs: 'ext4' = 'ext4'): Promise<LoopVolume> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('Loop-device media tests need root (losetup, mkfs, mount). Run the integration tests as root; npm test does.');
  }
  requireTool('losetup', 'mount');
  requireTool('mkfs.ext4', 'e2fsprogs');
  if (!netInstalled) {
    netInstalled = true;
    process.once('exit', () => [...live].forEach((f) => f()));
  }
  const state: { device?: string; mounted?: boolean; root: string } = { root: mkdtempSync(join(tmpdir(), 'ferry-loop-')) };
  const backingFile = join(state.root, `${fs}.img`);
  const mountPoint = join(state.root, 'mnt');
  const cleanup = (): void => teardown(state);
  live.add(cleanup);
  try {
    writeFileSync(backingFile, '');
    truncateSync(backingFile, sizeBytes);
    try {
      state.device = sh('losetup', ['--find', '--show', backingFile]);
    } catch (err) {
      throw new Error(`No loop device available (${(err as Error).message}). Loop support is needed: modprobe loop, or run where /dev/loop-control exists.`);
    }
    sh('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', 'lazy_itable_init=1,lazy_journal_init=1', state.device]);
    mkdirSync(mountPoint);
    sh('mount', [state.device, mountPoint]);
    state.mounted = true;
  } catch (err) {
    cleanup();
    live.delete(cleanup);
    throw err;
  }
  return {
    device: state.device,
    mountPoint,
    backingFile,
    stop: async () => {
      cleanup();
      live.delete(cleanup);
    },
  };
}
