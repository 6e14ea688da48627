import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { dockerFromEnv } from '../../src/main/docker/docker-loader';
import { pullImage, startContainer } from '../../src/main/install/engine/container-runner';
import { engineProblemOf, engineUnreachableError, startCommands } from '../../src/main/install/engine/engine-errors';
import { engineStatus, pingEngine, requireEngine } from '../../src/main/install/engine/engine-status';
import { ensureNetwork } from '../../src/main/install/engine/stack-resources';
import { FerryError } from '../../src/shared/errors';
import { tempDir } from '../harness/temp';

// Which failures mean "no container engine" (socket missing, permission denied, engine not
// answering) and which are the engine's own answer (a registry it cannot pull from): each gets
// its own advice. The sockets are real: a path with nothing, a regular file, a listener that
// never answers, and an HTTP server on a unix socket answering as an engine would.

const tmp = tempDir('ferry-engine-errors-');
const servers: (Server | NetServer)[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  tmp.cleanup();
});

const missing = join(tmp.path, 'no-engine.sock');

/** What `p` rejects with (fails the test when it resolves). */
async function thrown(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (err: unknown) => err as Error,
  );
}

function listen<S extends Server | NetServer>(server: S, path: string): Promise<S> {
  servers.push(server);
  return new Promise((resolve) => server.listen(path, () => resolve(server)));
}

describe('engineProblemOf', () => {
  test('connect errors map to the engine problem; answers from the engine never do', () => {
    expect(engineProblemOf(Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }))).toBe('socket-missing');
    expect(engineProblemOf(Object.assign(new Error('connect EACCES /var/run/docker.sock'), { code: 'EACCES' }))).toBe('permission-denied');
    expect(engineProblemOf(Object.assign(new Error('connect ECONNREFUSED /run/podman/podman.sock'), { code: 'ECONNREFUSED' }))).toBe('not-answering');
    expect(engineProblemOf(Object.assign(new Error('getaddrinfo ENOTFOUND engine.example'), { code: 'ENOTFOUND' }))).toBe('host-unreachable');
    // The engine answered: the registry behind it refused the connection. That is registry advice.
    expect(engineProblemOf({ statusCode: 500, json: { message: 'Get "https://10.0.0.5:5000/v2/": dial tcp 10.0.0.5:5000: connect: connection refused' }, message: 'HTTP code 500' })).toBeUndefined();
    expect(engineProblemOf(new Error('manifest unknown'))).toBeUndefined();
    expect(engineProblemOf('connect ENOENT')).toBeUndefined();
  });

  test('the error names the socket, what is wrong and how to start Docker or Podman', () => {
    const e = engineUnreachableError('socket-missing', '/var/run/docker.sock');
    expect(e.name).toBe('EngineUnreachable');
    expect(e.message).toMatch(/^No container engine reachable at \/var\/run\/docker\.sock: the socket \/var\/run\/docker\.sock does not exist/);
    expect(e.message).toContain('systemctl start docker');
    expect(e.message).toContain('systemctl start podman.socket, then DOCKER_HOST=unix:///run/podman/podman.sock');
    expect(e.message).toContain('podman system service --time=0 unix:///run/podman/podman.sock');
    expect(e.message).not.toMatch(/registry/i);
    expect(startCommands('permission-denied').join('\n')).toMatch(/usermod -aG docker/);
  });
});

describe('engine calls against a socket with no engine', () => {
  test('a pull maps "connect ENOENT" to the engine advice, not the registry advice', async () => {
    const err = await thrown(pullImage(dockerFromEnv(`unix://${missing}`), '127.0.0.1:5000/duo/vllm-openai:v0.18.1', undefined, {}));
    expect(err).toBeInstanceOf(FerryError);
    expect(err.name).toBe('EngineUnreachable');
    expect(err.message).toContain(`No container engine reachable at ${missing}: the socket ${missing} does not exist`);
    expect((err as FerryError).hint).toMatch(/Start the container engine/);
    expect(`${err.message} ${(err as FerryError).hint}`).not.toMatch(/internal registry/);
  });

  test('creating networks and containers says the same', async () => {
    const docker = dockerFromEnv(`unix://${missing}`);
    expect((await thrown(ensureNetwork(docker, 'ferry-vllm-model', {}))).name).toBe('EngineUnreachable');
    const plan = { name: 'ferry-vllm', create: { Image: 'x', name: 'ferry-vllm' }, command: 'docker run x', configHash: 'h' };
    expect((await thrown(startContainer(docker, plan, {}))).message).toMatch(/^No container engine reachable at /);
  });

  test('a regular file where the socket should be: nothing answers', async () => {
    const file = join(tmp.path, 'stale.sock');
    writeFileSync(file, '');
    expect((await pingEngine(dockerFromEnv(file)))?.problem).toBe('not-answering');
    const err = await thrown(requireEngine(dockerFromEnv(file)));
    expect(err.message).toMatch(new RegExp(`^No container engine reachable at ${file}: nothing answers on ${file}`));
  });

  test('a listener that never answers is "not answering" once the ping times out', async () => {
    const sock = join(tmp.path, 'hung.sock');
    const held: Socket[] = [];
    await listen(createNetServer((s) => void held.push(s)), sock);
    expect(await pingEngine(dockerFromEnv(sock), undefined, 300)).toEqual({ problem: 'not-answering', detail: 'no answer to /_ping within 0.3 s' });
    for (const s of held) s.destroy();
  });
});

describe('an engine that answers with a registry failure', () => {
  test('keeps the registry advice', async () => {
    const sock = join(tmp.path, 'engine.sock');
    await listen(
      createServer((req, res) => {
        if (req.url?.includes('/_ping')) return void res.end('OK');
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Get "https://10.0.0.5:5000/v2/": dial tcp 10.0.0.5:5000: connect: connection refused' }));
      }),
      sock,
    );
    const err = await thrown(pullImage(dockerFromEnv(sock), '10.0.0.5:5000/duo/vllm-openai:v0.18.1', undefined, {}));
    expect(err.name).toBe('FerryError');
    expect(err.message).toMatch(/^Pulling 10\.0\.0\.5:5000\/duo\/vllm-openai:v0\.18\.1 failed: .*connection refused/);
    expect((err as FerryError).hint).toMatch(/internal registry is reachable from the engine/);
    expect(await pingEngine(dockerFromEnv(sock))).toBeUndefined();
  });
});

describe('engineStatus without an engine', () => {
  test('reports where it looked, what is wrong and the commands to start one', async () => {
    const v = await engineStatus({ dockerHost: `unix://${missing}` });
    expect(v).toMatchObject({ reachable: false, address: missing, source: 'argument', problem: `the socket ${missing} does not exist (no engine is running there)` });
    expect(v.start).toEqual(['systemctl start docker', 'systemctl start podman.socket, then DOCKER_HOST=unix:///run/podman/podman.sock', 'podman system service --time=0 unix:///run/podman/podman.sock & then DOCKER_HOST=unix:///run/podman/podman.sock']);
    expect(v.kind).toBeUndefined();
    const fromEnv = await engineStatus({ env: { DOCKER_HOST: `unix://${missing}` } });
    expect(fromEnv.source).toBe('DOCKER_HOST');
    expect(fromEnv.message).toBe(`No container engine reachable at ${missing}: the socket ${missing} does not exist (no engine is running there).`);
  });
});
