import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHandlers, dispatch, type Handlers } from '../../src/main/api/handlers';
import { REQUEST_SCHEMAS } from '../../src/main/api/request-schemas';
import { createServices, type Services } from '../../src/main/core/services';
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../../src/shared/api';
import { CHANNEL_FAMILIES, CHANNELS } from '../../src/shared/channels';
import { UsageError } from '../../src/shared/errors';
import { tempDir } from '../harness/temp';

// Each channel is declared once (src/shared/channels/): its schema is its request's type and its
// place in the channel list; dispatch validates every request against it before a handler runs.

let t: ReturnType<typeof tempDir>;
let s: Services;
let h: Handlers;

beforeAll(() => {
  t = tempDir();
  s = createServices({ dataDir: join(t.path, 'data'), identity: { actor: 'os-user', station: 'contract-1' } });
  h = createHandlers(s);
});
afterAll(async () => {
  await s.close();
  t.cleanup();
});

const refusal = async (channel: string, arg: unknown): Promise<UsageError> => {
  const err = await dispatch(h, channel, arg, { unsigned: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UsageError);
  return err as UsageError;
};

describe('the channel list', () => {
  it('is every family’s channels, none declared twice', () => {
    const all = CHANNEL_FAMILIES.flatMap((f) => Object.keys(f));
    const twice = all.filter((c, i) => all.indexOf(c) !== i);
    expect(twice).toEqual([]);
    expect(new Set(all)).toEqual(new Set(Object.keys(CHANNELS)));
    expect(new Set(INVOKE_CHANNELS).size).toBe(INVOKE_CHANNELS.length);
    expect([...INVOKE_CHANNELS].sort()).toEqual(Object.keys(CHANNELS).sort());
  });

  it('gives every channel a schema and a handler, and nothing else one', () => {
    for (const c of INVOKE_CHANNELS) {
      expect(REQUEST_SCHEMAS[c], c).toBeDefined();
      expect(typeof REQUEST_SCHEMAS[c].safeParse, c).toBe('function');
      expect(typeof h[c], c).toBe('function');
    }
    expect(Object.keys(h).sort()).toEqual([...INVOKE_CHANNELS].sort());
    expect(Object.keys(REQUEST_SCHEMAS).sort()).toEqual([...INVOKE_CHANNELS].sort());
    expect([...EVENT_CHANNELS].sort()).toEqual(['custody:appended', 'job:update']);
  });
});

describe('dispatch', () => {
  it('refuses a channel that is not declared', async () => {
    expect((await refusal('install:nuke', {})).message).toBe('Unknown API channel "install:nuke"');
  });

  it('refuses bad requests naming the channel and the field', async () => {
    expect((await refusal('job:get', { id: 'not-a-uuid' })).message).toMatch(/^job:get: field id /);
    expect((await refusal('bundle:create', { images: [], models: [], outDir: '' })).message).toMatch(/^bundle:create: field outDir /);
    expect((await refusal('bundle:create', { images: [], models: [], outDir: '/x', concurrency: 65 })).message).toMatch(/^bundle:create: field concurrency /);
    expect((await refusal('install:remove', { installId: 'x'.repeat(65) })).message).toMatch(/^install:remove: field installId /);
    expect((await refusal('policy:set', { requiredApprovals: 3 })).message).toMatch(/^policy:set: field requiredApprovals /);
    expect((await refusal('media:plan', { dir: '/b', volumeSize: '1G', extra: true })).message).toMatch(/^media:plan: field (\(root\)|extra)/);
  });

  it('keeps each rule: the install source is a folder or volumes, not both', async () => {
    const plan = { modelsDir: '/m', egress: { outside: ['192.0.2.1:443'] } };
    const both = await refusal('install:plan', { ...plan, dir: '/b', volumes: ['/v1'] });
    expect(both.message).toBe('install:plan: field dir or volumes must be given, not both (a bundle folder, or the mounted volumes of a split bundle)');
    expect((await refusal('install:inspect', {})).message).toMatch(/^install:inspect: field dir or volumes/);
  });

  it('never echoes a secret that is too long', async () => {
    const secret = 's3cr3t'.repeat(1000);
    const err = await refusal('credentials:set', { registry: 'r.example', username: 'ci', password: secret });
    expect(err.message).toBe('credentials:set: field password is too long');
    expect((await refusal('identity:login', { name: 'rita', passphrase: secret })).message).not.toContain('s3cr3t');
    expect((await refusal('install:run', { installId: 'i', password: secret })).message).toBe('install:run: field password is too long');
  });

  it('passes a valid request to the handler', async () => {
    await expect(dispatch(h, 'install:list', {}, {})).resolves.toEqual([]);
    await expect(dispatch(h, 'install:get', { installId: 'no-such-install' }, {})).rejects.toThrow('No install no-such-install on this station.');
  });
});
