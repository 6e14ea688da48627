import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Dockerode from 'dockerode';
import { requireTool } from './require-tool';

/**
 * A private Podman engine for tests: Debian's `podman system service` on its own socket, with
 * its own storage root, runroot, CNI config dir, tmp dir and a test-owned containers.conf
 * (CONTAINERS_CONF) and storage.conf (CONTAINERS_STORAGE_CONF), all under one short temp dir.
 * Containers get the ulimits this process has (`default_ulimits`: Podman as root would otherwise
 * ask for more than the host allows), cgroupfs, runc and a file events log. Never touches the
 * host's /run/podman, /var/lib/containers or /etc/cni. `stop()` removes the containers, networks
 * and volumes it holds, ends the service and deletes only its own temp dir.
 */
export interface TestPodman {
  socketPath: string;
  /** `unix://…` for DOCKER_HOST / --docker-host. */
  dockerHost: string;
  root: string;
  docker: Dockerode;
  /** Environment for `podman` / `podman-compose` run against this service (CONTAINER_HOST and the test's configs). */
  cliEnv: NodeJS.ProcessEnv;
  /** Runs the podman CLI against this service; rejects with its stderr on failure. */
  podman(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * `soft:hard` for a container ulimit: this process's own limit (the service inherits it), at most
 * `cap`. Without CAP_SYS_RESOURCE nothing may raise it, and Podman's own start lowers the
 * process limit to kernel.pid_max, hence the cap for nproc.
 */
function ownLimit(name: string, cap = Number.MAX_SAFE_INTEGER): string {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  const m = line ? /\s(\d+|unlimited)\s+(\d+|unlimited)\s/.exec(line.slice(name.length)) : null;
  if (!m) throw new Error(`startPodman: cannot read "${name}" from /proc/self/limits`);
  const n = (s: string): number => Math.min(s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s), cap);
  return `${n(m[1]!)}:${n(m[2]!)}`;
}

/** Bridges named in the CNI isolation rules that no longer exist (networks removed during the test, e.g. by an undo). */
function staleIsolationBridges(): string[] {
  const rules = spawnSync('iptables', ['-S', 'CNI-ISOLATION-STAGE-1'], { encoding: 'utf8' }).stdout ?? '';
  const named = [...rules.matchAll(/-i (cni-podman\d+) /g)].map((m) => m[1]!);
  return named.filter((b) => spawnSync('ip', ['link', 'show', b], { stdio: 'ignore' }).status !== 0);
}

/** Removes the CNI firewall plugin's isolation rules that name `bridge` (Podman 4.3 leaves them when a network is removed). */
function dropIsolationRules(bridge: string): void {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(bridge)) return;
  for (const chain of ['CNI-ISOLATION-STAGE-1', 'CNI-ISOLATION-STAGE-2']) {
    const rules = spawnSync('iptables', ['-S', chain], { encoding: 'utf8' }).stdout ?? '';
    for (const rule of rules.split('\n').filter((r) => r.startsWith('-A ') && new RegExp(`(?:-i|-o) ${bridge.replace(/\./g, '\\.')}(?: |$)`).test(r))) {
      spawnSync('sh', ['-c', `iptables -D ${rule.slice(3)}`], { stdio: 'ignore' });
    }
  }
}

export async function startPodman(): Promise<TestPodman> {
  const podmanBin = requireTool('podman', 'podman');
  requireTool('runc', 'runc');
  requireTool('conmon', 'conmon');
  if (process.getuid?.() !== 0) throw new Error('startPodman: the Podman service must run as root in the test environment');

  // Unix socket paths are limited to ~107 bytes: keep the root short and outside os.tmpdir().
  const root = mkdtempSync('/tmp/fpm-');
  const socketPath = join(root, 'podman.sock');
  for (const d of ['storage', 'run', 'cni', 'tmp', 'volumes']) mkdirSync(join(root, d));
  const containersConf = join(root, 'containers.conf');
  const storageConf = join(root, 'storage.conf');
  writeFileSync(
    containersConf,
    [
      '[containers]',
      `default_ulimits = ["nofile=${ownLimit('Max open files')}", "nproc=${ownLimit('Max processes', Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')))}"]`,
      'log_driver = "k8s-file"',
      '[network]',
      'network_backend = "cni"',
      `network_config_dir = "${join(root, 'cni')}"`,
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${join(root, 'events.log')}"`,
      // crun refuses hybrid cgroup hosts; runc (as Docker uses) runs everywhere the Docker tests do.
      'runtime = "runc"',
      `tmp_dir = "${join(root, 'tmp')}"`,
      `volume_path = "${join(root, 'volumes')}"`,
      '',
    ].join('\n'),
  );
  writeFileSync(storageConf, ['[storage]', 'driver = "overlay"', `graphroot = "${join(root, 'storage')}"`, `runroot = "${join(root, 'run')}"`, ''].join('\n'));
  const configEnv = { CONTAINERS_CONF: containersConf, CONTAINERS_STORAGE_CONF: storageConf };
  const cliEnv: NodeJS.ProcessEnv = { ...process.env, ...configEnv, CONTAINER_HOST: `unix://${socketPath}` };
  delete cliEnv.DOCKER_HOST;

  const logPath = join(root, 'podman.log');
  const logFd = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      podmanBin,
      ['--root', join(root, 'storage'), '--runroot', join(root, 'run'), '--log-level=warn', 'system', 'service', '--time=0', `unix://${socketPath}`],
      { stdio: ['ignore', logFd, logFd], env: { ...process.env, ...configEnv } },
    );
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(-1));
  });
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const docker = new Dockerode({ socketPath });
  const podman = async (args: string[]): Promise<string> => {
    try {
      return (await promisify(execFile)(podmanBin, args, { env: cliEnv, maxBuffer: 16 << 20 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`podman ${args.join(' ')} failed: ${e.stderr || e.message}`);
    }
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', killOnExit);
    if (exitCode === undefined) {
      // Everything this service holds goes first: containers (with their CNI state), then networks and volumes.
      const all = await docker.listContainers({ all: true }).catch(() => []);
      await Promise.all(all.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
      const bridges = (await podman(['network', 'ls', '--format', '{{.NetworkInterface}}']).catch(() => '')).split('\n').filter(Boolean);
      const nets = await docker.listNetworks().catch(() => []);
      await Promise.all(nets.filter((n) => n.Name !== 'podman').map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
      for (const b of new Set([...bridges, ...staleIsolationBridges()])) dropIsolationRules(b);
      const vols = (await docker.listVolumes().catch(() => ({ Volumes: [] }))).Volumes ?? [];
      await Promise.all(vols.map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    unmountUnder(root);
    rmSync(root, { recursive: true, force: true });
  };

  try {
    await waitForPing(docker, () => exitCode !== undefined, logPath);
  } catch (err) {
    await stop();
    throw err;
  }
  return { socketPath, dockerHost: `unix://${socketPath}`, root, docker, cliEnv, podman, stop };
}

async function waitForPing(docker: Dockerode, hasExited: () => boolean, logPath: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let delay = 20;
  let last: unknown;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`podman system service exited during startup:\n${tail(logPath)}`);
    try {
      await docker.ping();
      return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
  throw new Error(`podman system service did not answer /_ping within ${READY_TIMEOUT_MS} ms (${String(last)}):\n${tail(logPath)}`);
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '(no podman log)';
  }
}

/** Unmounts anything still mounted under `root` (overlay layers, shm, netns), deepest first. */
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
