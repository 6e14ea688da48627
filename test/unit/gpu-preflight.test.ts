import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { cdiDevicesFromSpecDirs, engineInfoFrom, type EngineInfo } from '../../src/main/install/engine/engine-info';
import { decidePreflight } from '../../src/main/install/engine/gpu-preflight';
import { parseNvidiaSmi } from '../../src/main/install/engine/nvidia-smi';
import { UsageError } from '../../src/shared/errors';
import { tempDir } from '../harness/temp';

const GIB = 2 ** 30;
const gib = (n: number): number => Math.round(n * GIB);

// nvidia-smi --query-gpu=index,name,uuid,memory.total,memory.used,memory.free,driver_version --format=csv,noheader,nounits
const H100 = parseNvidiaSmi('0, NVIDIA H100 80GB HBM3, GPU-3f8e5c1a-7b2d-4e9f-a1c6-2d8b9e0f4a17, 81559, 1, 81004, 550.90.07');
const A10X2 = parseNvidiaSmi(
  ['0, NVIDIA A10, GPU-8a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9, 23028, 0, 22515, 535.183.01', '1, NVIDIA A10, GPU-19f0e2d3-c4b5-46a7-9881-7a6b5c4d3e2f, 23028, 0, 22515, 535.183.01'].join('\n'),
);
const A10X1 = A10X2.slice(0, 1);
// Two of eight A100s already hold ~39 GiB each (another process): usable 32.6 GiB there, 72.0 GiB on the others.
const A100X8 = parseNvidiaSmi(
  Array.from({ length: 8 }, (_, i) => {
    const used = i < 2 ? 40311 : 4;
    return `${i}, NVIDIA A100-SXM4-80GB, GPU-${i}d6c1a52-94f3-3b77-8e21-5c0f9a2b7d10, 81920, ${used}, ${81920 - used - 467}, 535.161.08`;
  }).join('\n'),
);

// `docker info --format '{{json .}}'` / `docker version --format '{{json .Server}}'`, trimmed to what matters here.
const DOCKER_VERSION = {
  Platform: { Name: 'Docker Engine - Community' },
  Components: [
    { Name: 'Engine', Version: '28.3.2', Details: { ApiVersion: '1.51', Os: 'linux' } },
    { Name: 'containerd', Version: '1.7.27' },
    { Name: 'runc', Version: '1.2.5' },
  ],
  Version: '28.3.2',
  ApiVersion: '1.51',
};
const DOCKER_INFO_NVIDIA = {
  ServerVersion: '28.3.2',
  DefaultRuntime: 'runc',
  Runtimes: { 'io.containerd.runc.v2': { path: 'runc' }, nvidia: { path: 'nvidia-container-runtime' }, runc: { path: 'runc' } },
  CDISpecDirs: ['/etc/cdi', '/var/run/cdi'],
  DiscoveredDevices: [
    { Source: 'cdi', ID: 'nvidia.com/gpu=0' },
    { Source: 'cdi', ID: 'nvidia.com/gpu=GPU-3f8e5c1a-7b2d-4e9f-a1c6-2d8b9e0f4a17' },
    { Source: 'cdi', ID: 'nvidia.com/gpu=all' },
  ],
};
const DOCKER_INFO_PLAIN = { ServerVersion: '26.1.5+dfsg1', Runtimes: { 'io.containerd.runc.v2': { path: 'runc' }, runc: { path: 'runc' } } };
const PODMAN_VERSION = {
  Platform: { Name: 'linux/amd64/rhel-9.6' },
  Components: [
    { Name: 'Podman Engine', Version: '5.4.0', Details: { APIVersion: '5.4.0', Os: 'linux' } },
    { Name: 'Conmon', Version: 'conmon version 2.1.12' },
    { Name: 'OCI Runtime (crun)', Version: 'crun version 1.20' },
  ],
  Version: '5.4.0',
  ApiVersion: '1.41',
};
const PODMAN_INFO = { ServerVersion: '5.4.0', Runtimes: { crun: { path: '/usr/bin/crun' }, runc: { path: '/usr/bin/runc' } } };

