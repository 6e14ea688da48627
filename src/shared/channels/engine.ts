import { z } from 'zod';
import { channel } from '../contract';

// Container engine status (engine:status): which engine Ferry will use — Docker or Podman, its
// socket, version and GPU plumbing — or that none is reachable, with the commands to start one.

export interface EngineGpuView {
  /** Docker: the NVIDIA Container Toolkit's runtime is registered. */
  nvidiaRuntime: boolean;
  /** Registered OCI runtimes (Docker's /info). */
  runtimes: string[];
  /** NVIDIA CDI devices (nvidia.com/gpu=…) the engine lists, or its CDI spec files name. */
  cdiDevices: string[];
  cdiSource: 'engine' | 'spec-files' | 'none';
  /** CDI spec folders that were read (when the engine did not list devices itself). */
  cdiSpecDirs?: string[];
  /** The engine side can hand NVIDIA GPUs to containers (runtime or CDI devices). */
  ready: boolean;
  /** How a GPU container will be requested on this engine and version. */
  request: { via: 'api' | 'command'; flags: string[]; text: string };
}

export interface EngineStatusView {
  reachable: boolean;
  /** The socket path or protocol://host:port asked. */
  address: string;
  /** Where the address came from. */
  source: 'argument' | 'DOCKER_HOST' | 'default';
  kind?: 'docker' | 'podman';
  version?: string;
  apiVersion?: string;
  gpu?: EngineGpuView;
  /** When not reachable: what is wrong (socket missing, permission denied, not answering). */
  problem?: string;
  /** When not reachable: commands that start an engine Ferry can use (or point it at one). */
  start?: string[];
  /** One line for the status item and the CLI. */
  message: string;
}

/** unix:///abs/path, /abs/path, or (tcp|http|https)://host[:port]: the shapes dockerFromEnv takes. */
export const DOCKER_HOST_PATTERN = /^(?:unix:\/\/\/[^\0\s]*|\/[^\0\s]*|(?:tcp|http|https):\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\])(?::\d{1,5})?\/?)$/;

export const ENGINE_CHANNELS = {
  'engine:status': channel(
    z.strictObject({ dockerHost: z.string().min(1).max(1024).regex(DOCKER_HOST_PATTERN, 'must be unix:///path/to/engine.sock or tcp://HOST:PORT').optional() }),
  ).returns<EngineStatusView>(),
};
