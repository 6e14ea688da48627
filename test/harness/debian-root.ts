import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { requireTool } from './require-tool';

/**
 * A minimal Debian root (`debootstrap --variant=minbase <suite>` from deb.debian.org), made once and
 * cached under $FERRY_TEST_CACHE or /var/cache/ferry-test/: the "offline host with nothing installed"
 * of the kit test (glibc 2.31 on bullseye, no node, npm or compiler). Needs root and the network the
 * first time only. $FERRY_DEBIAN_MIRROR overrides the mirror.
 */
export type DebianSuite = 'bullseye' | 'bookworm';

const BUILD_TIMEOUT_MS = 15 * 60_000;

function cacheDir(): string {
  return process.env.FERRY_TEST_CACHE ?? '/var/cache/ferry-test';
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer): void => {
      out = (out + d.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code ?? signal}):\n${out}`));
    });
  });
}

/** The path of a cached minbase root of `suite`, debootstrapped on first use. */
export async function debianRoot(suite: DebianSuite = 'bullseye'): Promise<string> {
  const base = cacheDir();
  const root = join(base, `debian-${suite}-minbase`);
  const done = `${root}.complete`;
  if (existsSync(done) && existsSync(join(root, 'bin', 'sh'))) return root;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new Error('debianRoot needs root (debootstrap and chroot). Run the integration tests as root; npm test does.');
  const debootstrap = requireTool('debootstrap', 'debootstrap');
  mkdirSync(base, { recursive: true });
  // One builder at a time: a lock file beside the root (a stale one from a killed run names itself).
  const lock = `${root}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch {
    throw new Error(`${lock} exists: another test run is building the Debian root, or one was killed while doing so (then remove ${lock} and ${root}.partial).`);
  }
  try {
    writeFileSync(fd, `${process.pid}\n`);
    const partial = `${root}.partial`;
    rmSync(partial, { recursive: true, force: true }); // ours: only this function creates it, under the lock
    const mirror = process.env.FERRY_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';
    await run(debootstrap, ['--variant=minbase', suite, partial, mirror], BUILD_TIMEOUT_MS);
    rmSync(root, { recursive: true, force: true }); // an incomplete earlier root (no .complete marker)
    renameSync(partial, root);
    writeFileSync(done, `debootstrap --variant=minbase ${suite} ${mirror}\n`);
    return root;
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}

/** A throw-away writable view of a cached root (overlayfs over a tmpfs), with /proc and /dev, to chroot into. */
export interface ChrootSandbox {
  /** The merged root: chroot here. */
  dir: string;
  /** Bind-mounts a host folder (or file) at `target` inside the root, read-only unless `rw`. */
  bind(source: string, target: string, opts?: { rw?: boolean }): void;
  stop(): void;
}

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function chrootSandbox(root: string, workDir: string): ChrootSandbox {
  const layer = join(workDir, 'layer');
  const dir = join(workDir, 'root');
  mkdirSync(layer, { recursive: true });
  mkdirSync(dir, { recursive: true });
  const mounted: string[] = []; // innermost last
  const mount = (args: string[], at: string): void => {
    sh('mount', [...args, at]);
    mounted.push(at);
  };
  const stop = (): void => {
    for (const at of mounted.reverse()) {
      try {
        sh('umount', [at]);
      } catch {
        try {
          sh('umount', ['-l', at]);
        } catch {
          /* already gone */
        }
      }
    }
    mounted.length = 0;
  };
  try {
    mount(['-t', 'tmpfs', '-o', 'size=2g', 'ferry-chroot'], layer);
    mkdirSync(join(layer, 'upper'));
    mkdirSync(join(layer, 'work'));
    mount(['-t', 'overlay', 'overlay', '-o', `lowerdir=${root},upperdir=${join(layer, 'upper')},workdir=${join(layer, 'work')}`], dir);
    mount(['-t', 'proc', 'proc'], join(dir, 'proc'));
    mount(['--bind', '/dev'], join(dir, 'dev'));
  } catch (err) {
    stop();
    throw err;
  }
  return {
    dir,
    bind(source, target, opts = {}) {
      const at = join(dir, target);
      if (statSync(source).isDirectory()) mkdirSync(at, { recursive: true });
      else {
        mkdirSync(dirname(at), { recursive: true });
        writeFileSync(at, '');
      }
      mount(['--bind', source], at);
      if (!opts.rw) sh('mount', ['-o', 'remount,bind,ro', at]);
    },
    stop,
  };
}