const tmp = tempDir('ferry-preflight-');
afterAll(() => tmp.cleanup());

const dockerNvidia = engineInfoFrom(DOCKER_VERSION, DOCKER_INFO_NVIDIA);
const dockerPlain: EngineInfo = engineInfoFrom({ Version: '26.1.5+dfsg1' }, DOCKER_INFO_PLAIN);

describe('engineInfoFrom', () => {
  test('Docker with the NVIDIA Container Toolkit: nvidia runtime and CDI devices', () => {
    expect(dockerNvidia).toEqual({
      kind: 'docker',
      version: '28.3.2',
      apiVersion: '1.51',
      runtimes: ['io.containerd.runc.v2', 'nvidia', 'runc'],
      nvidiaRuntime: true,
      cdiDevices: ['nvidia.com/gpu=0', 'nvidia.com/gpu=GPU-3f8e5c1a-7b2d-4e9f-a1c6-2d8b9e0f4a17', 'nvidia.com/gpu=all'],
    });
  });

  test('Podman names itself in /version', () => {
    expect(engineInfoFrom(PODMAN_VERSION, PODMAN_INFO)).toMatchObject({ kind: 'podman', version: '5.4.0', nvidiaRuntime: false, cdiDevices: [] });
    expect(engineInfoFrom({ Platform: { Name: 'Podman Engine' }, Version: '4.9.4' }, {})).toMatchObject({ kind: 'podman', version: '4.9.4' });
  });

  test('missing fields are tolerated', () => {
    expect(engineInfoFrom(undefined, null)).toEqual({ kind: 'docker', version: 'unknown', runtimes: [], nvidiaRuntime: false, cdiDevices: [] });
  });
});

describe('cdiDevicesFromSpecDirs', () => {
  test('reads the spec nvidia-ctk cdi generate writes; skips other files and missing dirs', () => {
    const dir = join(tmp.path, 'cdi');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'nvidia.yaml'),
      [
        '---',
        'cdiVersion: 0.5.0',
        'kind: nvidia.com/gpu',
        'devices:',
        '- name: "0"',
        '  containerEdits:',
        '    deviceNodes:',
        '    - path: /dev/nvidia0',
        '- name: GPU-3f8e5c1a-7b2d-4e9f-a1c6-2d8b9e0f4a17',
        '  containerEdits:',
        '    deviceNodes:',
        '    - path: /dev/nvidia0',
        '- name: all',
        '  containerEdits:',
        '    deviceNodes:',
        '    - path: /dev/nvidia0',
        'containerEdits:',
        '  env:',
        '  - NVIDIA_VISIBLE_DEVICES=void',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'notes.txt'), 'kind: nvidia.com/gpu');
    writeFileSync(join(dir, 'broken.json'), '{ not json');
    expect(cdiDevicesFromSpecDirs([dir, join(tmp.path, 'missing')])).toEqual([
      'nvidia.com/gpu=0',
      'nvidia.com/gpu=GPU-3f8e5c1a-7b2d-4e9f-a1c6-2d8b9e0f4a17',
      'nvidia.com/gpu=all',
    ]);
  });
});

