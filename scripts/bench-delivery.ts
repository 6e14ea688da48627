// Delivery rows of `npm run bench` that need more than a registry: `ferry import --docker` against
// `docker load` (a private dockerd from the test harness) and the install's push step against the
// same skopeo copies (a recipe bundle of the bench images, planned and verified untimed per run).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDockerd } from '../test/harness/dockerd';
import { paired, sequence, type Row, type Timed } from './lib/bench-pairs';
import { ociRef, onFreshRegistry, run } from './lib/bench-run';

type Ferry = (args: string[], opts?: { env?: NodeJS.ProcessEnv }) => Promise<Timed>;
const NAMES = ['alpha', 'beta', 'gamma'];
/** The install plan requires an outside target; only the verify and push steps run here, so it is never contacted (TEST-NET-1). */
const EGRESS_PLACEHOLDER = '192.0.2.1:53';

/** `ferry import --docker` vs `docker load` of one archive holding the same three images; the engine is emptied (untimed) before each run. */
export async function dockerRow(step: string, baselineLabel: string, o: { ferry: Ferry; bundle: string; tmp: string; fresh: (what: string) => string; bytes: number }): Promise<Row> {
  if (process.getuid?.() !== 0) return { step, baselineLabel, na: 'needs root to start a private dockerd' };
  const missing = ['dockerd', 'containerd', 'runc', 'docker'].filter((t) => !['/usr/bin', '/usr/sbin', '/usr/local/bin'].some((d) => existsSync(join(d, t))));
  if (missing.length) return { step, baselineLabel, na: `not installed: ${missing.join(', ')}` };
  const engine = await startDockerd();
  try {
    const host = `unix://${engine.socketPath}`;
    const docker = (args: string[]) => run('docker', ['-H', host, ...args]);
    const empty = async (): Promise<void> => {
      const ids = (await docker(['image', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await docker(['image', 'rm', '-f', ...new Set(ids)]);
    };
    const load = (): Promise<Timed> => o.ferry(['import', o.bundle, '--docker', '--docker-host', host, '--data-dir', o.fresh('docker-data')]);
    // The baseline's archive: what Ferry loaded, saved by the engine itself (shared layers once).
    await load();
    const tags = (await docker(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter(Boolean);
    if (tags.length !== 3) throw new Error(`expected 3 images in the engine after ferry import --docker, found: ${tags.join(', ') || 'none'}`);
    const archive = join(o.tmp, 'docker-archive.tar');
    await docker(['save', '-o', archive, ...tags]);
    return await paired(step, {
      label: 'ferry',
      once: async () => {
        await empty();
        return load();
      },
    }, {
      label: baselineLabel,
      once: async () => {
        await empty();
        return docker(['load', '-q', '-i', archive]);
      },
    }, { bytes: o.bytes });
  } finally {
    await engine.stop();
  }
}

/**
 * `ferry install --resume ID --step push` vs skopeo copying the same images one by one. Untimed
 * per run: a registry of its own (onFreshRegistry), a new install planned for it and its verify step run.
 */
export async function installPushRow(step: string, baselineLabel: string, o: { ferry: Ferry; sourceHost: string; fresh: (what: string) => string; bytes: number }): Promise<Row> {
  // A user recipe naming the bench images; bench.example is mirrored to the loopback source registry.
  const recipeData = o.fresh('recipe-data');
  mkdirSync(join(recipeData, 'recipes'), { recursive: true });
  writeFileSync(join(recipeData, 'recipes', 'bench-three.yaml'), [
    'format: ferry.recipe.v1',
    'id: bench-three',
    'title: Benchmark images',
    'version: 1.0.0',
    'artifacts:',
    '  images:',
    ...NAMES.flatMap((n) => [`    - id: ${n}`, `      source: bench.example/bench/${n}`, '      tag: "1.0"', `      target: ${n}`]),
    'install:',
    '  outputs:',
    '    - { label: images, value: "pushed" }',
    '',
  ].join('\n'));
  const rbundle = o.fresh('recipe-bundle');
  await o.ferry(['bundle', 'create', '--recipe', 'bench-three', '--mirror', `bench.example=${o.sourceHost}`, '--out', rbundle, '--data-dir', recipeData]);
  return paired(step, {
    label: 'ferry',
    once: () =>
      onFreshRegistry(async (host) => {
        const dataDir = o.fresh('install-data');
        const planned = await o.ferry(['install', rbundle, '--registry', `${host}/bench`, '--models-dir', o.fresh('install-models'), '--gpu', 'none', '--egress-outside', EGRESS_PLACEHOLDER, '--step', 'verify', '--json', '--data-dir', dataDir]);
        const installId = (JSON.parse(planned.stdout) as { installId: string }).installId;
        return o.ferry(['install', '--resume', installId, '--step', 'push', '--data-dir', dataDir]);
      }),
  }, {
    label: baselineLabel,
    once: () => onFreshRegistry((host) => sequence(NAMES.map((n) => () => run('skopeo', ['copy', '-q', '--dest-tls-verify=false', ociRef(join(rbundle, 'images'), n), `docker://${host}/bench/${n}:1.0`])))),
  }, { bytes: o.bytes });
}
