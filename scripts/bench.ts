// `npm run bench`: Ferry against the tools an operator would otherwise use, on the same
// data in one run, printed as ratios (lower is better for time). Sizes are tunable:
//   FERRY_BENCH_LAYER_MIB (default 384)  shared base layer, plus 3 images × a third of it
//   FERRY_BENCH_MODEL_MIB (default 2048) a generated model in 4 shards (vs curl; memory check)
//   FERRY_BENCH_ONLY=startup               only the start-up rows (scripts/bench-startup.ts)
//   FERRY_BENCH_NO_BUILD=1                 use the build in out/ as it is
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { writeManifest } from '../src/main/bundle/manifest-io';
import { BUNDLE_FORMAT } from '../src/main/bundle/manifest-schema';
import { startHubServer } from '../test/harness/hub-server';
import { startRegistry } from '../test/harness/registry';
import { tempDir } from '../test/harness/temp';
import { startupRows } from './bench-startup';
import { makeLayerTar, writeOciImage } from '../test/harness/test-images';
import { pushTestImages } from '../test/harness/test-images';

const MIB = 1 << 20;
const layerMib = Number(process.env.FERRY_BENCH_LAYER_MIB ?? 384);
const modelMib = Number(process.env.FERRY_BENCH_MODEL_MIB ?? 2048);
const SHARDS = 4;
const root = join(__dirname, '..');