describe('decidePreflight: tensor-parallel size', () => {
  test('one H100 holds a 48 GB model on one GPU', () => {
    const v = decidePreflight(dockerNvidia, H100, { neededBytes: gib(52.3) });
    expect(v).toMatchObject({ ok: true, suggestedTensorParallel: 1, neededBytes: gib(52.3) });
    expect(v.message).toBe(
      'GPUs ready: Docker 28.3.2 with the nvidia runtime; 1 GPU (NVIDIA H100 80GB HBM3, 71.7 GiB usable). The model needs about 52.3 GiB; tensor parallel size 1 gives 71.7 GiB usable on one GPU.',
    );
    expect(v.gpus).toEqual([{ index: 0, name: 'NVIDIA H100 80GB HBM3', memoryTotalMiB: 81559, memoryFreeMiB: 81004 }]);
  });

  test('two A10s: a 30 GiB model needs both', () => {
    const v = decidePreflight(dockerNvidia, A10X2, { neededBytes: gib(30) });
    expect(v).toMatchObject({ ok: true, suggestedTensorParallel: 2 });
    expect(v.message).toContain('2 × 20.2 GiB = 40.5 GiB usable');
  });

  test('eight A100s, two busy: the smallest power of two over the GPUs with most free memory', () => {
    expect(decidePreflight(dockerNvidia, A100X8, { neededBytes: gib(60) }).suggestedTensorParallel).toBe(1);
    expect(decidePreflight(dockerNvidia, A100X8, { neededBytes: gib(130) }).suggestedTensorParallel).toBe(2);
    // 8 GPUs would give only 8 × 32.6 GiB (the busy ones limit every shard); the 4 idle ones give 4 × 72.0 GiB.
    const v = decidePreflight(dockerNvidia, A100X8, { neededBytes: gib(270) });
    expect(v).toMatchObject({ ok: true, suggestedTensorParallel: 4 });
    expect(v.message).toContain('8 × NVIDIA A100-SXM4-80GB, 32.6–72.0 GiB usable');
  });

  test('no estimate: the largest power of two of the GPUs there are', () => {
    expect(decidePreflight(dockerNvidia, A100X8, {})).toMatchObject({ ok: true, suggestedTensorParallel: 8 });
    expect(decidePreflight(dockerNvidia, A100X8.slice(0, 3), {})).toMatchObject({ ok: true, suggestedTensorParallel: 2 });
    expect(decidePreflight(dockerNvidia, A10X1, {}).message).toContain('No memory estimate in the bundle');
  });

  test('a requested size is checked instead of suggested', () => {
    expect(decidePreflight(dockerNvidia, A100X8, { neededBytes: gib(250), requestedTensorParallel: 8 })).toMatchObject({ ok: true, suggestedTensorParallel: 8 });
    const tooSmall = decidePreflight(dockerNvidia, A100X8, { neededBytes: gib(270), requestedTensorParallel: 8 });
    expect(tooSmall.ok).toBe(false);
    expect(tooSmall.message).toBe('The model needs about 270.0 GiB of GPU memory; tensor parallel size 8 gives 8 × 32.6 GiB = 261.1 GiB usable, which is not enough.');
    expect(tooSmall.hint).toBe('Use tensor parallel size 4: 4 × 72.0 GiB = 288.0 GiB usable.');
    const tooMany = decidePreflight(dockerNvidia, A10X2, { requestedTensorParallel: 4 });
    expect(tooMany).toMatchObject({ ok: false, message: 'Tensor parallel size 4 needs 4 GPUs; this host has 2 (2 × NVIDIA A10, 20.2 GiB usable each).', hint: 'Use tensor parallel size 2.' });
    expect(() => decidePreflight(dockerNvidia, A10X2, { requestedTensorParallel: 0 })).toThrow(UsageError);
  });
});

