import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { planDockerArchive } from '../../src/main/docker/docker-archive';
import { dockerFromEnv, ENGINE_HINT, loadIntoDocker } from '../../src/main/docker/docker-loader';
import { CanceledError, FerryError } from '../../src/shared/errors';
import { startDockerd, type TestDockerd } from '../harness/dockerd';
import { freePort } from '../harness/ports';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';
import { buildTestImages, HELLO_TEXT, HTTPD_PORT, pushTestImages, sha256, type TestImage } from '../harness/test-images';

const tmp = tempDir('ferry-dload-');
let engine: TestDockerd | undefined;
let docker: Dockerode;
let layoutDir: string;
let busybox: TestImage;
let hello: TestImage;

beforeAll(async () => {
  engine = await startDockerd();
  docker = engine.docker;
  const built = await buildTestImages(tmp.path);
  layoutDir = built.layoutDir;
  [busybox, hello] = built.images as [TestImage, TestImage];
});

afterAll(async () => {
  await engine?.stop();
  tmp.cleanup();
});

async function run(image: string, cmd: string[]): Promise<{ code: number; out: string }> {
  const c = await docker.createContainer({ Image: image, Cmd: cmd, Tty: true, HostConfig: { NetworkMode: 'none' } });
  try {
    await c.start();
    const { StatusCode } = (await c.wait()) as { StatusCode: number };
    const logs = await c.logs({ stdout: true, stderr: true, follow: false });
    return { code: StatusCode, out: logs.toString() };
  } finally {
    await c.remove({ force: true });
  }
}

async function exec(c: Dockerode.Container, cmd: string[]): Promise<{ code: number; out: string }> {
  const e = await c.exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await e.start({ hijack: true, stdin: false, Tty: true });
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return { code: (await e.inspect()).ExitCode ?? -1, out };
}

async function tagExists(tag: string): Promise<boolean> {
  return docker.getImage(tag).inspect().then(() => true, () => false);
}