interface Run {
  seconds: number;
  peakRssMiB?: number;
  stdout: string;
}

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${args.join(' ')} exited ${code}\n${stderr}`));
      const m = /ferry-peak-rss-kib: (\d+)/.exec(stderr);
      resolve({ seconds, stdout, ...(m ? { peakRssMiB: Number(m[1]) / 1024 } : {}) });
    });
  });
}

const ferry = (args: string[]) => run(process.execPath, [join(root, 'bin/ferry.js'), ...args], { env: { FERRY_PRINT_PEAK_RSS: '1' } });
const rows: string[][] = [];
function report(what: string, ferryRun: Run, otherName: string, other: Run | null, bytes: number): void {
  const rate = `${(bytes / MIB / ferryRun.seconds).toFixed(0)} MiB/s`;
  rows.push([
    what,
    `${ferryRun.seconds.toFixed(2)} s`,
    rate,
    other ? `${otherName} ${other.seconds.toFixed(2)} s` : otherName,
    other ? `${(ferryRun.seconds / other.seconds).toFixed(2)}×` : '',
    ferryRun.peakRssMiB ? `${ferryRun.peakRssMiB.toFixed(0)} MiB` : '',
  ]);
}

async function main(): Promise<void> {
  if (process.env.FERRY_BENCH_NO_BUILD !== '1') execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  if (process.env.FERRY_BENCH_ONLY !== 'startup') await throughputRows();
  const tmp = tempDir('ferry-bench-startup-');
  try {
    console.log(`\n${await startupRows(root, tmp.path, (dir) => manyLayersBundle(dir, 1, 2))}`);
  } finally {
    tmp.cleanup();
  }
}

async function throughputRows(): Promise<void> {
  const tmp = tempDir('ferry-bench-');
  const [source, forSkopeo, forFerry] = await Promise.all([startRegistry(), startRegistry(), startRegistry()]);
  // The model in shards, as hub models are (model-0000N-of-0000M.safetensors).
  const shardFiles = Object.fromEntries(Array.from({ length: SHARDS }, (_, i) => [`model-${String(i + 1).padStart(5, '0')}-of-${String(SHARDS).padStart(5, '0')}.safetensors`, { size: (modelMib / SHARDS) * MIB, seed: 42 + i }]));
  const hub = await startHubServer({ repos: { 'bench/big-model': { files: { 'config.json': Buffer.from('{}'), ...shardFiles } } } });
  try {
    // Three images sharing one large base layer, each with its own smaller layer.
    const layout = join(tmp.path, 'src');
    const base = await makeLayerTar([{ path: 'base.bin', content: randomBytes(layerMib * MIB) }]);
    for (const n of ['alpha', 'beta', 'gamma']) {
      const own = await makeLayerTar([{ path: `${n}.bin`, content: randomBytes(Math.ceil(layerMib / 3) * MIB) }]);
      writeOciImage(layout, { name: `${n}:1.0`, layers: [base, own], cmd: ['/bin/sh'] });
    }
    const images = await pushTestImages(layout, source.host, 'bench');
    const imageBytes = layerMib * MIB + 3 * Math.ceil(layerMib / 3) * MIB;
    const data = join(tmp.path, 'data');

    // Acquire: skopeo copies image by image into one OCI layout; Ferry fetches all blobs in parallel, shared once.
    const skopeoAcq = await (async () => {
      const t0 = Date.now();
      for (const i of images) await run('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${i.ref}`, `oci:${join(tmp.path, 'skopeo-layout')}:${i.ref.split('/').pop()}`]);
      return { seconds: (Date.now() - t0) / 1000, stdout: '' };
    })();
    const bundle = join(tmp.path, 'bundle');
    const acq = await ferry(['bundle', 'create', ...images.flatMap((i) => ['--image', i.ref]), '--out', bundle, '--data-dir', data]);
    report('acquire 3 images', acq, 'skopeo copy ×3', skopeoAcq, imageBytes);

    // Verify: every file re-hashed vs one openssl pass over the same files.
    const files = execFileSync('find', [bundle, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
    const openssl = await run('openssl', ['dgst', '-sha256', ...files]);
    const ver = await ferry(['verify', bundle, '--data-dir', data]);
    report('verify bundle', ver, 'openssl dgst -sha256', openssl, imageBytes);

    // Verify at scale: 100 images × 1,000 layers (tiny blobs): linear in layers, image manifests checked against the bundle's.
    const many = join(tmp.path, 'many-layers');
    const manyBytes = await manyLayersBundle(many, 100, 1000);
    const osslMany = await run('sh', ['-c', `find ${JSON.stringify(many)} -type f -exec openssl dgst -sha256 {} + > /dev/null`]);
    const verMany = await ferry(['verify', many, '--data-dir', data]);
    report('verify 100 images × 1,000 layers', verMany, 'openssl dgst -sha256', osslMany, manyBytes);

    // Push: skopeo image by image vs Ferry (parallel blobs, cross-repo mounts), then a re-push.
    const skopeoPush = await (async () => {
      const t0 = Date.now();
      for (const n of ['alpha', 'beta', 'gamma']) await run('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${join(bundle, 'images')}:${images.find((i) => i.ref.includes(n))!.ref}`, `docker://${forSkopeo.host}/duo/${n}:1.0`]);
      return { seconds: (Date.now() - t0) / 1000, stdout: '' };
    })();
    const push = await ferry(['import', bundle, '--registry', `${forFerry.host}/duo`, '--data-dir', data]);
    report('push 3 images (incl. verify)', push, 'skopeo copy ×3', skopeoPush, imageBytes);
    const repush = await ferry(['import', bundle, '--registry', `${forFerry.host}/duo`, '--data-dir', data]);
    report('re-push (incl. verify)', repush, 'first push', push, imageBytes);

    // Media: ferry media write onto two folders (each file fsynced, dropped from the page cache and
    // read back) vs cp -r, sync and one openssl pass over the copies, on the same bundle.
    const cpDest = join(tmp.path, 'cp-copy');
    const cpBaseline = await (async () => {
      const t0 = Date.now();
      await run('cp', ['-r', bundle, cpDest]);
      await run('sync', []);
      await run('openssl', ['dgst', '-sha256', ...files.map((f) => join(cpDest, relative(bundle, f)))]);
      return { seconds: (Date.now() - t0) / 1000, stdout: '' };
    })();
    const mediaVols = ['vol1', 'vol2'].map((v) => join(tmp.path, 'media', v));
    for (const v of mediaVols) mkdirSync(v, { recursive: true });
    const volumeMib = Math.ceil((imageBytes * 0.6) / MIB); // two volumes; the largest layer is split when it does not fit
    const media = await ferry(['media', 'write', bundle, ...mediaVols.flatMap((v) => ['--to', v]), '--volume-size', `${volumeMib}MiB`, '--fs', 'ext4', '--data-dir', data]);
    report('media write 2 folders (incl. read-back)', media, 'cp -r + sync + openssl', cpBaseline, imageBytes);

    // Memory: a large model file streams through; peak RSS must stay flat.
    const mbundle = join(tmp.path, 'model-bundle');
    // Download: curl fetching the same files one after another (following the hub's redirects) vs Ferry.
    const curlDir = join(tmp.path, 'curl');
    const curlArgs = ['-sSfL', '--create-dirs', ...['config.json', ...Object.keys(shardFiles)].flatMap((f) => ['-o', join(curlDir, f), `${hub.url}/bench/big-model/resolve/main/${f}`])];
    const curl = await run('curl', curlArgs);
    const model = await ferry(['bundle', 'create', '--model', 'bench/big-model', '--hub-url', hub.url, '--out', mbundle, '--data-dir', data]);
    report(`download ${modelMib} MiB model (${SHARDS} shards)`, model, 'curl', curl, modelMib * MIB);
    const mver = await ferry(['verify', mbundle, '--data-dir', data]);
    const osslModel = await run('openssl', ['dgst', '-sha256', ...execFileSync('find', [mbundle, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n')]);
    report(`verify ${modelMib} MiB model`, mver, 'openssl dgst -sha256', osslModel, modelMib * MIB);
  } finally {
    await Promise.allSettled([source.stop(), forSkopeo.stop(), forFerry.stop(), hub.stop()]);
    tmp.cleanup();
  }
  const head = ['step', 'ferry', 'throughput', 'baseline', 'ratio', 'peak RSS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log([line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
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
