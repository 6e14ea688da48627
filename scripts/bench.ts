// `npm run bench`: Ferry against the tools an operator would otherwise use, on the same data in
// one run. Each row runs Ferry and its baseline alternately (one warm-up pair, then
// FERRY_BENCH_PAIRS pairs) on fresh state per run, and prints the median ratio with its min–max
// (scripts/lib/bench-pairs.ts). The table at the end is the README's Benchmark table.
//   FERRY_BENCH_LAYER_MIB (default 384)  shared base layer, plus 3 images × a third of it
//   FERRY_BENCH_MODEL_MIB (default 2048) a generated model in 4 shards (vs curl; memory check)
//   FERRY_BENCH_PAIRS (default 3)        measured pairs per row (at least 3)
//   FERRY_BENCH_QUICK=1                    small sizes for every row (under 2 minutes)
//   FERRY_BENCH_ONLY=startup,verify,…      only these rows (startup: scripts/bench-startup.ts; the
//                                          others: ROWS below); rows a chosen one needs run untimed
//   FERRY_BENCH_NO_BUILD=1                 use the build in out/ as it is
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeManifest } from '../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT } from '../src/main/bundle/manifest-schema';
import { safetensorsPrefix } from '../test/harness/demo-stack';
import { startHubServer } from '../test/harness/hub-server';
import { startRegistry } from '../test/harness/registry';
import { tempDir } from '../test/harness/temp';
import { makeLayerTar, pushTestImages, writeOciImage } from '../test/harness/test-images';
import { startupRows } from './bench-startup';
import { dockerRow, installPushRow } from './bench-delivery';
import { markdownTable, paired, sequence, type Row } from './lib/bench-pairs';
import { dropCaches, ferryCli, ociRef, onFreshRegistry, run, snapshotBuild } from './lib/bench-run';

const MIB = 1 << 20;
const QUICK = process.env.FERRY_BENCH_QUICK === '1';
const layerMib = Number(process.env.FERRY_BENCH_LAYER_MIB ?? (QUICK ? 24 : 384));
const modelMib = Number(process.env.FERRY_BENCH_MODEL_MIB ?? (QUICK ? 64 : 2048));
const [manyImages, manyLayers] = QUICK ? [10, 100] : [100, 1000];
const SHARDS = 4;
const NAMES = ['alpha', 'beta', 'gamma'];
const root = join(__dirname, '..');
let ferry = ferryCli(root);

async function main(): Promise<void> {
  if (process.env.FERRY_BENCH_NO_BUILD !== '1') execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  const t0 = Date.now();
  const rows = ROWS.some(wanted) ? await throughputRows() : undefined;
  if (wanted('startup')) {
    const tmp = tempDir('ferry-bench-startup-');
    try {
      console.log(`\n${await startupRows(root, tmp.path, (dir) => manyLayersBundle(dir, 1, 2))}`);
    } finally {
      tmp.cleanup();
    }
  }
  // The throughput table last, as the README's Benchmark table.
  if (rows) console.log(`\n${QUICK ? `QUICK run (FERRY_BENCH_QUICK=1: ${size(layerMib)} base layer, ${size(modelMib)} model): not for the README.\n\n` : ''}${markdownTable(rows)}`);
  console.log(`\nbench took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/** 2048 → "2 GiB", 384 → "384 MiB". */
function size(mib: number): string {
  return mib >= 1024 && mib % 1024 === 0 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

/** Row names for FERRY_BENCH_ONLY (comma-separated; `startup` for the start-up rows). */
const ROWS = ['acquire', 'verify', 'verify-many', 'push', 'push-again', 'docker', 'install-push', 'media', 'download', 'verify-model', 'place'] as const;
type RowKey = (typeof ROWS)[number];
const ONLY = process.env.FERRY_BENCH_ONLY?.split(',').map((k) => k.trim()).filter(Boolean);
const unknownRows = ONLY?.filter((k) => k !== 'startup' && !(ROWS as readonly string[]).includes(k));
if (unknownRows?.length) throw new Error(`FERRY_BENCH_ONLY: unknown row ${unknownRows.join(', ')} (rows: startup, ${ROWS.join(', ')})`);
const wanted = (key: RowKey | 'startup'): boolean => !ONLY || ONLY.includes(key);
/** The rows that need the acquired image bundle, and those that need the downloaded model. */
const IMAGE_ROWS: RowKey[] = ['acquire', 'verify', 'push', 'push-again', 'docker', 'install-push', 'media'];
const MODEL_ROWS: RowKey[] = ['download', 'verify-model', 'place'];

/** Runs a row (when FERRY_BENCH_ONLY selects it); a row that fails prints as n/a with the first line of its error instead of ending the bench. */
async function guarded(rows: Row[], key: RowKey, step: string, baselineLabel: string, measure: (step: string, baselineLabel: string) => Promise<Row>): Promise<void> {
  if (!wanted(key)) return;
  try {
    rows.push(await measure(step, baselineLabel));
  } catch (err) {
    const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim());
    const first = lines.find((l) => l.startsWith('ferry: ')) ?? lines[0] ?? 'failed'; // Ferry's own message, else the command
    process.stderr.write(`\nbench: ${step} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    rows.push({ step, baselineLabel, na: `failed: ${first.slice(0, 160)}` });
  }
}

