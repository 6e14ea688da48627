import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { clamav } from '../../src/main/scan/antivirus';
import { scanPath } from '../../src/main/scan/scan-path';
import { requireTool } from '../harness/require-tool';
import { tempDir } from '../harness/temp';

// The real ClamAV scanner with a custom signature database: freshclam cannot download signatures
// offline, so the test writes a one-line .ndb (hex body signature) matching a marker string.
// Integration tests run, never skip: without ClamAV this fails saying what to install.
requireTool('clamscan', 'clamav');

const MARKER = 'FERRY-TEST-MALWARE-MARKER-7f3a';
const t = tempDir('ferry-clamav-');
afterAll(() => t.cleanup());

describe('ClamAV (clamscan, custom signature database)', () => {
  const db = join(t.path, 'sigs', 'ferry-test.ndb');
  const model = join(t.path, 'model');
  mkdirSync(join(t.path, 'sigs'));
  mkdirSync(join(model, 'sub'), { recursive: true });
  writeFileSync(db, `Ferry.Test.Marker:0:*:${Buffer.from(MARKER).toString('hex')}\n`);
  writeFileSync(join(model, 'config.json'), '{"num_hidden_layers": 1}');
  writeFileSync(join(model, 'sub', 'weights.bin'), `padding ${MARKER} padding`);

  it('finds the signature, and the scan report blocks the model', async () => {
    const r = await scanPath(model, { antivirus: clamav({ database: db }) });
    expect(r.antivirus.status).toBe('infected');
    expect(r.antivirus.engine).toMatch(/^ClamAV \d+\.\d+.* \(clamscan\)$/);
    expect(r.blocked).toBe(true);
    expect(r.findings).toContainEqual(expect.objectContaining({ file: 'sub/weights.bin', rule: 'antivirus.found', severity: 'dangerous', detail: 'ClamAV signature Ferry.Test.Marker.UNOFFICIAL' }));
  });

  it('reports clean when nothing matches', async () => {
    const clean = join(t.path, 'clean');
    mkdirSync(clean);
    writeFileSync(join(clean, 'config.json'), '{}');
    const r = await clamav({ database: db }).scan([clean]);
    expect(r).toMatchObject({ status: 'clean', detections: [] });
  });
});
