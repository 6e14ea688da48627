import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runtimeSurface } from '../../src/main/recipes/recipe-check';
import { parseRecipe } from '../../src/main/recipes/recipe-catalog';
import { expectRefused, expectUnchanged, hostileWorld, makeGenuineBundle, rewriteJson, runFerry, sha256, snapshotTree, startServer, type HostileWorld, type RunningServer } from './harness';

// Issue 14: a recipe carried in a bundle is hostile data. Host mounts outside the install and models
// folders, the engine's socket, and health/check targets that are not the stack's own containers are
// shown loudly in review and refused at install unless the admin allows each one exactly (recorded).

const BOUND = 15_000;
const ROOT = resolve(__dirname, '../..');
let w: HostileWorld;
let srv: RunningServer;
let n = 0;

beforeAll(async () => {
  w = hostileWorld();
  srv = await startServer(w.dataDir);
});
afterAll(async () => {
  await srv?.close();
  w?.cleanup();
});
let before: ReturnType<HostileWorld['snapshot']>;
beforeEach(() => {
  before = w.snapshot();
});

const GENUINE = readFileSync(join(ROOT, 'resources/recipes/vllm-model.yaml'), 'utf8');

/** The vLLM recipe with its container's volumes, command, health and checks replaced. */
function crafted(c: { volumes?: string[]; command?: string[]; health?: string; verify?: string }): string {
  let y = GENUINE;
  if (c.volumes) y = y.replace('volumes: ["${artifact.model}:/model"]', `volumes: ${JSON.stringify(c.volumes)}`);
  if (c.command) y = y.replace(/command: \[.*\]/, `command: ${JSON.stringify(c.command)}`);
  if (c.health) y = y.replace('health: { http: "http://127.0.0.1:8000/v1/models" }', `health: { http: ${JSON.stringify(c.health)} }`);
  if (c.verify) y = y.replace('  outputs:', `  verify:\n    - { name: probe, http: ${JSON.stringify(c.verify)} }\n  outputs:`);
  return y;
}

/** A genuine bundle carrying `recipe` as recipe.yaml (lock and manifest hashes updated, as a creator would). */
async function bundleWith(recipe: string): Promise<string> {
  const dir = join(w.bundles, `r${++n}`);
  w.target(`models-${n}`);
  await makeGenuineBundle(dir, { recipe: true });
  const bytes = Buffer.from(recipe);
  writeFileSync(join(dir, 'recipe.yaml'), bytes);
  rewriteJson(join(dir, 'lock.json'), (l) => {
    l.recipe.sha256 = sha256(bytes);
    // The recipe's model artifact is the bundle's org/m (as resolving would have pinned it).
    l.models = [{ id: 'model', from: 'hub', hubUrl: 'http://127.0.0.1', repo: 'org/m', requestedRevision: 'main', revision: 'a'.repeat(40), files: [], size: 0 }];
  });
  const lock = readFileSync(join(dir, 'lock.json'));
  rewriteJson(join(dir, 'manifest.json'), (m) => {
    for (const f of m.files) {
      if (f.path === 'recipe.yaml') Object.assign(f, { size: bytes.length, sha256: sha256(bytes) });
      if (f.path === 'lock.json') Object.assign(f, { size: lock.length, sha256: sha256(lock) });
    }
    m.lock.sha256 = sha256(lock);
  });
  return dir;
}

const plan = (dir: string, ...extra: string[]) =>
  runFerry(['install', dir, '--models-dir', join(w.targets, `models-${n}`), '--gpu', 'none', '--egress-outside', '127.0.0.1:9', '--plan', ...extra], { dataDir: w.dataDir, timeoutMs: BOUND });

