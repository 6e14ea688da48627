import { describe, expect, it } from 'vitest';
import { scanSafetensors } from '../../src/main/scan/safetensors';
import { parseStrictJson } from '../../src/main/scan/strict-json';
import { memFile } from '../fixtures/scan/mem-file';
import { osSystemPickle } from '../fixtures/scan/pickle-builder';
import { buildSafetensors, headerBytes } from '../fixtures/scan/safetensors-builder';
import { torchZip } from '../fixtures/scan/zip-builder';

const scan = (b: Buffer) => scanSafetensors(memFile(b), 'model.safetensors');
const rules = (r: { findings: { rule: string; severity: string }[] }) => r.findings.map((f) => `${f.severity} ${f.rule}`);
const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe('safetensors header validation', () => {
  it('accepts a valid file, counts parameters and bytes by dtype, shows __metadata__', async () => {
    const b = buildSafetensors(
      [
        { name: 'embed.weight', dtype: 'BF16', shape: [10, 4] },
        { name: 'norm.weight', dtype: 'F32', shape: [4] },
        { name: 'lm_head.weight', dtype: 'BF16', shape: [10, 4] },
      ],
      { format: 'pt' },
    );
    const r = await scan(b);
    expect(rules(r)).toEqual(['info safetensors.metadata']);
    expect(r.findings[0].detail).toBe('format=pt');
    expect(r.metadata).toEqual({ format: 'pt' });
    expect(r.parameters).toEqual({ BF16: 80, F32: 4 });
    expect(r.weightBytes).toEqual({ BF16: 160, F32: 16 });
    expect(r.tensors).toBe(3);
  });

  it('reports offsets that run past the end of the file, with the reason', async () => {
    const full = buildSafetensors([{ name: 'w', dtype: 'F32', shape: [256] }]);
    const r = await scan(full.subarray(0, full.length - 100));
    expect(rules(r)).toEqual(['dangerous safetensors.out-of-bounds']);
    expect(r.findings[0].detail).toMatch(/^tensor w: data_offsets \[0, 1024\] run past the end of the file: the data section holds 924 bytes/);
  });

  it('finds duplicate keys that JSON.parse would hide', async () => {
    const text = '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}';
    expect(JSON.parse(text)).toHaveProperty('w');
    const r = await scan(Buffer.concat([headerBytes(text), Buffer.alloc(8)]));
    expect(rules(r)).toEqual(['dangerous safetensors.duplicate-key', 'dangerous safetensors.gap']);
    expect(r.findings[0].detail).toBe('key /w appears more than once');
  });

  it('checks dtype × shape against each byte range, and known dtypes', async () => {
    const r = await scan(Buffer.concat([headerBytes({ a: entry('F16', [2, 3], 0, 10), b: entry('Q4', [2], 10, 11), c: entry('F4', [3], 11, 13) }), Buffer.alloc(13)]));
    expect(rules(r)).toEqual(['dangerous safetensors.size-mismatch', 'info safetensors.unknown-dtype', 'dangerous safetensors.size-mismatch']);
    expect(r.findings[0].detail).toBe('tensor a: F16 [2, 3] needs 12 bytes, data_offsets [0, 10] hold 10');
    expect(r.findings[2].detail).toBe('tensor c: F4 [3] needs 12 bits, data_offsets [11, 13] hold 2');
    const f4 = await scan(Buffer.concat([headerBytes({ c: entry('F4', [4], 0, 2) }), Buffer.alloc(2)]));
    expect(f4.parameters).toEqual({ F4: 4 });
  });

  it('finds overlapping ranges, and reports gaps (they block: the reference loader refuses them)', async () => {
    const r = await scan(Buffer.concat([headerBytes({ a: entry('U8', [8], 0, 8), b: entry('U8', [4], 6, 10), c: entry('U8', [2], 14, 16) }), Buffer.alloc(20)]));
    expect(rules(r)).toEqual(['dangerous safetensors.overlap', 'dangerous safetensors.gap']);
    expect(r.findings[0].detail).toBe('tensor b [6, 10] overlaps a [0, 8]');
    expect(r.findings[1].detail).toBe('1 gap(s) of 4 bytes between tensors; 4 bytes after the last tensor');
  });

  it('flags pickle or zip magic in a file that claims to be safetensors', async () => {
    const p = await scan(osSystemPickle());
    expect(p).toMatchObject({ disguisedAs: 'pickle', findings: [{ rule: 'safetensors.disguised-pickle', severity: 'dangerous' }] });
    expect((await scan(torchZip(osSystemPickle()))).disguisedAs).toBe('zip');
    // a genuine header length whose low bytes read 0x80 0x02 (640 bytes) is not a pickle
    const genuine = Buffer.concat([headerBytes(JSON.stringify({ w: entry('U8', [4], 0, 4) }).padEnd(640, ' ')), Buffer.alloc(4)]);
    expect(genuine.subarray(0, 2)).toEqual(Buffer.from([0x80, 0x02]));
    expect((await scan(genuine)).disguisedAs).toBeUndefined();
  });

  it('bounds the header: too large, past the end, not UTF-8, not JSON, not an object, bad entries', async () => {
    const len = (n: bigint) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); return b; };
    const cases: [Buffer, RegExp][] = [
      [Buffer.from([1, 2]), /cannot hold the 8-byte header length/],
      [Buffer.concat([len(200n << 20n), Buffer.from('{}')]), /larger than the 104857600-byte limit/],
      [Buffer.concat([len(1000n), Buffer.from('{}')]), /runs past the end of the file/],
      [Buffer.concat([len(4n), Buffer.from([0x7b, 0xff, 0xfe, 0x7d])]), /not valid UTF-8/],
      [Buffer.concat([len(5n), Buffer.from('{"a":')]), /not valid JSON/],
      [Buffer.concat([len(4n), Buffer.from('[1] ')]), /does not start with \{/],
    ];
    for (const [b, re] of cases) {
      const r = await scan(b);
      expect(r.findings).toHaveLength(1);
      expect(r.findings[0].rule).toBe('safetensors.header');
      expect(r.findings[0].detail).toMatch(re);
    }
    const bad = await scan(Buffer.concat([headerBytes({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 4] }, __metadata__: { n: 1 } }), Buffer.alloc(8)]));
    expect(rules(bad)).toEqual(['dangerous safetensors.bad-entry', 'dangerous safetensors.bad-entry', 'dangerous safetensors.bad-metadata', 'dangerous safetensors.gap']);
  });

  it('reads only the header', async () => {
    const b = buildSafetensors([{ name: 'w', dtype: 'F32', shape: [1 << 18] }]);
    const f = memFile(b);
    await scanSafetensors(f, 'm.safetensors');
    expect(f.bytesRead).toBe(9 + b.readUInt32LE(0));
  });
});

describe('strict JSON', () => {
  it('parses like JSON.parse and lists duplicate keys at any depth', () => {
    const text = '{"a":[1,-2.5e3,true,false,null,"x\\"y\\\\"],"b":{"c":1,"c":2},"__proto__":{"d":1}}';
    const r = parseStrictJson(text);
    expect(r.value).toEqual(JSON.parse(text));
    expect(r.duplicates).toEqual(['/b/c']);
    expect(Object.getPrototypeOf(r.value)).toBe(Object.prototype);
    expect(Object.keys(r.value as object)).toContain('__proto__');
  });

  it('rejects what JSON rejects, and deep nesting', () => {
    for (const bad of ['{"a":1,}', '[1 2]', '{"a" 1}', "{'a':1}", '01', '"\\x"', '{"a":1} x', '"abc']) expect(() => parseStrictJson(bad), bad).toThrow();
    expect(() => parseStrictJson('['.repeat(100) + ']'.repeat(100))).toThrow(/nesting deeper than 64/);
  });
});
