import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatusView } from '../../src/shared/channels/engine';
import { engineStatus } from '../../src/main/install/engine/engine-status';
import { podmanTakesCdiThroughApi } from '../../src/main/install/engine/gpu-request';
import { ferry } from '../harness/ferry-cli';
import { startPodman, type TestPodman } from '../harness/podman';
import { tempDir } from '../harness/temp';

// Issue 17: which engine Ferry will use, asked of a real `podman system service` on a private
// socket: Podman, the version its own CLI reports, the socket, and the GPU request this version
// takes (CDI through the API from 5.4, else the podman run flags). Contacted: loopback only.

const tmp = tempDir('ferry-podman-engine-');
let pm: TestPodman;
let version = '';

beforeAll(async () => {
  pm = await startPodman();
  version = (await pm.podman(['version', '--format', '{{.Server.Version}}'])).trim();
}, 120_000);

afterAll(async () => {
  await pm?.stop();
  tmp.cleanup();
}, 60_000);

describe('engine status against Podman', () => {
  it('ferry engine status --docker-host names Podman, its version and socket, and the GPU request', async () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const r = await ferry(['engine', 'status', '--docker-host', pm.dockerHost, '--data-dir', tmp.path, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = r.json<EngineStatusView>();
    expect(v).toMatchObject({ reachable: true, kind: 'podman', version, address: pm.socketPath, source: 'argument' });
    // No NVIDIA Container Toolkit here: no CDI devices, so the engine side is not GPU-ready.
    expect(v.gpu).toMatchObject({ ready: false, cdiDevices: [], nvidiaRuntime: false });
    const viaApi = podmanTakesCdiThroughApi(version);
    expect(v.gpu!.request.via).toBe(viaApi ? 'api' : 'command');
    expect(v.gpu!.request.flags).toEqual(['--device', 'nvidia.com/gpu=all', '--security-opt', 'label=disable']);
    if (!viaApi) expect(v.gpu!.request.text).toContain(`Podman ${version} takes CDI devices only on its command line`);

    const human = await ferry(['engine', 'status', '--data-dir', tmp.path], { env: { DOCKER_HOST: pm.dockerHost } });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`Engine:  Podman ${version}`);
    expect(human.stdout).toContain(`Socket:  ${pm.socketPath} (DOCKER_HOST)`);
  });

  it('reads CDI nvidia.com/gpu devices from spec files for a local Podman', async () => {
    const dir = tempDir('ferry-cdi-');
    try {
      writeFileSync(`${dir.path}/nvidia.yaml`, 'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n  - name: "0"\n    containerEdits: {}\n  - name: all\n    containerEdits: {}\ncontainerEdits: {}\n');
      const v = await engineStatus({ dockerHost: pm.dockerHost, cdiSpecDirs: [dir.path] });
      expect(v.gpu).toMatchObject({ ready: true, cdiDevices: ['nvidia.com/gpu=0', 'nvidia.com/gpu=all'], cdiSource: 'spec-files', cdiSpecDirs: [dir.path] });
      expect(v.message).toBe(`Podman ${version} at ${pm.socketPath}; GPUs: CDI nvidia.com/gpu=0, nvidia.com/gpu=all.`);
    } finally {
      dir.cleanup();
    }
  });

  it('with no engine at the address, exits 1 naming it, with the commands to start one', async () => {
    const gone = `${tmp.path}/podman.sock`;
    const r = await ferry(['engine', 'status', '--docker-host', `unix://${gone}`, '--data-dir', tmp.path, '--json']);
    expect(r.code).toBe(1);
    const v = r.json<EngineStatusView>();
    expect(v).toMatchObject({ reachable: false, address: gone, problem: `the socket ${gone} does not exist (no engine is running there)` });
    expect(v.start).toContain('systemctl start podman.socket, then DOCKER_HOST=unix:///run/podman/podman.sock');
    const human = await ferry(['engine', 'status', '--docker-host', `unix://${gone}`, '--data-dir', tmp.path]);
    expect(human.stdout).toContain(`No container engine reachable at ${gone} (--docker-host)`);
    expect(human.stdout).toContain('  systemctl start docker');
  });
});