describe('recipes from the bundle: what reaches beyond the stack needs the admin', () => {
  it('the genuine recipe plans without any allowance (the control)', async () => {
    const dir = await bundleWith(GENUINE);
    const v = await runFerry(['verify', dir], { dataDir: w.dataDir, timeoutMs: BOUND });
    expect(v.code, v.stderr + v.stdout).toBe(0);
    const r = await plan(dir);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });

  it('/:/host + the Docker socket + chroot /host: refused naming each mount; review shows them; exact allowances let it plan', async () => {
    const dir = await bundleWith(crafted({ volumes: ['/:/host', '/var/run/docker.sock:/var/run/docker.sock'], command: ['chroot', '/host', 'sh', '-c', 'id'] }));
    const targets = snapshotTree(w.targets);
    expectRefused(await plan(dir), { names: ['install.containers[vllm].volumes.0', 'install.containers[vllm].volumes.1', '--allow mount:/ ', 'mount:/var/run/docker.sock', "engine's socket"], marker: w.marker, boundMs: BOUND });
    // One allowance is not the other.
    expectRefused(await plan(dir, '--allow', 'mount:/'), { names: ['mount:/var/run/docker.sock'], marker: w.marker, boundMs: BOUND });
    expectUnchanged(targets, snapshotTree(w.targets), 'targets');

    const review = await runFerry(['review', dir], { dataDir: w.dataDir, timeoutMs: BOUND });
    const text = review.stdout + review.stderr;
    expect(text).toContain("NEEDS THE ADMIN'S ALLOWANCE");
    expect(text).toContain('mount /:/host  (host)');
    expect(text).toContain('(socket)');
    expect(text).toMatch(/command\.0: runs chroot/);

    const ok = await plan(dir, '--allow', 'mount:/', '--allow', 'mount:/var/run/docker.sock');
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    const custody = await runFerry(['custody', 'log'], { dataDir: w.dataDir, timeoutMs: BOUND });
    expect(custody.stdout).toContain('install-allowed');
    w.expectCanaryUnchanged(before);
    expect(await srv.getRoot()).toBeGreaterThan(0);
  });

  // The outside addresses below (10.1.2.3, 203.0.113.9 from TEST-NET-3) are only data in a recipe:
  // `install --plan` refuses them before any step runs, so nothing is ever sent to them.
  it.each([
    ['a health URL at an outside address', { health: 'http://10.1.2.3:80/health' }, 'target:10.1.2.3:80'],
    ['a health URL on a loopback port the stack does not publish', { health: 'http://127.0.0.1:22/' }, 'target:127.0.0.1:22'],
    ['a stack check at an outside address', { verify: 'https://203.0.113.9/v1/models' }, 'target:203.0.113.9:443'],
    ['a host path outside the install and models folders', { volumes: ['/etc:/host-etc:ro'] }, 'mount:/etc'],
    ['a path that climbs out of the models folder', { volumes: ['${artifact.model}/../../..:/up'] }, 'mount:'],
  ])('%s is refused, naming it', async (_label, c, allowance) => {
    const dir = await bundleWith(crafted(c));
    expectRefused(await plan(dir), { names: [allowance], marker: w.marker, boundMs: BOUND });
    w.expectCanaryUnchanged(before);
  });

  it('a health URL naming one of the stack\'s containers needs no allowance', async () => {
    const dir = await bundleWith(crafted({ health: 'http://vllm:8000/v1/models' }));
    const r = await plan(dir);
    expect(r.code, r.stderr + r.stdout).toBe(0);
  });
});

describe('runtime surface (what review shows)', () => {
  it('classifies mounts and flags sockets, host paths, escapes and outside targets', async () => {
    const { recipe } = await parseRecipe(Buffer.from(crafted({ volumes: ['/:/host', '/run/podman/podman.sock:/s', 'data:/data', '${artifact.model}:/model:ro'], command: ['/usr/sbin/chroot', '/host'], health: 'http://198.51.100.7:8080/' })), 'x.yaml', 'user');
    const s = runtimeSurface(recipe);
    expect(s.containers[0]!.mounts.map((m) => m.kind)).toEqual(['host', 'socket', 'named', 'artifact']);
    expect(s.containers[0]!.mounts[3]!.readOnly).toBe(true);
    expect(s.containers[0]!.env).toEqual([]);
    expect(s.warnings.map((x) => x.allowance ?? x.where)).toEqual(['mount:/', 'mount:/run/podman/podman.sock', 'install.containers[vllm].command.0', 'target:198.51.100.7:8080']);
  });
});

describe('what review shows is what runs', () => {
  it('a control character in a mount, command word or URL is refused by the schema, naming the field', async () => {
    for (const [y, field] of [
      [crafted({ volumes: ['${artifact.model}:/model\n/:/host'] }), 'volumes'],
      [crafted({ command: ['--model', '/model\u001b[2K'] }), 'command'],
      [crafted({ health: 'http://127.0.0.1:8000/\rhttp://10.0.0.1/' }), 'http'],
    ] as const) {
      await expect(parseRecipe(Buffer.from(y), 'x.yaml', 'user')).rejects.toThrow(new RegExp(`${field}.*control characters`, 's'));
    }
  });
});
