/**
 * Fuzzing the files that come across the gap (issue 14, docs/security.md): manifests, volume labels and
 * locks of a genuine bundle are mutated (byte flips, truncation, field replacement with hostile values,
 * duplicate keys, deep nesting) and each mutant is read the way the offline side reads it. For every mutant:
 * - accepted only if equivalent: verify says ok only when what it checks is unchanged (the manifest's and
 *   the label's file lists; the lock's exact bytes, which the manifest hashes);
 * - otherwise refused with a message (never a crash of another kind, never a hang): within FN_BOUND_MS;
 * - nothing echoed: the secret marker (only in a host file the hostile values point at) never appears;
 * - the canary tree is unchanged.
 * Bounded: numRuns per property and fast-check's interruptAfterTimeLimit; a few mutants also go through the CLI.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/main/bundle/verify';
import type { Progress } from '../../src/main/jobs/progress';
import { HashPool } from '../../src/main/hash/hash-pool';
import { readBundleRecipeInfo } from '../../src/main/install/plan/bundle-source';
import { parseMediaJson } from '../../src/main/io/media-file';
import { verifyVolumes } from '../../src/main/media/read';
import { expectNoEcho, hostileWorld, makeGenuineBundle, makeVolumes, runFerry, type Entry, type HostileWorld } from './harness';

const FN_BOUND_MS = 10_000;
const CLI_BOUND_MS = 60_000;
const RUNS = 60;
const TIME_LIMIT_MS = 40_000;

let w: HostileWorld;
let pool: HashPool;
let canary: Map<string, Entry>;
let template: string;
let volTemplate: string[];
let n = 0;

beforeAll(async () => {
  w = hostileWorld();
  pool = new HashPool(2);
  template = join(w.root, 'template');
  await makeGenuineBundle(template, { files: true, recipe: true });
  volTemplate = [join(w.root, 'vt', 'v1'), join(w.root, 'vt', 'v2')];
  await makeVolumes(template, volTemplate, 90_000);
  canary = w.snapshot();
});

afterAll(async () => {
  await pool?.close();
  if (w) {
    w.expectCanaryUnchanged(canary);
    w.cleanup();
  }
});

function progress(): Progress {
  return { signal: new AbortController().signal, phase: () => undefined, item: () => undefined, itemState: () => undefined, advance: () => undefined } as unknown as Progress;
}

// ---------------------------------------------------------------- mutations

type Mutation =
  | { op: 'flip'; at: number; xor: number }
  | { op: 'truncate'; at: number }
  | { op: 'replace'; pick: number; value: unknown }
  | { op: 'duplicate'; pick: number }
  | { op: 'nest'; depth: number };

/** Values a hostile writer would put in a field: traversal, the host secret, huge, odd types and characters. */
const hostileValue = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constantFrom<unknown>('../../secret', '/etc/shadow', '..', '', 'a/../../..', '\u0000', 'C:\\Windows', 'models/org--m/../../../secret', -1, 1e308, null, true, {}, [], 'x'.repeat(70_000)),
    fc.constant(null).map(() => join(w.root, 'secret')),
    fc.string({ maxLength: 40 }),
    fc.integer(),
  );

const mutation = (): fc.Arbitrary<Mutation> =>
  fc.oneof(
    fc.record({ op: fc.constant('flip' as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('replace' as const), pick: fc.nat(), value: hostileValue() }),
    fc.record({ op: fc.constant('duplicate' as const), pick: fc.nat() }),
    fc.record({ op: fc.constant('nest' as const), depth: fc.integer({ min: 30, max: 3000 }) }),
  );

/** Every leaf (and container) path of a JSON value. */
function paths(v: unknown, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (at.length > 0) out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...at, k], out);
  return out;
}

