import type Dockerode from 'dockerode';
import { CanceledError, FerryError } from '../../../shared/errors';
import { LABEL_CONFIG_HASH, LABEL_CONTAINER, LABEL_INSTALL, type ContainerPlan } from './container-spec';
import { asEngineUnreachable } from './engine-errors';

// Runs planned containers against a real engine (Docker, or Podman's Docker-compatible API).
// Idempotent: a running container with the same config hash is reused; anything else Ferry
// created under the name is replaced; a container Ferry did not create is never touched.

export interface RunOptions {
  signal?: AbortSignal;
  onLog?: (line: string) => void;
}

const STOP_SECONDS = 10;
const MAX_PULL_RESPONSE = 64 << 20;

function statusOf(err: unknown): number | undefined {
  return (err as { statusCode?: number }).statusCode;
}

function engineMessage(err: unknown): string {
  const json = (err as { json?: { message?: string } }).json;
  return (json?.message ?? (err as Error).message ?? String(err)).trim();
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CanceledError();
}

/** Pulls `ref`, following the progress stream; an error line in the stream fails the pull. */
export async function pullImage(
  docker: Dockerode,
  ref: string,
  auth: { username: string; password: string; serveraddress: string } | undefined,
  opts: RunOptions,
): Promise<void> {
  checkAbort(opts.signal);
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await docker.pull(ref, { ...(auth ? { authconfig: auth } : {}), ...(opts.signal ? { abortSignal: opts.signal } : {}) })) as NodeJS.ReadableStream;
  } catch (err) {
    checkAbort(opts.signal);
    throw asEngineUnreachable(err, docker) ?? new FerryError(`Pulling ${ref} failed: ${engineMessage(err)}`, pullHint(engineMessage(err)));
  }
  let buf = '';
  let total = 0;
  let lastStatus = '';
  const handle = (line: string): void => {
    if (!line.trim()) return;
    let msg: { status?: string; id?: string; error?: string; errorDetail?: { message?: string } };
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.error !== undefined || msg.errorDetail !== undefined) {
      const detail = String(msg.errorDetail?.message ?? msg.error);
      throw new FerryError(`Pulling ${ref} failed: ${detail.slice(0, 2000)}`, pullHint(detail));
    }
    const status = msg.id ? `${msg.id}: ${msg.status ?? ''}` : (msg.status ?? '');
    if (status && status !== lastStatus && !/^(Downloading|Extracting|Waiting)$/.test(msg.status ?? '')) opts.onLog?.(status);
    lastStatus = status;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      total += chunk.length;
      if (total > MAX_PULL_RESPONSE) throw new FerryError(`Pulling ${ref}: the engine sent an oversized progress stream`);
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        handle(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    }
    handle(buf);
  } catch (err) {
    checkAbort(opts.signal);
    if (err instanceof FerryError) throw err;
    throw asEngineUnreachable(err, docker) ?? new FerryError(`Pulling ${ref} failed: ${(err as Error).message}`, pullHint((err as Error).message));
  }
}

function pullHint(detail: string): string {
  if (/unauthorized|authentication|denied/i.test(detail)) return 'Check the registry user name and password (or token) and that the user may read the repository.';
  if (/x509|certificate/i.test(detail)) return "The engine does not trust the registry's certificate: install its CA for the engine (e.g. /etc/docker/certs.d/<registry>/ca.crt) or list the registry as insecure.";
  if (/not found|manifest unknown/i.test(detail)) return 'Run the push step first, and check the registry and prefix.';
  return 'Check that the internal registry is reachable from the engine and the image was pushed.';
}

async function inspectByName(docker: Dockerode, name: string): Promise<Dockerode.ContainerInspectInfo | undefined> {
  try {
    return await docker.getContainer(name).inspect();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw asEngineUnreachable(err, docker) ?? new FerryError(`Inspecting container ${name} failed: ${engineMessage(err)}`, 'See the engine log (journalctl -u docker, or -u podman).');
  }
}

function refuseForeign(name: string, info: Dockerode.ContainerInspectInfo): void {
  if (info.Config?.Labels?.[LABEL_INSTALL]) return;
  throw new FerryError(
    `A container named ${name} already exists and was not created by Ferry (image ${info.Config?.Image ?? 'unknown'})`,
    `Ferry never removes containers it did not create. Stop and remove it yourself (docker rm -f ${name}) if it is no longer needed, then run this step again.`,
  );
}

async function stopAndRemove(docker: Dockerode, id: string): Promise<void> {
  const c = docker.getContainer(id);
  await c.stop({ t: STOP_SECONDS }).catch((err: unknown) => {
    if (statusOf(err) !== 304 && statusOf(err) !== 404) throw err;
  });
  await c.remove({ force: true, v: false }).catch((err: unknown) => {
    if (statusOf(err) !== 404) throw err;
  });
}

