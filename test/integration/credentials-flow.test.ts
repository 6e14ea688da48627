import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedRecipe } from '../../src/shared/api';
import type { StoredCredential } from '../../src/shared/api-settings';
import { openDatabase } from '../../src/main/db/database';
import { saveMirrors } from '../../src/main/settings/station-settings';
import { ferry } from '../harness/ferry-cli';
import { startRegistry, type TestRegistry } from '../harness/registry';
import { tempDir } from '../harness/temp';
import { makeLayerTar, pushTestImages, writeOciImage } from '../harness/test-images';

// A registry with htpasswd auth on loopback: a login stored once with `ferry credentials add`
// is used by resolve, acquire and import; without it the registry's 401 is reported naming the
// registry. Mirrors saved in settings apply when a command names none.
const USER = 'ci-robot';
const SECRET = 'S3cret-registry-token-4711';
const tmp = tempDir('ferry-creds-flow-');
const dataDir = join(tmp.path, 'data');
// An empty Docker config, so credentials can come only from the station's store.
const env = { DOCKER_CONFIG: join(tmp.path, 'docker-config') };
let registry: TestRegistry;
let image: { ref: string; digest: string };
let recipeFile: string;

beforeAll(async () => {
  registry = await startRegistry({ auth: { username: USER, password: SECRET } });
  const layout = join(tmp.path, 'layout');
  writeOciImage(layout, { name: 'app:1.0', layers: [await makeLayerTar([{ path: 'app/hello.txt', content: 'private hello\n' }])], cmd: ['/bin/sh'] });
  [image] = await pushTestImages(layout, registry.host, 'private', { creds: `${USER}:${SECRET}` });
  recipeFile = join(tmp.path, 'private-app.yaml');
  writeFileSync(
    recipeFile,
    ['format: ferry.recipe.v1', 'id: private-app', 'title: Private app', 'version: 1.0.0', 'artifacts:', '  images:', '    - id: app', `      source: ${registry.host}/private/app`, '      tag: "1.0"', ''].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  tmp.cleanup();
});

const run = (args: string[], input?: string) => ferry([...args, '--data-dir', dataDir], { env, ...(input !== undefined ? { input } : {}) });

describe('stored registry credentials', () => {
  it('without credentials, resolve fails with the 401 naming the registry and how to store a login', async () => {
    const r = await run(['recipe', 'resolve', recipeFile]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Authentication required for manifest ${registry.host}/private/app:1.0: HTTP 401`);
    expect(r.stderr).toContain(`ferry credentials add ${registry.host}`);
  });

  it('stores a login from stdin, lists it without the secret, and resolves and acquires with it', async () => {
    const add = await run(['credentials', 'add', registry.host, '--username', USER, '--password-stdin'], `${SECRET}\n`);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout + add.stderr).not.toContain(SECRET);

    const list = await run(['credentials', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toContain(SECRET);
    expect(list.json<StoredCredential[]>()).toEqual([{ registry: registry.host, username: USER, updatedAt: expect.any(String) }]);

    const resolved = await run(['recipe', 'resolve', recipeFile, '--json']);
    expect(resolved.code, resolved.stderr).toBe(0);
    const lock = resolved.json<ResolvedRecipe>();
    expect(lock.entries).toEqual([expect.objectContaining({ kind: 'image', source: `${registry.host}/private/app:1.0`, pinned: image.digest, tag: '1.0', platform: 'linux/amd64' })]);

    const out = join(tmp.path, 'bundle');
    const created = await run(['bundle', 'create', '--recipe', recipeFile, '--out', out, '--json']);
    expect(created.code, created.stderr).toBe(0);
    const verify = await ferry(['verify', out, '--json', '--data-dir', dataDir]);
    expect(verify.code, verify.stderr).toBe(0);

    // The database holds only ciphertext; the key file beside it is private to the user.
    expect(readFileSync(join(dataDir, 'ferry.db')).includes(Buffer.from(SECRET))).toBe(false);
  });

  it('reports a wrong stored password as failed authentication, and forgets a removed login', async () => {
    const wrong = await run(['credentials', 'add', registry.host, '--username', USER, '--password-stdin'], 'not-the-password\n');
    expect(wrong.code, wrong.stderr).toBe(0);
    const failed = await run(['recipe', 'resolve', recipeFile]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain(`Authentication failed for manifest ${registry.host}/private/app:1.0: HTTP 401`);

    const removed = await run(['credentials', 'remove', registry.host]);
    expect(removed.code, removed.stderr).toBe(0);
    expect((await run(['credentials', 'list', '--json'])).json()).toEqual([]);
    expect((await run(['credentials', 'remove', registry.host])).code).toBe(2);
    const again = await run(['recipe', 'resolve', recipeFile]);
    expect(again.stderr).toContain('Authentication required');
  });

  it('uses the mirrors saved in settings when the command names none, and --mirror replaces them', async () => {
    // The recipe names a registry that is never contacted: only its mirror on loopback is.
    const mirrored = join(tmp.path, 'mirrored-app.yaml');
    writeFileSync(mirrored, readFileSync(recipeFile, 'utf8').replace(`${registry.host}/private/app`, 'registry.source.test/private/app').replace('id: private-app', 'id: mirrored-app'));
    expect((await run(['credentials', 'add', registry.host, '--username', USER, '--password-stdin'], `${SECRET}\n`)).code).toBe(0);
    const db = openDatabase(join(dataDir, 'ferry.db'));
    try {
      saveMirrors(db, [`registry.source.test=${registry.host}`]);
    } finally {
      db.close();
    }
    const viaSettings = await run(['recipe', 'resolve', mirrored, '--json']);
    expect(viaSettings.code, viaSettings.stderr).toBe(0);
    expect(viaSettings.json<ResolvedRecipe>().entries[0]).toMatchObject({ source: 'registry.source.test/private/app:1.0', pinned: image.digest });
    // A --mirror on the command line replaces the saved list: port 1 on loopback refuses.
    const overridden = await run(['recipe', 'resolve', mirrored, '--mirror', 'registry.source.test=127.0.0.1:1']);
    expect(overridden.code).toBe(1);
    expect(overridden.stderr).toContain('127.0.0.1:1');
  });

  it('pushes on import with the stored login when no --username is given', async () => {
    const r = await run(['import', join(tmp.path, 'bundle'), '--registry', `${registry.host}/imported`, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const pushed = r.json<{ registry: { target: string; digest: string }[] }>().registry;
    expect(pushed).toEqual([expect.objectContaining({ digest: image.digest })]);
    const repo = pushed[0]!.target.slice(registry.host.length + 1).replace(/[:@].*$/, '');
    expect(repo.startsWith('imported/')).toBe(true);
    const auth = `Basic ${Buffer.from(`${USER}:${SECRET}`).toString('base64')}`;
    const res = await fetch(`http://${registry.host}/v2/${repo}/manifests/${image.digest}`, { method: 'HEAD', headers: { Authorization: auth, Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(res.status).toBe(200);
  });

  it('refuses a password on anything but stdin', async () => {
    const r = await run(['credentials', 'add', registry.host, '--username', USER]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--password-stdin');
  });
});
