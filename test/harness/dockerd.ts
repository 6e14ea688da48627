import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Dockerode from 'dockerode';
import { requireTool } from './require-tool';

/**
 * A private Docker engine for tests: Debian's `dockerd` with its own data-root, exec-root,
 * socket, pidfile and daemon.json under a short temp dir, no iptables and no default bridge
 * (containers run with `--network none`). Never touches the host's /var/run/docker.sock.
 */
export interface TestDockerd {
  socketPath: string;
  /** The temp dir holding data-root, exec-root, socket, pidfile and dockerd.log (undefined for a shared engine). */
  root?: string;
  pid?: number;
  docker: Dockerode;
  /** Terminates the engine, waits for it to exit, unmounts leftovers, removes the temp dir. */
  stop(): Promise<void>;
}

/** Env var a vitest globalSetup can set (see `setupSharedDockerd`) so test files reuse one engine. */
export const SHARED_DOCKERD_ENV = 'FERRY_TEST_DOCKERD_SOCKET';

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

export interface DockerdOptions {
  /**
   * Bridge networking with iptables and published ports, for tests that run services
   * (install, egress). Uses its own bridge `fbr<n>` on 10.213.<n>.0/24. Only one networked
   * engine runs at a time on a host (iptables chains are per network namespace), so this
   * waits for a lock that a previous one holds.
   */
  networking?: boolean;
}

export async function startDockerd(opts: DockerdOptions = {}): Promise<TestDockerd> {
  const dockerdBin = requireTool('dockerd', 'docker.io');
  requireTool('containerd', 'docker.io');
  requireTool('runc', 'docker.io');
  if (process.getuid?.() !== 0) throw new Error('startDockerd: dockerd must run as root in the test environment');

  // Unix socket paths are limited to ~107 bytes: keep the root short and outside os.tmpdir().
  const root = mkdtempSync('/tmp/fd-');
  const socketPath = join(root, 'docker.sock');
  const configFile = join(root, 'daemon.json');
  const logPath = join(root, 'dockerd.log');
  writeFileSync(configFile, '{}\n');
  const net = opts.networking ? await takeNetworkLock(root) : undefined;
  const logFd = openSync(logPath, 'a');
  const args = [
    '--data-root', join(root, 'data'),
    '--exec-root', join(root, 'exec'),
    '--host', `unix://${socketPath}`,
    '--pidfile', join(root, 'docker.pid'),
    '--config-file', configFile,
    ...(net ? ['--iptables=true', '--ip6tables=false', `--bridge=${net.bridge}`, '--ip-forward=true'] : ['--iptables=false', '--ip6tables=false', '--bridge=none']),
    '--shutdown-timeout=2',
    '--log-level=warn',
  ];
  let child: ChildProcess;
  try {
    child = spawn(dockerdBin, args, { stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  // Last resort if the test process dies without calling stop(): never leave an engine behind.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const docker = new Dockerode({ socketPath });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    // Bridges of networks made in this engine (an install's compose network) outlive dockerd as
    // kernel interfaces br-<id>: left behind, they use up Docker's default address pools.
    let bridges: string[] = [];
    if (exitCode === undefined) {
      // Containers left running would each cost dockerd's shutdown timeout: kill them first.
      const running = await docker.listContainers().catch(() => []);
      await Promise.all(running.map((c) => docker.getContainer(c.Id).kill().catch(() => undefined)));
      const networks = await docker.listNetworks().catch(() => []);
      bridges = networks.filter((n) => n.Driver === 'bridge' && !['bridge', 'host', 'none'].includes(n.Name)).map((n) => `br-${n.Id.slice(0, 12)}`);
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    for (const b of bridges) spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
    unmountUnder(root);
    rmSync(root, { recursive: true, force: true });
    net?.release();
  };

  try {
    await waitForPing(docker, () => exitCode !== undefined, logPath);
  } catch (err) {
    await stop();
    throw err;
  }
  return { socketPath, root, pid: child.pid, docker, stop };
}

const NET_LOCK = '/tmp/ferry-networked-dockerd.lock';
const NET_LOCK_WAIT_MS = 15 * 60_000;

/** Waits for the host-wide lock (a directory naming its owner pid), then creates this engine's bridge. */
async function takeNetworkLock(root: string): Promise<{ bridge: string; release(): void }> {
  requireTool('ip', 'iproute2');
  requireTool('iptables', 'iptables');
  const deadline = Date.now() + NET_LOCK_WAIT_MS;
  let delay = 50;
  for (;;) {
    try {
      mkdirSync(NET_LOCK);
      writeFileSync(join(NET_LOCK, 'owner'), `${process.pid}\n${root}\n`);
      break;
    } catch {
      const owner = Number(readFileSync(join(NET_LOCK, 'owner'), 'utf8').split('\n')[0] ?? 0);
      if (!owner || !isAlive(owner)) {
        rmSync(NET_LOCK, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`another networked test dockerd (pid ${owner}) held ${NET_LOCK} for ${NET_LOCK_WAIT_MS / 60_000} min`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 1000);
    }
  }
  const bridge = 'fbr0';
  spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
  for (const args of [['link', 'add', bridge, 'type', 'bridge'], ['addr', 'add', '10.213.0.1/24', 'dev', bridge], ['link', 'set', bridge, 'up']]) {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    if (r.status !== 0) {
      rmSync(NET_LOCK, { recursive: true, force: true });
      throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
    }
  }
  return {
    bridge,
    release: () => {
      spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
      rmSync(NET_LOCK, { recursive: true, force: true });
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForPing(docker: Dockerode, hasExited: () => boolean, logPath: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let delay = 20;
  let last: unknown;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`dockerd exited during startup:\n${tail(logPath)}`);
    try {
      await docker.ping();
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
  throw new Error(`dockerd did not answer /_ping within ${READY_TIMEOUT_MS} ms (${String(last)}):\n${tail(logPath)}`);
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no dockerd log)';
  }
}

/** Unmounts anything still mounted under `root` (netns bind mounts, overlay merged dirs), deepest first. */
function unmountUnder(root: string): void {
  let mountinfo: string;
  try {
    mountinfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = mountinfo
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === root || p.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
}

/** A test file's engine: the shared one when a globalSetup started it, else a private one. */
export async function useDockerd(): Promise<TestDockerd> {
  const shared = process.env[SHARED_DOCKERD_ENV];
  if (shared) {
    const docker = new Dockerode({ socketPath: shared });
    await docker.ping();
    return { socketPath: shared, docker, stop: async () => {} };
  }
  return startDockerd();
}

/**
 * For a vitest globalSetup: starts one engine, exports its socket through
 * `SHARED_DOCKERD_ENV` (inherited by test workers), and returns the teardown.
 */
export async function setupSharedDockerd(): Promise<() => Promise<void>> {
  const d = await startDockerd();
  process.env[SHARED_DOCKERD_ENV] = d.socketPath;
  return async () => {
    delete process.env[SHARED_DOCKERD_ENV];
    await d.stop();
  };
}
