import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { requireTool } from './require-tool';

/**
 * An "outside host" for egress tests: its own network namespace `ferry-out-<hex>`, joined to
 * the host by a veth pair (host side 10.214.<n>.1/30, namespace side 10.214.<n>.2/30, default
 * route back through the host), with busybox httpd listening on 10.214.<n>.2:8080 inside.
 * `block()` inserts a DROP rule for that address at the top of iptables' DOCKER-USER chain
 * (what an air-gap firewall does to containers' traffic); `unblock()` deletes it. `stop()`
 * removes the listener, the rule, the veth pair and the namespace. Needs root, iproute2,
 * iptables and busybox; DOCKER-USER exists once a networked dockerd runs.
 */
export interface OutsideHost {
  netns: string;
  /** The address inside the namespace, e.g. 10.214.37.2. */
  address: string;
  port: number;
  /** `address:port`, the form egress targets take. */
  target: string;
  block(): void;
  unblock(): void;
  /** Drops TCP to the listener inside the namespace itself (also for connections from the host): connects time out. */
  dropInside(): void;
  acceptInside(): void;
  stop(): void;
}

export const OUTSIDE_PORT = 8080;

export async function startOutsideHost(): Promise<OutsideHost> {
  if (process.getuid?.() !== 0) throw new Error('startOutsideHost: network namespaces and iptables need root in the test environment');
  const ip = requireTool('ip', 'iproute2');
  const iptables = requireTool('iptables', 'iptables');
  const busybox = requireTool('busybox', 'busybox-static');

  const id = randomBytes(3).toString('hex');
  const netns = `ferry-out-${id}`;
  const hostIf = `fo${id}h`;
  const nsIf = `fo${id}n`;
  const n = pickSubnet(ip);
  const hostAddr = `10.214.${n}.1`;
  const address = `10.214.${n}.2`;
  const rule = ['DOCKER-USER', '-d', `${address}/32`, '-j', 'DROP'];
  const www = mkdtempSync('/tmp/ferry-out-www-');
  writeFileSync(join(www, 'index.html'), 'outside\n');
  let listener: ChildProcess | undefined;
  let stopped = false;

  const run = (bin: string, args: string[]): void => {
    const r = spawnSync(bin, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${bin} ${args.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error ?? '')).trim()}`);
  };
  const ruleExists = (): boolean => spawnSync(iptables, ['-C', ...rule], { stdio: 'ignore' }).status === 0;

  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    listener?.kill('SIGKILL');
    while (ruleExists()) spawnSync(iptables, ['-D', ...rule], { stdio: 'ignore' });
    spawnSync(ip, ['link', 'del', hostIf], { stdio: 'ignore' });
    spawnSync(ip, ['netns', 'del', netns], { stdio: 'ignore' });
    rmSync(www, { recursive: true, force: true });
    process.removeListener('exit', stop);
  };
  process.once('exit', stop);

  try {
    run(ip, ['netns', 'add', netns]);
    run(ip, ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    run(ip, ['link', 'set', nsIf, 'netns', netns]);
    run(ip, ['addr', 'add', `${hostAddr}/30`, 'dev', hostIf]);
    run(ip, ['link', 'set', hostIf, 'up']);
    run(ip, ['-n', netns, 'addr', 'add', `${address}/30`, 'dev', nsIf]);
    run(ip, ['-n', netns, 'link', 'set', nsIf, 'up']);
    run(ip, ['-n', netns, 'link', 'set', 'lo', 'up']);
    run(ip, ['-n', netns, 'route', 'add', 'default', 'via', hostAddr]);
    listener = spawn(ip, ['netns', 'exec', netns, busybox, 'httpd', '-f', '-p', `${address}:${OUTSIDE_PORT}`, '-h', www], { stdio: 'ignore' });
    await waitForListener(address, OUTSIDE_PORT, listener);
  } catch (err) {
    stop();
    throw err;
  }

  return {
    netns,
    address,
    port: OUTSIDE_PORT,
    target: `${address}:${OUTSIDE_PORT}`,
    block: () => {
      if (spawnSync(iptables, ['-n', '-L', 'DOCKER-USER'], { stdio: 'ignore' }).status !== 0) {
        throw new Error('OutsideHost.block: iptables has no DOCKER-USER chain; start a networked dockerd (startDockerd({ networking: true })) first');
      }
      if (!ruleExists()) run(iptables, ['-I', 'DOCKER-USER', '1', ...rule.slice(1)]);
    },
    unblock: () => {
      while (ruleExists()) run(iptables, ['-D', ...rule]);
    },
    dropInside: () => run(ip, ['netns', 'exec', netns, iptables, '-I', 'INPUT', '-p', 'tcp', '--dport', String(OUTSIDE_PORT), '-j', 'DROP']),
    acceptInside: () => {
      while (spawnSync(ip, ['netns', 'exec', netns, iptables, '-D', 'INPUT', '-p', 'tcp', '--dport', String(OUTSIDE_PORT), '-j', 'DROP'], { stdio: 'ignore' }).status === 0);
    },
    stop,
  };
}

/** A third octet whose 10.214.<n>.0/30 no interface on the host uses yet. */
function pickSubnet(ip: string): number {
  const used = spawnSync(ip, ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' }).stdout ?? '';
  for (let tries = 0; tries < 64; tries += 1) {
    const n = randomBytes(1)[0]!;
    if (!used.includes(`10.214.${n}.`)) return n;
  }
  throw new Error('startOutsideHost: no free 10.214.<n>.0/30 subnet');
}

/** Polls a TCP connect from the host to the namespace's listener, with a deadline. */
async function waitForListener(host: string, port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => (exited = true));
  let delay = 20;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`startOutsideHost: busybox httpd in the namespace exited before listening on ${host}:${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port, timeout: 1000 }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.once('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
  throw new Error(`startOutsideHost: nothing listened on ${host}:${port} within 10 s`);
}