async function throughputRows(): Promise<Row[]> {
  const rows: Row[] = [];
  const tmp = tempDir('ferry-bench-');
  ferry = ferryCli(snapshotBuild(root, join(tmp.path, 'checkout')));
  const fresh = (() => {
    let n = 0;
    return (what: string): string => join(tmp.path, `${what}-${n++}`);
  })();
  const [source, target] = await Promise.all([startRegistry(), startRegistry()]);
  // The model in shards, as hub models are (model-0000N-of-0000M.safetensors).
  const shardFiles = Object.fromEntries(Array.from({ length: SHARDS }, (_, i) => [`model-${String(i + 1).padStart(5, '0')}-of-${String(SHARDS).padStart(5, '0')}.safetensors`, { size: (modelMib / SHARDS) * MIB, seed: 42 + i, prefix: safetensorsPrefix((modelMib / SHARDS) * MIB) }]));
  const hub = await startHubServer({ repos: { 'bench/big-model': { files: { 'config.json': Buffer.from('{}'), ...shardFiles } } } });
  const data = join(tmp.path, 'data'); // the data dir the kept bundles were made with
  try {
    if (IMAGE_ROWS.some(wanted) || wanted('verify-many')) {
      // Three images sharing one large base layer, each with its own smaller layer.
      const layout = join(tmp.path, 'src');
      const base = await makeLayerTar([{ path: 'base.bin', content: randomBytes(layerMib * MIB) }]);
      for (const n of NAMES) {
        const own = await makeLayerTar([{ path: `${n}.bin`, content: randomBytes(Math.ceil(layerMib / 3) * MIB) }]);
        writeOciImage(layout, { name: `${n}:1.0`, layers: [base, own], cmd: ['/bin/sh'] });
      }
      const images = await pushTestImages(layout, source.host, 'bench');
      const imageBytes = layerMib * MIB + 3 * Math.ceil(layerMib / 3) * MIB;
      const imageLabel = `${size(layerMib)} shared base + 3 × ${size(Math.ceil(layerMib / 3))}`;
      const bundle = join(tmp.path, 'bundle');
      const skopeoPush = (host: string, prefix: string) => sequence(NAMES.map((n) => () => run('skopeo', ['copy', '-q', '--dest-tls-verify=false', ociRef(join(bundle, 'images'), n), `docker://${host}/${prefix}/${n}:1.0`])));

      // Acquire: skopeo copies image by image into one OCI layout; Ferry fetches all blobs in parallel, shared once.
      // Fresh output and data dir per run; the warm-up's bundle is the one the later rows use.
      await guarded(rows, 'acquire', `acquire 3 images (${imageLabel})`, '`skopeo copy` one by one', (step, baseline) =>
        paired(step, {
          label: 'ferry',
          once: async (i) => {
            const out = i < 0 ? bundle : fresh('acq');
            const r = await ferry(['bundle', 'create', ...images.flatMap((im) => ['--image', im.ref]), '--out', out, '--data-dir', i < 0 ? data : fresh('acq-data')]);
            if (i >= 0) rmSync(out, { recursive: true, force: true });
            return r;
          },
        }, {
          label: baseline,
          once: async () => {
            const out = fresh('skopeo-layout');
            const r = await sequence(images.map((im) => () => run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${im.ref}`, `oci:${out}:${im.ref.split('/').pop()}`])));
            rmSync(out, { recursive: true, force: true });
            return r;
          },
        }, { bytes: imageBytes }),
      );
      // The later rows use the acquire row's warm-up bundle; without that row it is made untimed.
      if (!existsSync(join(bundle, 'manifest.json'))) await ferry(['bundle', 'create', ...images.flatMap((im) => ['--image', im.ref]), '--out', bundle, '--data-dir', data]);
      const files = execFileSync('find', [bundle, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');

      // Verify: every file re-hashed vs one openssl pass over the same files (both from the page cache).
      await guarded(rows, 'verify', `verify that bundle (${size(Math.round(imageBytes / MIB))})`, '`openssl dgst -sha256`', (step, baseline) =>
        paired(step,
          { label: 'ferry', once: () => ferry(['verify', bundle, '--data-dir', fresh('verify-data')]) },
          { label: baseline, once: () => run('openssl', ['dgst', '-sha256', ...files]) },
          { bytes: imageBytes }),
      );

      // Verify at scale: many images × many tiny layers: linear in layers, image manifests checked against the bundle's.
      const manyStep = `verify ${manyImages} images × ${manyLayers.toLocaleString('en')} layers (${(manyImages * (manyLayers + 2)).toLocaleString('en')} tiny files)`;
      await guarded(rows, 'verify-many', manyStep, '`openssl dgst -sha256`', async (step, baseline) => {
        const many = join(tmp.path, 'many-layers');
        await manyLayersBundle(many, manyImages, manyLayers);
        return paired(step,
          { label: 'ferry', once: () => ferry(['verify', many, '--data-dir', fresh('verify-data')]) },
          { label: baseline, once: () => run('sh', ['-c', `find ${JSON.stringify(many)} -type f -exec openssl dgst -sha256 {} + > /dev/null`]) });
      });

      // Push: skopeo image by image vs Ferry's import (each blob proven while it uploads, in parallel,
      // cross-repo mounts); each run into a registry of its own, so no run finds blobs another pushed.
      await guarded(rows, 'push', 'push the 3 images, incl. verification', '`skopeo copy oci:… docker://…` one by one', (step, baseline) =>
        paired(step,
          { label: 'ferry', once: () => onFreshRegistry((host) => ferry(['import', bundle, '--registry', `${host}/bench`, '--data-dir', fresh('push-data')])) },
          { label: baseline, once: () => onFreshRegistry((host) => skopeoPush(host, 'bench')) },
          { bytes: imageBytes }),
      );

      // Re-push: the registry already has everything (each side's own repositories, pushed once untimed).
      await guarded(rows, 'push-again', 'push again (registry already has everything)', '`skopeo copy` again', async (step, baseline) => {
        const dataAgain = fresh('again-data');
        await ferry(['import', bundle, '--registry', `${target.host}/again-f`, '--data-dir', dataAgain]);
        await skopeoPush(target.host, 'again-s');
        return paired(step,
          { label: 'ferry', once: () => ferry(['import', bundle, '--registry', `${target.host}/again-f`, '--data-dir', dataAgain]) },
          { label: baseline, once: () => skopeoPush(target.host, 'again-s') });
      });

      // Import into Docker vs `docker load` of the same three images (a private dockerd from the test harness).
      await guarded(rows, 'docker', 'load the 3 images into Docker, incl. verification', '`docker load` of one archive', (step, baseline) => dockerRow(step, baseline, { ferry, bundle, tmp: tmp.path, fresh, bytes: imageBytes }));

      // The install's push step vs the same skopeo copies.
      await guarded(rows, 'install-push', 'install push step, 3 images (its verify step done before)', '`skopeo copy oci:… docker://…` one by one', (step, baseline) =>
        installPushRow(step, baseline, { ferry, sourceHost: source.host, fresh, bytes: imageBytes }));

      // Media: ferry media write onto two folders (fsync, read-back) vs cp -r, sync, dropping the page
      // cache and one openssl pass over the copies. Fresh folders per run; the bundle is read into the
      // page cache (untimed) before each run, so no run reads it colder than another.
      // The baseline drops the whole page cache, Node.js and Ferry's own code with it: before each Ferry
      // run an untimed `ferry verify` of a tiny bundle pages them in again.
      const warmBundle = () => run('sh', ['-c', 'cat "$@" > /dev/null', 'sh', ...files]);
      const tiny = join(tmp.path, 'tiny-bundle');
      await manyLayersBundle(tiny, 1, 2);
      const warmFerry = () => ferry(['verify', tiny, '--data-dir', fresh('warm-data')]);
      let dropFailed: string | undefined;
      await guarded(rows, 'media', 'media write onto 2 folders incl. fsync + read-back', '`cp -r` + `sync` + drop caches + `openssl dgst`', (step, baseline) =>
        paired(step, {
          label: 'ferry',
          once: async () => {
            await warmBundle();
            await warmFerry();
            const vols = ['vol1', 'vol2'].map((v) => join(fresh('media'), v));
            for (const v of vols) mkdirSync(v, { recursive: true });
            const volumeMib = Math.ceil((imageBytes * 0.6) / MIB); // two volumes; the largest layer is split when it does not fit
            const r = await ferry(['media', 'write', bundle, ...vols.flatMap((v) => ['--to', v]), '--volume-size', `${volumeMib}MiB`, '--fs', 'ext4', '--no-kit', '--unapproved-reason', 'benchmark data', '--data-dir', fresh('media-data')]);
            for (const v of vols) rmSync(v, { recursive: true, force: true });
            return r;
          },
        }, {
          label: baseline,
          once: async () => {
            await warmBundle();
            const dest = fresh('cp-copy');
            const r = await sequence([
              () => run('cp', ['-r', bundle, dest]),
              () => run('sync', []),
              async () => {
                const d = await dropCaches();
                if (d.failed) dropFailed = d.failed;
                return d;
              },
              () => run('openssl', ['dgst', '-sha256', ...files.map((f) => join(dest, relative(bundle, f)))]),
            ]);
            rmSync(dest, { recursive: true, force: true });
            return r;
          },
        }, { bytes: imageBytes, note: () => (dropFailed ? `the baseline could not drop the page cache: ${dropFailed}` : undefined) }),
      );
    }

    if (MODEL_ROWS.some(wanted)) {
      // Download: curl fetching the same files one after another (following the hub's redirects) vs Ferry.
      const mbundle = join(tmp.path, 'model-bundle');
      const modelFiles = ['config.json', ...Object.keys(shardFiles)];
      await guarded(rows, 'download', `download a ${size(modelMib)} model in ${SHARDS} shards`, '`curl` of the same files', (step, baseline) =>
        paired(step, {
          label: 'ferry',
          once: async (i) => {
            const out = i < 0 ? mbundle : fresh('model-bundle');
            const r = await ferry(['bundle', 'create', '--model', 'bench/big-model', '--hub-url', hub.url, '--out', out, '--data-dir', i < 0 ? data : fresh('model-data')]);
            if (i >= 0) rmSync(out, { recursive: true, force: true });
            return r;
          },
        }, {
          label: baseline,
          once: async () => {
            const dir = fresh('curl');
            const r = await run('curl', ['-sSfL', '--create-dirs', ...modelFiles.flatMap((f) => ['-o', join(dir, f), `${hub.url}/bench/big-model/resolve/main/${f}`])]);
            rmSync(dir, { recursive: true, force: true });
            return r;
          },
        }, { bytes: modelMib * MIB }),
      );

      if (!existsSync(join(mbundle, 'manifest.json'))) await ferry(['bundle', 'create', '--model', 'bench/big-model', '--hub-url', hub.url, '--out', mbundle, '--data-dir', data]);
      const mfiles = execFileSync('find', [mbundle, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
      await guarded(rows, 'verify-model', `verify the ${size(modelMib)} model`, '`openssl dgst -sha256`', (step, baseline) =>
        paired(step,
          { label: 'ferry', once: () => ferry(['verify', mbundle, '--data-dir', fresh('verify-data')]) },
          { label: baseline, once: () => run('openssl', ['dgst', '-sha256', ...mfiles]) },
          { bytes: modelMib * MIB }),
      );

      // Model placement: ferry import --models-dir (verify, copy, hash, fsync, rename) vs cp + sha256sum of the copies.
      const shardPaths = mfiles.filter((f) => f.endsWith('.safetensors') || f.endsWith('/config.json'));
      await guarded(rows, 'place', `place the ${size(modelMib)} model (\`import --models-dir\`), incl. verification`, '`cp` + `sha256sum`', (step, baseline) =>
        paired(step, {
          label: 'ferry',
          once: async () => {
            const dir = fresh('models');
            const r = await ferry(['import', mbundle, '--models-dir', dir, '--data-dir', fresh('place-data')]);
            rmSync(dir, { recursive: true, force: true });
            return r;
          },
        }, {
          label: baseline,
          once: async () => {
            const dir = fresh('cp-models');
            mkdirSync(dir);
            const r = await sequence([() => run('cp', [...shardPaths, dir]), () => run('sha256sum', shardPaths.map((f) => join(dir, f.split('/').pop()!)))]);
            rmSync(dir, { recursive: true, force: true });
            return r;
          },
        }, { bytes: modelMib * MIB }),
      );
    }
  } finally {
    await Promise.allSettled([source.stop(), target.stop(), hub.stop()]);
    tmp.cleanup();
  }
  return rows;
}

/** A bundle of `images` OCI images with `layers` tiny distinct layers each (real blobs and image manifests); returns its bytes. */
async function manyLayersBundle(dir: string, images: number, layers: number): Promise<number> {
  const blobs = join(dir, 'images', 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const files: { path: string; size: number; sha256: string }[] = [];
  const put = (bytes: Buffer): { digest: string; size: number } => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(blobs, hex), bytes);
    files.push({ path: `images/blobs/sha256/${hex}`, size: bytes.length, sha256: hex });
    return { digest: `sha256:${hex}`, size: bytes.length };
  };
  const artifacts = [];
  for (let i = 0; i < images; i++) {
    const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', image: i })));
    const ls = Array.from({ length: layers }, (_, j) => put(Buffer.from(`image ${i} layer ${j}\n`)));
    const mediaType = 'application/vnd.oci.image.manifest.v1+json';
    const manifest = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: ls.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l })) })));
    artifacts.push({
      kind: 'image' as const, name: `bench.example/many/img${i}:1`, source: `bench.example/many/img${i}`, registry: 'bench.example', repository: `many/img${i}`, tag: '1',
      digest: manifest.digest, mediaType, platform: 'linux/amd64', size: manifest.size + config.size + ls.reduce((s, l) => s + l.size, 0), config: config.digest, layers: ls.map((l) => l.digest),
    });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await writeManifest(dir, { format: BUNDLE_FORMAT, bundleId: randomUUID(), createdAt: new Date().toISOString(), createdBy: { actor: 'bench', station: 'bench' }, tool: { name: 'ferry', version: '0' }, artifacts, files });
  return files.reduce((s, f) => s + f.size, 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
