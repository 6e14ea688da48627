import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadIntoDocker } from '../../src/main/docker/docker-loader';
import { checkEgress, parseTarget } from '../../src/main/install/engine/egress-check';
import { PROBE_SCRIPT, readProbeOutput } from '../../src/main/install/engine/egress-probe';
import { UsageError } from '../../src/shared/errors';
import { startDockerd, type TestDockerd } from '../harness/dockerd';
import { startOutsideHost, type OutsideHost } from '../harness/netns';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';
import { HTTPD_PORT, makeBusyboxLayer, makeLayerTar, writeOciImage, type TestImage } from '../harness/test-images';

// Only loopback (the engine's socket), this file's containers and its own network namespace are contacted.
const tmp = tempDir('ferry-egress-');
let engine: TestDockerd | undefined;
let outside: OutsideHost | undefined;
let docker: Dockerode;
let network: Dockerode.Network | undefined;
const started: Record<string, { name: string; id: string }> = {};
let internalIp = '';
const TIMEOUT_MS = 2000;

async function buildImages(layoutDir: string): Promise<TestImage[]> {
  const base = await makeBusyboxLayer();
  const busybox = readFileSync(requireTool('busybox', 'busybox-static'));
  const etc = [
    { path: 'etc/', type: 'directory' as const },
    { path: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
  ];
  const httpd = await makeLayerTar([{ path: 'srv/', type: 'directory' }, { path: 'srv/health', content: 'ok\n' }]);
  // busybox copied as /bin/sh only: a shell, but no python3, bash, nc, curl, wget or busybox file on PATH.
  const shOnly = await makeLayerTar([{ path: 'bin/', type: 'directory' }, { path: 'bin/sh', content: busybox, mode: 0o755 }, ...etc]);
  // busybox copied as /bin/sleep only: no shell at all (like a distroless image).
  const noShell = await makeLayerTar([{ path: 'bin/', type: 'directory' }, { path: 'bin/sleep', content: busybox, mode: 0o755 }, ...etc]);
  return [
    writeOciImage(layoutDir, { name: 'egress-busybox:1.0', layers: [base], cmd: ['/bin/sh'] }),
    writeOciImage(layoutDir, { name: 'egress-httpd:1.0', layers: [base, httpd], cmd: ['/bin/httpd', '-f', '-p', String(HTTPD_PORT), '-h', '/srv'], exposedPorts: [`${HTTPD_PORT}/tcp`] }),
    writeOciImage(layoutDir, { name: 'egress-sh-only:1.0', layers: [shOnly], cmd: ['/bin/sh'] }),
    writeOciImage(layoutDir, { name: 'egress-no-shell:1.0', layers: [noShell], cmd: ['/bin/sleep', '3600'] }),
  ];
}

async function run(name: string, image: string, netName: string): Promise<{ name: string; id: string }> {
  const c = await docker.createContainer({ name, Image: image, OpenStdin: true, HostConfig: { NetworkMode: netName } });
  await c.start();
  return { name, id: c.id };
}

beforeAll(async () => {
  engine = await startDockerd({ networking: true });
  docker = engine.docker;
  outside = await startOutsideHost();
  const layoutDir = `${tmp.path}/layout`;
  const images = await buildImages(layoutDir);
  await loadIntoDocker(docker, layoutDir, images.map((i) => ({ manifestDigest: i.manifestDigest, tag: i.name })));
  const netName = `ferry-egress-${randomBytes(3).toString('hex')}`;
  network = await docker.createNetwork({ Name: netName, Driver: 'bridge' });
  started.app = await run('app', 'egress-busybox:1.0', netName);
  started.internal = await run('internal-svc', 'egress-httpd:1.0', netName);
  started.shOnly = await run('sh-only', 'egress-sh-only:1.0', netName);
  started.noShell = await run('no-shell', 'egress-no-shell:1.0', netName);
  const inspected = await docker.getContainer(started.internal.id).inspect();
  internalIp = inspected.NetworkSettings.Networks[netName]!.IPAddress;
  expect(internalIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
}, 900_000);

afterAll(async () => {
  outside?.stop();
  for (const c of Object.values(started)) await docker.getContainer(c.id).remove({ force: true }).catch(() => undefined);
  await network?.remove().catch(() => undefined);
  await engine?.stop();
  tmp.cleanup();
});

const appAndService = (): { name: string; id: string }[] => [started.app!, started.internal!];

describe('checkEgress', () => {
  test('with the outside host reachable: ok=false, naming the container and the target', async () => {
    outside!.unblock();
    const report = await checkEgress(docker, appAndService(), { outside: [outside!.target], internal: [`http://${internalIp}:${HTTPD_PORT}/health`], timeoutMs: TIMEOUT_MS });
    expect(report.ok).toBe(false);
    const leak = report.results.find((r) => r.container === 'app' && r.target === outside!.target);
    expect(leak).toMatchObject({ expect: 'unreachable', outcome: 'reachable', ok: false });
    expect(leak!.detail).toBe(`app connected to ${outside!.target} (busybox nc)`);
    expect(report.results.filter((r) => !r.ok).map((r) => r.container).sort()).toEqual(['app', 'internal-svc']);
    expect(Date.parse(report.checkedAt)).not.toBeNaN();
  });

  test('after the firewall blocks it: outside unreachable, internal reachable, ok=true', async () => {
    outside!.block();
    try {
      const report = await checkEgress(docker, appAndService(), { outside: [outside!.target], internal: [`http://${internalIp}:${HTTPD_PORT}/health`], timeoutMs: TIMEOUT_MS });
      expect(report.results).toHaveLength(4);
      for (const r of report.results) {
        if (r.target === outside!.target) expect(r).toMatchObject({ expect: 'unreachable', outcome: 'unreachable', ok: true, detail: 'no answer within 2 s (busybox nc)' });
        else expect(r).toMatchObject({ expect: 'reachable', outcome: 'reachable', ok: true });
      }
      expect(report.ok).toBe(true);
    } finally {
      outside!.unblock();
    }
  });

  test('a closed port is refused, not reachable', async () => {
    const closed = `${outside!.address}:${outside!.port + 1}`;
    const report = await checkEgress(docker, [started.app!], { outside: [closed], timeoutMs: TIMEOUT_MS });
    expect(report).toMatchObject({ ok: true, results: [{ container: 'app', target: closed, outcome: 'unreachable', detail: 'connection refused (busybox nc)' }] });
  });

  test('an internal target that is down fails the check', async () => {
    outside!.block();
    try {
      const down = `${internalIp}:${HTTPD_PORT + 1}`;
      const report = await checkEgress(docker, [started.app!], { outside: [outside!.target], internal: [down], timeoutMs: TIMEOUT_MS });
      expect(report.ok).toBe(false);
      expect(report.results[1]).toMatchObject({ target: down, expect: 'reachable', outcome: 'unreachable', ok: false });
      expect(report.results[1]!.detail).toMatch(/^connection refused \(busybox nc\): .*Connection refused/);
    } finally {
      outside!.unblock();
    }
  });

  test('an image without any probe tool, or without a shell, gives error with the reason', async () => {
    const report = await checkEgress(docker, [started.shOnly!, started.noShell!], { outside: [outside!.target], timeoutMs: TIMEOUT_MS });
    expect(report.ok).toBe(false);
    const [shOnly, noShell] = report.results;
    expect(shOnly).toMatchObject({ container: 'sh-only', outcome: 'error', ok: false, detail: "no probe tool in sh-only's image: none of python3, bash, nc, curl, wget, busybox is on its PATH" });
    expect(noShell).toMatchObject({ container: 'no-shell', outcome: 'error', ok: false });
    expect(noShell!.detail).toMatch(/no-shell's image has no sh/);
  });

  test('a stopped container gives error, never ok', async () => {
    const c = await docker.createContainer({ name: 'stopped', Image: 'egress-busybox:1.0', HostConfig: { NetworkMode: 'none' } });
    try {
      const report = await checkEgress(docker, [{ name: 'stopped', id: c.id }], { outside: [outside!.target], timeoutMs: TIMEOUT_MS });
      expect(report.ok).toBe(false);
      expect(report.results[0]).toMatchObject({ outcome: 'error', ok: false, detail: expect.stringMatching(/^could not run the probe in stopped: .*not running/) });
    } finally {
      await c.remove({ force: true });
    }
  });
});

describe('egress targets', () => {
  test('host:port, [IPv6]:port and, for internal targets, http(s) URLs', () => {
    expect(parseTarget('10.0.0.5:443', 'egress.outside', false)).toEqual({ raw: '10.0.0.5:443', host: '10.0.0.5', port: 443 });
    expect(parseTarget('[fd00::1]:53', 'egress.outside', false)).toMatchObject({ host: 'fd00::1', port: 53 });
    expect(parseTarget('ai_gateway:5052', 'egress.internal', true)).toMatchObject({ host: 'ai_gateway', port: 5052 });
    expect(parseTarget('https://gitlab.example.com/api/v4', 'egress.internal', true)).toMatchObject({ host: 'gitlab.example.com', port: 443 });
    expect(parseTarget('http://vllm:8000/v1/models', 'egress.internal', true)).toMatchObject({ host: 'vllm', port: 8000 });
    expect(parseTarget('http://[fd00::2]/', 'egress.internal', true)).toMatchObject({ host: 'fd00::2', port: 80 });
  });

  test('bad targets are usage errors naming the target', async () => {
    const bad: [string, boolean, RegExp][] = [
      ['example.com', false, /expected host:port/],
      ['example.com:0', false, /port "0"/],
      ['example.com:65536', false, /port "65536"/],
      ['a b:80', false, /host "a b"/],
      ['-bad.example:80', false, /host "-bad.example"/],
      ['999.1.1.1:80', false, /host "999.1.1.1"/],
      [':80', false, /no host/],
      ['http://example.com/', false, /a URL; use host:port/],
      ['ftp://example.com/', true, /scheme ftp:/],
      ['[not-v6]:80', false, /not an IPv6/],
    ];
    for (const [raw, allowUrl, why] of bad) {
      expect(() => parseTarget(raw, 'egress.outside', allowUrl)).toThrow(UsageError);
      expect(() => parseTarget(raw, 'egress.outside', allowUrl)).toThrow(new RegExp(`^egress.outside: bad target ${JSON.stringify(raw).replace(/[[\]]/g, '\\$&')} \\(${why.source}`));
    }
    await expect(checkEgress(docker, [started.app!], { outside: ['nope'] })).rejects.toThrow(/egress.outside: bad target "nope"/);
    await expect(checkEgress(docker, [started.app!], { outside: [] })).rejects.toThrow(UsageError);
    await expect(checkEgress(docker, [started.app!], { outside: [outside!.target], internal: ['gopher://x:70'] })).rejects.toThrow(/egress.internal: bad target/);
  });
});

describe('the probe script, tool by tool (run on this host against the outside namespace)', () => {
  // Each PATH holds one probe tool (plus sleep for the watchdog, except for bash, whose own read -t is the watchdog).
  const tools: [string, string[]][] = [
    ['python3', ['/usr/bin/python3']],
    ['bash', ['/usr/bin/bash']],
    ['busybox nc', [requireTool('busybox', 'busybox-static')]],
    ['curl', [requireTool('curl', 'curl')]],
    ['wget', [requireTool('wget', 'wget')]],
  ];
  const pathFor = (tool: string, bins: string[]): string => {
    const dir = `${tmp.path}/path-${tool.replace(/\W/g, '_')}`;
    mkdirSync(dir, { recursive: true });
    for (const b of tool === 'bash' ? bins : [...bins, '/usr/bin/sleep']) {
      const name = b.split('/').pop()!;
      try {
        symlinkSync(b, `${dir}/${name}`);
      } catch {
        // already there from an earlier case
      }
    }
    return dir;
  };
  const probe = async (tool: string, bins: string[], host: string, port: number): Promise<ReturnType<typeof readProbeOutput>> => {
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', PROBE_SCRIPT, 'ferry-probe', host, String(port), '1'], { env: { PATH: pathFor(tool, bins) }, timeout: 20_000 });
    return readProbeOutput(stdout);
  };

  test('connected, refused and timed out are told apart by every tool', async () => {
    const o = outside!;
    o.unblock();
    const connected = await Promise.all(tools.map(([tool, bins]) => probe(tool, bins, o.address, o.port)));
    const refused = await Promise.all(tools.map(([tool, bins]) => probe(tool, bins, o.address, o.port + 1)));
    o.dropInside();
    let timedOut: Awaited<ReturnType<typeof probe>>[];
    try {
      timedOut = await Promise.all(tools.map(([tool, bins]) => probe(tool, bins, o.address, o.port)));
    } finally {
      o.acceptInside();
    }
    expect(connected.map((r) => [r.tool, r.result])).toEqual(tools.map(([t]) => [t, 'connected']));
    expect(refused.map((r) => [r.tool, r.result])).toEqual(tools.map(([t]) => [t, 'refused']));
    expect(timedOut.map((r) => [r.tool, r.result])).toEqual(tools.map(([t]) => [t, 'timeout']));
  });
});