/** Creates and starts the planned container, or reuses / replaces the one under its name. */
export async function startContainer(docker: Dockerode, plan: ContainerPlan, opts: RunOptions): Promise<{ id: string; replaced: boolean; reused: boolean }> {
  checkAbort(opts.signal);
  const existing = await inspectByName(docker, plan.name);
  let replaced = false;
  if (existing) {
    refuseForeign(plan.name, existing);
    const running = existing.State?.Running === true && existing.State?.Restarting !== true;
    if (running && existing.Config?.Labels?.[LABEL_CONFIG_HASH] === plan.configHash) {
      opts.onLog?.(`${plan.name} is already running with this configuration (${existing.Id.slice(0, 12)}); reusing it`);
      return { id: existing.Id, replaced: false, reused: true };
    }
    opts.onLog?.(`Replacing ${plan.name} (${existing.Id.slice(0, 12)}): ${running ? 'its configuration changed' : `it is ${existing.State?.Status ?? 'not running'}`}`);
    try {
      await stopAndRemove(docker, existing.Id);
    } catch (err) {
      throw new FerryError(`Removing the old container ${plan.name} failed: ${engineMessage(err)}`, `Remove it by hand (docker rm -f ${plan.name}) and run this step again.`);
    }
    replaced = true;
  }
  checkAbort(opts.signal);
  const image = plan.create.Image ?? '';
  let container: Dockerode.Container;
  try {
    container = await docker.createContainer(plan.create);
  } catch (err) {
    const down = asEngineUnreachable(err, docker);
    if (down) throw down;
    const msg = engineMessage(err);
    if (statusOf(err) === 404 && /image/i.test(msg)) {
      throw new FerryError(`Creating container ${plan.name}: the engine has no image ${image}`, 'Run the push step (or load the images) first, then run this step again.');
    }
    if (statusOf(err) === 409) throw new FerryError(`Creating container ${plan.name}: ${msg}`, 'Another container took the name meanwhile; run this step again.');
    throw new FerryError(`Creating container ${plan.name} from ${image} failed: ${msg}`, 'Check the recipe values shown in the command above and the engine log.');
  }
  opts.onLog?.(`Created ${plan.name} (${container.id.slice(0, 12)}) from ${image}`);
  try {
    checkAbort(opts.signal);
    await container.start();
  } catch (err) {
    if (err instanceof CanceledError) throw err;
    const msg = engineMessage(err);
    throw asEngineUnreachable(err, docker) ?? new FerryError(`Starting container ${plan.name} failed: ${msg}`, startHint(msg));
  }
  opts.onLog?.(`Started ${plan.name}`);
  return { id: container.id, replaced, reused: false };
}

function startHint(msg: string): string {
  if (/address already in use|port is already allocated/i.test(msg)) return 'Another program or container uses a published port: free it (ss -ltnp) and run this step again.';
  if (/nvidia|gpu|device driver|cdi/i.test(msg)) return 'The engine cannot hand GPUs to the container: install the NVIDIA Container Toolkit and run the GPU preflight.';
  if (/no such file|mount/i.test(msg)) return 'A mounted host path is missing: check the models directory and that the models step ran.';
  return 'See the engine log (journalctl -u docker) and the container log.';
}

/** Undo: stops (10 s) and removes a container Ferry created. False when there is none. */
export async function removeContainer(docker: Dockerode, name: string): Promise<boolean> {
  const existing = await inspectByName(docker, name);
  if (!existing) return false;
  refuseForeign(name, existing);
  try {
    await stopAndRemove(docker, existing.Id);
  } catch (err) {
    throw new FerryError(`Removing container ${name} failed: ${engineMessage(err)}`, `Remove it by hand (docker rm -f ${name}).`);
  }
  return true;
}

/** The last `lines` lines of the container's stdout and stderr, interleaved as written. */
export async function containerLogs(docker: Dockerode, name: string, lines: number): Promise<string[]> {
  const c = docker.getContainer(name);
  let info: Dockerode.ContainerInspectInfo;
  let raw: Buffer;
  try {
    info = await c.inspect();
    raw = (await c.logs({ stdout: true, stderr: true, follow: false, tail: lines })) as unknown as Buffer;
  } catch (err) {
    if (statusOf(err) === 404) return [];
    throw new FerryError(`Reading the log of ${name} failed: ${engineMessage(err)}`);
  }
  const text = info.Config?.Tty ? raw.toString('utf8') : demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  const out = text.split(/\r?\n/);
  if (out[out.length - 1] === '') out.pop();
  return out.slice(-lines);
}

/** Docker's multiplexed stream: 8-byte headers (stream, 0, 0, 0, size BE32) before each frame. */
export function demux(buf: Buffer): string {
  const parts: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const kind = buf[off]!;
    const size = buf.readUInt32BE(off + 4);
    if (kind > 2 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) return buf.toString('utf8'); // not multiplexed
    parts.push(buf.subarray(off + 8, off + 8 + size));
    off += 8 + size;
  }
  if (off === 0 && buf.length > 0) return buf.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

/** The recipe name of a Ferry container (its label), for messages. */
export function recipeNameOf(info: Dockerode.ContainerInspectInfo): string {
  return info.Config?.Labels?.[LABEL_CONTAINER] ?? info.Name.replace(/^\//, '');
}