function apply(bytes: Buffer, m: Mutation): Buffer {
  switch (m.op) {
    case 'flip': {
      const b = Buffer.from(bytes);
      const i = m.at % b.length;
      b[i] = b[i]! ^ m.xor;
      return b;
    }
    case 'truncate':
      return bytes.subarray(0, m.at % bytes.length);
    case 'replace': {
      const v = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
      const all = paths(v);
      const p = all[m.pick % all.length]!;
      let o = v as Record<string | number, unknown>;
      for (const k of p.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
      o[p[p.length - 1]!] = m.value;
      return Buffer.from(JSON.stringify(v));
    }
    case 'duplicate': {
      // Repeat one top-level key at the end with another value: JSON.parse keeps the last, a reviewer may see the first.
      const text = bytes.toString('utf8');
      const keys = Object.keys(JSON.parse(text) as object);
      const k = keys[m.pick % keys.length]!;
      return Buffer.from(`${text.slice(0, text.lastIndexOf('}'))},${JSON.stringify(k)}:"other"}`);
    }
    case 'nest':
      return Buffer.from(`{"x":${'['.repeat(m.depth)}${']'.repeat(m.depth)}}`);
  }
}

/** Strict parse (what Ferry accepts), or undefined. */
function strict(bytes: Buffer): any {
  try {
    return parseMediaJson(bytes, 'x');
  } catch {
    return undefined;
  }
}

async function timed<T>(p: Promise<T>): Promise<{ value?: T; error?: Error; ms: number }> {
  const t0 = Date.now();
  const r = await Promise.race([
    p.then(
      (value) => ({ value }),
      (error: Error) => ({ error }),
    ),
    new Promise<{ error: Error }>((res) => setTimeout(() => res({ error: new Error('HUNG') }), FN_BOUND_MS + 1000).unref()),
  ]);
  return { ...r, ms: Date.now() - t0 };
}

function expectBoundedAndSilent(r: { value?: unknown; error?: Error; ms: number }): string {
  expect(r.error?.message).not.toBe('HUNG');
  expect(r.ms).toBeLessThan(FN_BOUND_MS);
  const text = r.error ? `${r.error.name}: ${r.error.message}` : JSON.stringify(r.value);
  expectNoEcho(text, w.marker);
  return text;
}

const fcOpts = { numRuns: RUNS, interruptAfterTimeLimit: TIME_LIMIT_MS, endOnFailure: true };

// ---------------------------------------------------------------- properties

describe('fuzzed media (in process)', () => {
  it('a mutated manifest verifies only when its file list is unchanged; else a named problem', async () => {
    const original = readFileSync(join(template, 'manifest.json'));
    const files = JSON.stringify((JSON.parse(original.toString()) as { files: unknown }).files);
    await fc.assert(
      fc.asyncProperty(mutation(), async (m) => {
        const dir = join(w.bundles, `m${++n}`);
        cpSync(template, dir, { recursive: true });
        const mutated = apply(original, m);
        writeFileSync(join(dir, 'manifest.json'), mutated);
        const r = await timed(verifyBundle(dir, pool, progress()));
        const text = expectBoundedAndSilent(r);
        expect(r.error, text).toBeUndefined(); // verify reports problems, it does not throw
        const res = r.value!;
        if (res.ok) {
          const parsed = strict(mutated);
          expect(parsed, 'accepted a manifest Ferry cannot parse strictly').toBeDefined();
          expect(JSON.stringify(parsed.files), 'accepted a manifest listing other files').toBe(files);
        } else {
          expect(res.problems.length).toBeGreaterThan(0);
          for (const p of res.problems) expect(p.detail.length).toBeGreaterThan(0);
        }
      }),
      fcOpts,
    );
  });

  it('a mutated volume label verifies only when its file list is unchanged; else a named problem', async () => {
    const original = readFileSync(join(volTemplate[0]!, 'FERRY-VOLUME.json'));
    const files = JSON.stringify((JSON.parse(original.toString()) as { files: unknown }).files);
    await fc.assert(
      fc.asyncProperty(mutation(), async (m) => {
        const d = join(w.bundles, `l${++n}`);
        const vols = volTemplate.map((v) => {
          const to = join(d, basename(v));
          cpSync(v, to, { recursive: true });
          return to;
        });
        const mutated = apply(original, m);
        writeFileSync(join(vols[0]!, 'FERRY-VOLUME.json'), mutated);
        const r = await timed(verifyVolumes(vols, pool, progress()));
        const text = expectBoundedAndSilent(r);
        expect(r.error, text).toBeUndefined();
        if (r.value!.ok) {
          const parsed = strict(mutated);
          expect(parsed).toBeDefined();
          expect(JSON.stringify(parsed.files)).toBe(files);
        } else expect(r.value!.problems.length).toBeGreaterThan(0);
      }),
      fcOpts,
    );
  });

  it('a mutated lock never verifies (the manifest hashes it) and install reads it safely', async () => {
    const original = readFileSync(join(template, 'lock.json'));
    await fc.assert(
      fc.asyncProperty(mutation(), async (m) => {
        const dir = join(w.bundles, `k${++n}`);
        cpSync(template, dir, { recursive: true });
        const mutated = apply(original, m);
        writeFileSync(join(dir, 'lock.json'), mutated);
        const v = await timed(verifyBundle(dir, pool, progress()));
        expectBoundedAndSilent(v);
        expect(v.value!.ok).toBe(mutated.equals(original));
        const info = await timed(readBundleRecipeInfo({ dir }));
        const text = expectBoundedAndSilent(info);
        if (info.error) expect(info.error.message.length, text).toBeGreaterThan(0);
        else expect(strict(mutated), 'install accepted a lock Ferry cannot parse strictly').toBeDefined();
      }),
      fcOpts,
    );
  });
});

describe('fuzzed media through the CLI', () => {
  it('ferry verify exits 0 only for an equivalent manifest, else 1 with a message', async () => {
    const original = readFileSync(join(template, 'manifest.json'));
    const files = JSON.stringify((JSON.parse(original.toString()) as { files: unknown }).files);
    await fc.assert(
      fc.asyncProperty(mutation(), async (m) => {
        const dir = join(w.bundles, `c${++n}`);
        cpSync(template, dir, { recursive: true });
        const mutated = apply(original, m);
        writeFileSync(join(dir, 'manifest.json'), mutated);
        const r = await runFerry(['verify', dir], { dataDir: join(w.root, 'data-cli'), timeoutMs: CLI_BOUND_MS });
        const out = `${r.stdout}\n${r.stderr}`;
        expect(r.timedOut).toBe(false);
        expectNoEcho(out, w.marker);
        if (r.code === 0) expect(JSON.stringify(strict(mutated)?.files)).toBe(files);
        else {
          expect(r.code, out).toBe(1);
          expect(out).toMatch(/manifest\.json|FAILED/);
        }
      }),
      { numRuns: 4, interruptAfterTimeLimit: 4 * CLI_BOUND_MS, endOnFailure: true },
    );
  });
});
