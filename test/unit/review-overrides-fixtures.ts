import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signCreation, type Creator } from '../../src/main/bundle/creation';
import { readManifest, writeManifest } from '../../src/main/bundle/manifest-io';
import type { BundleManifest } from '../../src/main/bundle/manifest-schema';
import type { AntivirusRunner } from '../../src/main/scan/antivirus';
import { scanPath } from '../../src/main/scan/scan-path';
import type { AntivirusSummary } from '../../src/main/scan/types';
import { makeBundle } from './custody-fixtures';

/** A pickle that imports os.system and calls it with "id" when loaded (GLOBAL os system; REDUCE). */
export const EVIL_PICKLE = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from('cos\nsystem\nX\x02\x00\x00\x00id\x85R.', 'latin1')]);
export const EVIL_FILE = 'models/org--m/evil.pkl';

/** A well-formed safetensors file: one F32 tensor of 4 values. */
const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }).padEnd(64, ' '));
const SAFETENSORS = Buffer.concat([Buffer.from([header.length, 0, 0, 0, 0, 0, 0, 0]), header, Buffer.alloc(16)]);

/** The antivirus results a test can ask for (ClamAV here has no signature database, so 'clean' is set on the report). */
export const AV: Record<'clean' | 'error' | 'not-run', AntivirusSummary> = {
  clean: { status: 'clean', engine: 'ClamAV 1.0.7', signaturesDate: '2026-11-30' },
  error: { status: 'error', engine: 'ClamAV 1.0.7', detail: 'LibClamAV Error: cli_loaddbdir(): No supported database files found in /var/lib/clamav', signaturesDate: undefined },
  'not-run': { status: 'not-run', detail: 'ClamAV is not installed (apt-get install clamav)' },
};

const noAv: AntivirusRunner = { scan: async () => ({ status: 'not-run', reason: 'replaced by the test', detections: [] }) };

/**
 * The custody fixtures' model bundle with a malicious pickle added to its model, scanned by the
 * real scanner (the pickle blocks), the report stored on the artifact as bundle create does.
 */
export async function makeBlockedBundle(dir: string, createdBy: BundleManifest['createdBy'] | Creator = { actor: 'op', station: 'low' }, av: keyof typeof AV = 'clean'): Promise<string> {
  await makeBundle(dir, createdBy);
  const { manifest } = await readManifest(dir);
  const m = manifest.artifacts[0]!;
  if (m.kind !== 'model') throw new Error('fixture: expected a model artifact');
  // The weights become a well-formed safetensors file, so the pickle is the only thing that blocks.
  for (const [name, bytes] of [['weights.safetensors', SAFETENSORS], ['evil.pkl', EVIL_PICKLE]] as const) {
    writeFileSync(join(dir, m.dir, name), bytes);
    const entry = { path: name, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    m.files = [...m.files.filter((f) => f.path !== name), entry];
    manifest.files = [...manifest.files.filter((f) => f.path !== `${m.dir}/${name}`), { ...entry, path: `${m.dir}/${name}` }];
  }
  m.size = m.files.reduce((s, f) => s + f.size, 0);
  const report = await scanPath(join(dir, m.dir), { antivirus: noAv });
  const { signaturesDate, ...rest } = AV[av];
  report.antivirus = { ...rest, ...(signaturesDate ? { signaturesDate } : {}) };
  m.scan = report;
  manifest.scan = { scannedAt: report.scannedAt, blocked: report.blocked };
  await writeManifest(dir, 'sign' in createdBy ? signCreation(manifest, createdBy) : manifest); // signed again over the changed manifest, as create does
  return dir;
}
