import { createHash } from 'node:crypto';
import { readFileSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/main/bundle/canonical-json';
import { LABEL_FILE, labelFileName, LabelError, MAX_LABEL_BYTES, partFile, readLabel, writeLabel, type VolumeLabel } from '../../src/main/media/label';
import { tempDir } from '../harness/temp';

let t: ReturnType<typeof tempDir>;
beforeEach(() => (t = tempDir()));
afterEach(() => t.cleanup());

const label = (): VolumeLabel => ({
  format: 'ferry.volume.v1',
  bundleId: '6f1c1f0e-2d5b-4a53-9a53-1f6f0e6b7c11',
  manifestSha256: 'a'.repeat(64),
  volumeId: '0b7f6a4e-3a51-4c1f-9b7e-2f0f3f8f1a22',
  volume: { index: 2, count: 3, last: false },
  fs: 'fat32',
  mediaSerial: '4C530001230712117384',
  writtenAt: '2026-11-23T06:00:00.000+00:00',
  state: 'incomplete',
  note: 'medium full',
  files: [
    { path: 'models/org--m/config.json', size: 7, sha256: 'b'.repeat(64) },
    { path: 'models/org--m/model.safetensors', size: 100, sha256: 'c'.repeat(64), part: { index: 2, offset: 100, fileSize: 250 } },
  ],
});

const put = (value: unknown): void => writeFileSync(join(t.path, LABEL_FILE), typeof value === 'string' ? value : JSON.stringify(value));

describe('volume label', () => {
  it('round-trips as canonical JSON and returns its sha256', async () => {
    const sha = await writeLabel(t.path, label());
    const bytes = readFileSync(join(t.path, LABEL_FILE));
    expect(bytes.toString()).toBe(canonicalJson(label()));
    expect(sha).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(await readLabel(t.path)).toEqual(label());
  });

  it('carries approvals/ and custody/ files as sidecars; labels without them still read', async () => {
    const l = { ...label(), sidecars: [{ path: 'approvals/ab-20261123T060000000Z.json', size: 812, sha256: 'e'.repeat(64) }, { path: 'custody/head.json', size: 300, sha256: 'f'.repeat(64) }] };
    await writeLabel(t.path, l);
    expect(await readLabel(t.path)).toEqual(l);
    await writeLabel(t.path, label());
    expect((await readLabel(t.path)).sidecars).toBeUndefined();
  });

  it('names part files on the volume', () => {
    expect(partFile('a/b.bin', 1)).toBe('a/b.bin.part0001');
    expect(partFile('a/b.bin', 12345)).toBe('a/b.bin.part12345');
    expect(labelFileName(label().files[1]!)).toBe('models/org--m/model.safetensors.part0002');
    expect(labelFileName(label().files[0]!)).toBe('models/org--m/config.json');
  });

  it.each([
    ['a path escaping the volume', (l: VolumeLabel) => (l.files[0]!.path = '../../etc/passwd'), /files\.0\.path/],
    ['an absolute path', (l: VolumeLabel) => (l.files[0]!.path = '/etc/passwd'), /files\.0\.path/],
    ['a part past its file end', (l: VolumeLabel) => (l.files[1]!.part!.offset = 200), /past the end/],
    ['a volume index over the count', (l: VolumeLabel) => (l.volume.index = 4), /index is larger/],
    ['a last volume that is not the count', (l: VolumeLabel) => (l.volume.last = true), /last volume/],
    ['an unknown field', (l: VolumeLabel) => Object.assign(l, { exec: 'rm -rf /' }), /root|exec/],
    ['an unknown filesystem', (l: VolumeLabel) => Object.assign(l, { fs: 'hfs' }), /fs/],
    ['a negative size', (l: VolumeLabel) => (l.files[0]!.size = -1), /size/],
    ['a sidecar outside approvals/ and custody/', (l: VolumeLabel) => (l.sidecars = [{ path: 'models/x.json', size: 1, sha256: 'd'.repeat(64) }]), /sidecars\.0\.path/],
    ['a sidecar escaping its folder', (l: VolumeLabel) => (l.sidecars = [{ path: 'approvals/../../etc/passwd', size: 1, sha256: 'd'.repeat(64) }]), /sidecars\.0\.path/],
    ['a sidecar listed twice', (l: VolumeLabel) => (l.sidecars = [{ path: 'custody/head.json', size: 1, sha256: 'd'.repeat(64) }, { path: 'custody/head.json', size: 1, sha256: 'd'.repeat(64) }]), /twice/],
    ['an oversized sidecar', (l: VolumeLabel) => (l.sidecars = [{ path: 'custody/events.jsonl', size: 1 << 30, sha256: 'd'.repeat(64) }]), /sidecars\.0\.size/],
  ])('refuses %s', async (_what, mutate, why) => {
    const l = label();
    mutate(l);
    put(l);
    await expect(readLabel(t.path)).rejects.toThrow(why);
    await expect(readLabel(t.path)).rejects.toBeInstanceOf(LabelError);
  });

  it('refuses invalid JSON, a missing label, an oversized label and a symlinked one', async () => {
    put('{"format":');
    await expect(readLabel(t.path)).rejects.toThrow(/not valid JSON/);
    const other = tempDir();
    try {
      await expect(readLabel(other.path)).rejects.toThrow(/has no FERRY-VOLUME.json/);
      symlinkSync('/etc/hostname', join(other.path, LABEL_FILE));
      await expect(readLabel(other.path)).rejects.toThrow(/symbolic link/);
    } finally {
      other.cleanup();
    }
    truncateSync(join(t.path, LABEL_FILE), MAX_LABEL_BYTES + 1);
    await expect(readLabel(t.path)).rejects.toThrow(/over the .*limit/);
  });
});
