import { mkdirSync, writeFileSync, truncateSync, renameSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'vitest';
import { createDockerArchive } from '../../src/main/docker/docker-archive';
import { sha256 } from '../harness/test-images';
test('mem', async () => {
  const dir = '/tmp/ferry-mem-scratch';
  mkdirSync(join(dir, 'blobs/sha256'), { recursive: true });
  const size = 2 ** 30;
  const tmpf = join(dir, 'big');
  writeFileSync(tmpf, ''); truncateSync(tmpf, size);
  const h = createHash('sha256'); const z = Buffer.alloc(1 << 24); for (let i = 0; i < size / z.length; i++) h.update(z);
  const ld = `sha256:${h.digest('hex')}`; renameSync(tmpf, join(dir, 'blobs/sha256', ld.slice(7)));
  const cfg = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [ld] } });
  const put = (s: string) => { const d = sha256(s); writeFileSync(join(dir, 'blobs/sha256', d.slice(7)), s); return { digest: d, size: Buffer.byteLength(s) }; };
  const m = put(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(cfg) }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: ld, size }] }));
  const before = process.memoryUsage().rss; let peak = before; let n = 0; const t0 = Date.now();
  for await (const c of createDockerArchive(dir, [{ manifestDigest: m.digest, repoTags: [] }])) { n += (c as Buffer).length; peak = Math.max(peak, process.memoryUsage().rss); }
  console.log({ n, beforeMB: before >> 20, peakMB: peak >> 20, ms: Date.now() - t0, MBps: Math.round(n / 1048576 / ((Date.now() - t0) / 1000)) });
}, 120000);