describe('decidePreflight: refusals', () => {
  test('too small: one A10 for a 52.3 GiB model', () => {
    const v = decidePreflight(dockerNvidia, A10X1, { neededBytes: gib(52.3) });
    expect(v.ok).toBe(false);
    expect(v.suggestedTensorParallel).toBeUndefined();
    expect(v.message).toBe('The model needs about 52.3 GiB of GPU memory; this host\'s 1 GPU (NVIDIA A10, 20.2 GiB usable) is not enough.');
    expect(v.hint).toMatch(/^Use a host with more GPU memory, or a smaller model \/ quantised weights/);
  });

  test('too small on every split: names the best one', () => {
    expect(decidePreflight(dockerNvidia, A10X2, { neededBytes: gib(52.3) }).message).toBe(
      'The model needs about 52.3 GiB of GPU memory; this host\'s 2 GPUs (2 × NVIDIA A10, 20.2 GiB usable each) are not enough: the best split, tensor parallel size 2, gives 2 × 20.2 GiB = 40.5 GiB usable.',
    );
    expect(decidePreflight(dockerNvidia, A100X8, { neededBytes: gib(300) }).message).toContain('the best split, tensor parallel size 4, gives 4 × 72.0 GiB = 288.0 GiB usable');
  });

  test('no nvidia-smi: plain words and what to install', () => {
    const v = decidePreflight(dockerPlain, { error: 'nvidia-smi is not installed (nvidia-smi was not found on this host)' }, { neededBytes: gib(52.3) });
    expect(v.ok).toBe(false);
    expect(v.gpus).toEqual([]);
    expect(v.message).toMatch(/^No NVIDIA GPU found: nvidia-smi is not installed/);
    expect(v.message).toContain('no nvidia runtime');
    expect(v.hint).toMatch(/NVIDIA driver.*NVIDIA Container Toolkit.*offline/);
  });

  test('nvidia-smi lists nothing', () => {
    expect(decidePreflight(dockerNvidia, [], {}).message).toBe('No NVIDIA GPU found: nvidia-smi lists no GPUs.');
  });

  test('Docker without the nvidia runtime or CDI devices', () => {
    const v = decidePreflight(dockerPlain, A10X2, { neededBytes: gib(10) });
    expect(v.ok).toBe(false);
    expect(v.message).toBe('Docker 26.1.5+dfsg1 cannot hand GPUs to containers: no nvidia runtime is registered (runtimes: io.containerd.runc.v2, runc) and it lists no CDI nvidia.com/gpu devices.');
    expect(v.hint).toContain('nvidia-ctk runtime configure --runtime=docker');
  });

  test('Docker with CDI devices only is enough', () => {
    const cdiOnly = { ...dockerPlain, cdiDevices: ['nvidia.com/gpu=0', 'nvidia.com/gpu=all'] };
    const v = decidePreflight(cdiOnly, H100, {});
    expect(v.ok).toBe(true);
    expect(v.message).toContain('with CDI devices nvidia.com/gpu=0, nvidia.com/gpu=all');
  });
});

describe('decidePreflight: Podman', () => {
  const podman = engineInfoFrom(PODMAN_VERSION, PODMAN_INFO);

  test('with CDI nvidia.com/gpu devices', () => {
    const withCdi = { ...podman, cdiDevices: ['nvidia.com/gpu=0', 'nvidia.com/gpu=1', 'nvidia.com/gpu=all'], cdiSource: 'spec-files' as const };
    const v = decidePreflight(withCdi, A10X2, { neededBytes: gib(30) });
    expect(v).toMatchObject({ ok: true, suggestedTensorParallel: 2, engine: { kind: 'podman', version: '5.4.0', nvidiaRuntime: false } });
    expect(v.message).toMatch(/^GPUs ready: Podman 5\.4\.0 with CDI devices nvidia\.com\/gpu=0, nvidia\.com\/gpu=1, nvidia\.com\/gpu=all/);
  });

  test('without any CDI device it says it cannot tell', () => {
    const v = decidePreflight({ ...podman, cdiSpecDirs: ['/etc/cdi', '/var/run/cdi'] }, A10X2, {});
    expect(v.ok).toBe(false);
    expect(v.message).toBe('Cannot tell whether Podman 5.4.0 can hand GPUs to containers: its API lists no CDI devices, and no nvidia.com/gpu CDI spec was found in /etc/cdi, /var/run/cdi.');
    expect(v.hint).toContain('nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml');
  });

  test('a Podman too old to take CDI devices through its Docker-compatible API', () => {
    const v = decidePreflight({ ...podman, version: '5.2.2', cdiDevices: ['nvidia.com/gpu=all'] }, A10X2, {});
    expect(v.ok).toBe(false);
    expect(v.message).toContain('GPU containers need Podman 5.4 or newer');
  });
});
