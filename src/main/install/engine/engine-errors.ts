import type Dockerode from 'dockerode';
import { FerryError } from '../../../shared/errors';

// Whether an error means "no container engine answered" (as opposed to the engine answering
// with a failure, e.g. a registry it could not pull from), and the advice for each case. The
// one place that says how to start Docker or Podman; every engine call maps its errors here.

export type EngineProblem = 'socket-missing' | 'permission-denied' | 'not-answering' | 'host-unreachable';

/** The Podman system socket Ferry suggests when Docker is not there. */
export const PODMAN_SOCKET = '/run/podman/podman.sock';

/** Node's connect errors (code) that mean the engine itself is not there. */
const CODES: Record<string, EngineProblem> = {
  ENOENT: 'socket-missing',
  ENOTDIR: 'socket-missing',
  EACCES: 'permission-denied',
  EPERM: 'permission-denied',
  ECONNREFUSED: 'not-answering',
  ECONNRESET: 'not-answering',
  EPIPE: 'not-answering',
  ETIMEDOUT: 'not-answering',
  ENOTFOUND: 'host-unreachable',
  EAI_AGAIN: 'host-unreachable',
  EHOSTUNREACH: 'host-unreachable',
  ENETUNREACH: 'host-unreachable',
};

/**
 * The problem when `err` comes from reaching the engine (its socket or TCP address), else
 * undefined. An error the engine answered (an HTTP status, or a JSON message such as a pull
 * from an unreachable registry) is never an engine problem, whatever its text says.
 */
export function engineProblemOf(err: unknown): EngineProblem | undefined {
  if (err === null || typeof err !== 'object') return undefined;
  const e = err as { statusCode?: unknown; json?: unknown; code?: unknown; name?: unknown; message?: unknown; cause?: unknown };
  if (typeof e.statusCode === 'number' || e.json !== undefined) return undefined;
  if (typeof e.code === 'string' && CODES[e.code]) return CODES[e.code];
  if (e.name === 'TimeoutError' || (typeof e.message === 'string' && /^(?:socket hang up|timeout|request timed out)/i.test(e.message))) return 'not-answering';
  if (e.cause !== undefined && e.cause !== err) return engineProblemOf(e.cause);
  return undefined;
}

/** What is wrong, in words, for the engine at `address`. */
export function describeEngineProblem(problem: EngineProblem, address: string): string {
  switch (problem) {
    case 'socket-missing':
      return `the socket ${address} does not exist (no engine is running there)`;
    case 'permission-denied':
      return `permission denied on ${address} (this user may not use the engine)`;
    case 'not-answering':
      return `nothing answers on ${address} (the engine is stopped or hung)`;
    case 'host-unreachable':
      return `${address} cannot be reached (check the host and port in DOCKER_HOST / --docker-host)`;
  }
}

/** The commands that start an engine Ferry can use, or let this user reach one, for `problem`. */
export function startCommands(problem: EngineProblem): string[] {
  const podmanHost = `DOCKER_HOST=unix://${PODMAN_SOCKET}`;
  if (problem === 'permission-denied') {
    return ['run Ferry as root, or: usermod -aG docker $USER (then log in again)', `rootless Podman: systemctl --user start podman.socket, then DOCKER_HOST=unix://$XDG_RUNTIME_DIR/podman/podman.sock`];
  }
  if (problem === 'host-unreachable') return ['check the address in DOCKER_HOST / --docker-host', 'systemctl start docker (on that host)'];
  return ['systemctl start docker', `systemctl start podman.socket, then ${podmanHost}`, `podman system service --time=0 unix://${PODMAN_SOCKET} & then ${podmanHost}`];
}

/** The error every engine step throws when no engine answered: what is wrong and how to start one. */
export function engineUnreachableError(problem: EngineProblem, address: string, detail?: string): FerryError {
  const how = startCommands(problem);
  return new FerryError(
    `No container engine reachable at ${address}: ${describeEngineProblem(problem, address)}${detail ? ` [${detail}]` : ''}. To start one: ${how.join('; or ')}.`,
    `Start the container engine (${how[0]}), or point Ferry at a running one with --docker-host / DOCKER_HOST, then run this again.`,
    'EngineUnreachable',
  );
}

/** `err` as the engine-unreachable error when no engine answered; otherwise undefined (the caller keeps its own advice). */
export function asEngineUnreachable(err: unknown, docker: Dockerode): FerryError | undefined {
  if (err instanceof FerryError && err.name === 'EngineUnreachable') return err;
  const problem = engineProblemOf(err);
  return problem ? engineUnreachableError(problem, engineAddress(docker), (err as Error).message) : undefined;
}

/** The engine's address as the admin gave it: the socket path, or protocol://host:port. */
export function engineAddress(docker: Dockerode): string {
  const o = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof o.socketPath === 'string') return o.socketPath;
  return `${String(o.protocol ?? 'http')}://${String(o.host)}:${String(o.port)}`;
}
