import type Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadIntoDocker } from '../../src/main/docker/docker-loader';
import { engineInfo } from '../../src/main/install/engine/engine-info';
import { gpuPreflight } from '../../src/main/install/engine/gpu-preflight';
import { gpuHostConfig } from '../../src/main/install/engine/gpu-request';
import { startDockerd, type TestDockerd } from '../harness/dockerd';
import { tempDir } from '../harness/temp';
import { buildTestImages } from '../harness/test-images';

const tmp = tempDir('ferry-engine-gpu-');
let engine: TestDockerd | undefined;
let docker: Dockerode;

beforeAll(async () => {
  engine = await startDockerd();
  docker = engine.docker;
  const { layoutDir, images } = await buildTestImages(tmp.path);
  await loadIntoDocker(docker, layoutDir, [{ manifestDigest: images[0]!.manifestDigest, tag: 'busybox:1.0' }]);
});

afterAll(async () => {
  await engine?.stop();
  tmp.cleanup();
});

describe('on this GPU-less Docker host', () => {
  test('engineInfo: Docker, its version, no nvidia runtime, no CDI devices', async () => {
    const info = await engineInfo(docker);
    const version = await docker.version();
    expect(info).toMatchObject({ kind: 'docker', version: version.Version, nvidiaRuntime: false, cdiDevices: [] });
    expect(info.runtimes).toContain('runc');
    expect(info.runtimes).not.toContain('nvidia');
  });

  test('gpuPreflight refuses with the no-GPU message and what to install', async () => {
    const view = await gpuPreflight(docker, { neededBytes: 52 * 2 ** 30 });
    expect(view.ok).toBe(false);
    expect(view.engine).toMatchObject({ kind: 'docker', nvidiaRuntime: false });
    expect(view.gpus).toEqual([]);
    expect(view.message).toMatch(/^No NVIDIA GPU found: nvidia-smi is not installed/);
    expect(view.message).toContain('no nvidia runtime is registered');
    expect(view.hint).toMatch(/NVIDIA driver.*NVIDIA Container Toolkit/);
  });

  test('a container asking for all GPUs carries the nvidia device request; the engine refuses to start it here', async () => {
    const c = await docker.createContainer({
      Image: 'busybox:1.0',
      Cmd: ['/bin/true'],
      HostConfig: { NetworkMode: 'none', ...gpuHostConfig('docker', 'all') },
    });
    try {
      const inspected = await c.inspect();
      const requests = (inspected.HostConfig as { DeviceRequests?: unknown[] }).DeviceRequests;
      expect(requests).toHaveLength(1);
      expect(requests).toMatchObject([{ Driver: 'nvidia', Count: -1, Capabilities: [['gpu']] }]);
      await expect(c.start()).rejects.toThrow(/could not select device driver "nvidia"/);
    } finally {
      await c.remove({ force: true });
    }
  });

  test('the Podman shape (CDI device request, label=disable) is a valid Docker-compatible HostConfig', async () => {
    const c = await docker.createContainer({
      Image: 'busybox:1.0',
      Cmd: ['/bin/true'],
      HostConfig: { NetworkMode: 'none', ...gpuHostConfig('podman', 2) },
    });
    try {
      const hc = (await c.inspect()).HostConfig as { DeviceRequests?: unknown[]; SecurityOpt?: string[] };
      expect(hc.DeviceRequests).toMatchObject([{ Driver: 'cdi', DeviceIDs: ['nvidia.com/gpu=0', 'nvidia.com/gpu=1'], Capabilities: [['cdi']] }]);
      expect(hc.SecurityOpt).toEqual(['label=disable']);
    } finally {
      await c.remove({ force: true });
    }
  });
});
