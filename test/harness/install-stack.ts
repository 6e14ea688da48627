import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startServe } from './demo-stack';
import { startDockerd, type TestDockerd } from './dockerd';
import { makeDuoBundle, type DuoBundle } from './duo-bundle';
import { ferry } from './ferry-cli';
import { createLoopVolume, type LoopVolume } from './loop-media';
import { startOutsideHost, type OutsideHost } from './netns';
import { startRegistry, type TestRegistry } from './registry';
import { tempDir } from './temp';

/**
 * The offline host for the install wizard's end-to-end test: the GitLab Duo stand-in bundle
 * written to a loop-device volume, a networked private dockerd, an internal registry with TLS
 * and basic auth, an "outside" host in its own network namespace behind the DOCKER-USER block,
 * and `ferry serve` (its own data dir, DOCKER_HOST at the test engine) for Chromium.
 * Contacts only loopback, the engine's containers and the namespace it created.
 */
export interface InstallStack {
  url: string;
  workDir: string;
  /** The offline station's data dir (`ferry serve --data-dir`). */
  dataDir: string;
  duo: DuoBundle;
  /** Mount points of the bundle's volumes. */
  volumes: string[];
  engine: TestDockerd;
  /** `unix://…` of the test engine. */
  dockerHost: string;
  registry: TestRegistry & { caFile: string };
  auth: { username: string; password: string };
  outside: OutsideHost;
  /** The engine bridge's gateway: the host as the containers see it (for internal egress targets). */
  bridgeHost: string;
  modelsDir: string;
  stop(): Promise<void>;
}

export async function startInstallStack(): Promise<InstallStack> {
  const tmp = tempDir('ferry-install-e2e-');
  const auth = { username: 'ferry', password: 'wizard-registry-pw' };
  let duo: DuoBundle | undefined;
  let engine: TestDockerd | undefined;
  let registry: TestRegistry | undefined;
  let vol: LoopVolume | undefined;
  let outside: OutsideHost | undefined;
  let serve: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    serve?.kill('SIGTERM');
    outside?.stop();
    await Promise.allSettled([engine?.stop(), registry?.stop(), vol?.stop(), duo?.close()]);
    tmp.cleanup();
  };
  try {
    duo = await makeDuoBundle(join(tmp.path, 'duo'));
    [engine, registry, vol] = await Promise.all([startDockerd({ networking: true }), startRegistry({ tls: true, auth }), createLoopVolume(256 << 20)]);
    outside = await startOutsideHost();
    outside.block();
    const w = await ferry(['media', 'write', duo.bundleDir, '--no-kit', '--to', vol.mountPoint, '--unapproved-reason', 'test fixture, not reviewed', '--data-dir', duo.dataDir, '--json']);
    if (w.code !== 0) throw new Error(`startInstallStack: ferry media write exited ${w.code}: ${w.stderr || w.stdout}`);
    const net = await engine.docker.getNetwork('bridge').inspect();
    const bridgeHost = (net as { IPAM?: { Config?: { Gateway?: string }[] } }).IPAM?.Config?.[0]?.Gateway;
    if (!bridgeHost) throw new Error('startInstallStack: the test engine has no bridge gateway address');
    const dockerHost = `unix://${engine.socketPath}`;
    const dataDir = join(tmp.path, 'offline');
    const modelsDir = join(tmp.path, 'models');
    mkdirSync(modelsDir);
    const served = await startServe(dataDir, { DOCKER_HOST: dockerHost, FERRY_STATION: 'offline-gpu-host-1', FERRY_ACTOR: 'admin.sam' });
    serve = served.child;
    return {
      url: served.url,
      workDir: tmp.path,
      dataDir,
      duo,
      volumes: [vol.mountPoint],
      engine,
      dockerHost,
      registry: registry as TestRegistry & { caFile: string },
      auth,
      outside,
      bridgeHost,
      modelsDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
