import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/main/bundle/canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
  });
  it('serialises equal values to identical bytes whatever the key order', () => {
    expect(canonicalJson({ x: 'é', y: [true, null] })).toBe(canonicalJson({ y: [true, null], x: 'é' }));
  });
  it('refuses values JSON cannot carry faithfully', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
  });
});