describe('loadIntoDocker', () => {
  test('loads two images sharing a layer; IDs are the config digests; tags resolve', async () => {
    let sent = 0;
    const requests = [
      { manifestDigest: busybox.manifestDigest, tag: 'busybox:1.0' },
      { manifestDigest: hello.manifestDigest, tag: '127.0.0.1:5002/duo/hello:1.0' },
    ];
    const plan = await planDockerArchive(layoutDir, requests.map((r) => ({ manifestDigest: r.manifestDigest, repoTags: [] })));
    const loaded = await loadIntoDocker(docker, layoutDir, requests, { onBytes: (n) => (sent += n) });
    expect(loaded).toEqual([
      { tag: 'busybox:1.0', imageId: busybox.configDigest },
      { tag: '127.0.0.1:5002/duo/hello:1.0', imageId: hello.configDigest },
    ]);
    expect(sent).toBe(plan.totalBytes);
    const a = await docker.getImage('busybox:1.0').inspect();
    const b = await docker.getImage('127.0.0.1:5002/duo/hello:1.0').inspect();
    expect(a.Id).toBe(busybox.configDigest);
    expect(b.Id).toBe(hello.configDigest);
    expect(b.RootFS.Layers?.[0]).toBe(a.RootFS.Layers?.[0]);
    expect(b.RootFS.Layers).toHaveLength(2);
  });

  test('the loaded images run: echo, cat of the second layer, httpd from the default Cmd', async () => {
    expect(await run('busybox:1.0', ['/bin/echo', 'ferry says hi'])).toEqual({ code: 0, out: 'ferry says hi\r\n' });
    const cat = await run('127.0.0.1:5002/duo/hello:1.0', ['cat', '/srv/hello.txt']);
    expect(cat).toEqual({ code: 0, out: HELLO_TEXT.replace('\n', '\r\n') });

    const c = await docker.createContainer({ Image: '127.0.0.1:5002/duo/hello:1.0', HostConfig: { NetworkMode: 'none' } });
    try {
      await c.start();
      let res = { code: -1, out: '' };
      for (let i = 0; i < 50 && res.code !== 0; i++) {
        res = await exec(c, ['wget', '-q', '-O', '-', `http://127.0.0.1:${HTTPD_PORT}/hello.txt`]);
      }
      expect(res.code).toBe(0);
      expect(res.out.replace(/\r\n/g, '\n')).toBe(HELLO_TEXT);
    } finally {
      await c.remove({ force: true });
    }
  });

  test('a missing layer blob fails with its digest before anything is loaded or tagged', async () => {
    const broken = join(tmp.path, 'missing-layer');
    cpSync(layoutDir, broken, { recursive: true });
    const lost = hello.layers[1]!;
    rmSync(join(broken, 'blobs/sha256', lost.slice(7)));
    const err = await loadIntoDocker(docker, broken, [
      { manifestDigest: busybox.manifestDigest, tag: 'broken/busybox:1' },
      { manifestDigest: hello.manifestDigest, tag: 'broken/hello:1' },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as Error).message).toContain(lost);
    expect(await tagExists('broken/busybox:1')).toBe(false);
    expect(await tagExists('broken/hello:1')).toBe(false);
  });

  test("the engine's own error (diff_id mismatch) becomes a FerryError and nothing is tagged", async () => {
    const dir = join(tmp.path, 'bad-diffid');
    cpSync(layoutDir, dir, { recursive: true });
    const blob = (d: string): string => join(dir, 'blobs/sha256', d.slice(7));
    const put = (data: string): { digest: string; size: number } => {
      const digest = sha256(data);
      writeFileSync(blob(digest), data);
      return { digest, size: Buffer.byteLength(data) };
    };
    const manifest = JSON.parse(readFileSync(blob(busybox.manifestDigest), 'utf8'));
    const config = JSON.parse(readFileSync(blob(busybox.configDigest), 'utf8'));
    config.rootfs.diff_ids = [sha256('not the layer')];
    manifest.config = { ...manifest.config, ...put(JSON.stringify(config)) };
    const bad = put(JSON.stringify(manifest));
    const err = await loadIntoDocker(docker, dir, [{ manifestDigest: bad.digest, tag: 'bad/diffid:1' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as Error).message).toMatch(/docker load failed: .*diff/i);
    expect(await tagExists('bad/diffid:1')).toBe(false);
  });

  test('cancel while streaming: CanceledError, nothing tagged', async () => {
    const ac = new AbortController();
    const err = await loadIntoDocker(docker, layoutDir, [{ manifestDigest: hello.manifestDigest, tag: 'canceled/hello:1' }], {
      signal: ac.signal,
      onBytes: () => ac.abort(),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CanceledError);
    expect(await tagExists('canceled/hello:1')).toBe(false);
    expect(await docker.ping()).toBeTruthy();
  });

  test('an unreachable engine gives a FerryError with the DOCKER_HOST hint', async () => {
    const gone = dockerFromEnv(`unix://${join(tmp.path, 'no-such.sock')}`);
    const err = await loadIntoDocker(gone, layoutDir, [{ manifestDigest: busybox.manifestDigest, tag: 'x:1' }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).hint).toBe(ENGINE_HINT);
    expect((err as Error).message).toContain('no-such.sock');
  });

  test('bad tags are rejected before anything is sent', async () => {
    for (const tag of ['UPPER:1', 'x@sha256:abc', 'a:b:c', 'x:-bad']) {
      await expect(loadIntoDocker(docker, layoutDir, [{ manifestDigest: busybox.manifestDigest, tag }])).rejects.toThrow(/Invalid image tag/);
    }
  });
});

describe('pushTestImages', () => {
  test('skopeo pushes the layout to a docker-registry with digests preserved; the engine can pull them', async () => {
    const registryBin = requireTool('docker-registry', 'docker-registry');
    const port = await freePort();
    const root = join(tmp.path, 'registry');
    mkdirSync(root);
    const config = join(tmp.path, 'registry.yml');
    writeFileSync(
      config,
      `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${root}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
    );
    const reg = spawn(registryBin, ['serve', config], { stdio: 'ignore' });
    const exited = new Promise((r) => reg.once('exit', r));
    try {
      let up = false;
      for (let i = 0; i < 100 && !up; i++) {
        up = await fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false);
        if (!up) await new Promise((r) => setTimeout(r, 50));
      }
      expect(up).toBe(true);
      const pushed = await pushTestImages(layoutDir, `127.0.0.1:${port}`, 'ferry/test');
      expect(pushed).toEqual([
        { ref: `127.0.0.1:${port}/ferry/test/busybox:1.0`, digest: busybox.manifestDigest },
        { ref: `127.0.0.1:${port}/ferry/test/hello:1.0`, digest: hello.manifestDigest },
      ]);
      const pulled = await docker.pull(pushed[1]!.ref);
      await new Promise((resolve, reject) => docker.modem.followProgress(pulled, (e) => (e ? reject(e) : resolve(null))));
      expect((await docker.getImage(pushed[1]!.ref).inspect()).Id).toBe(hello.configDigest);
    } finally {
      reg.kill('SIGTERM');
      await exited;
    }
  });
});

describe('startDockerd', () => {
  test('stop() with a running container leaves no process, mount or temp dir behind', async () => {
    const second = await startDockerd();
    try {
      await loadIntoDocker(second.docker, layoutDir, [{ manifestDigest: busybox.manifestDigest, tag: 'busybox:1.0' }]);
      const c = await second.docker.createContainer({ Image: 'busybox:1.0', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none' } });
      await c.start();
    } finally {
      await second.stop();
    }
    const root = second.root!;
    expect(existsSync(root)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);
    const leftovers = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(root);
        } catch {
          return false;
        }
      });
    expect(leftovers).toEqual([]);
  });
});
