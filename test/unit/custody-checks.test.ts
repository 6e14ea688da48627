import { describe, expect, it } from 'vitest';
import { isFailedCheck } from '../../src/shared/custody-checks';

describe('isFailedCheck', () => {
  it('flags failed verifies, problems, broken seals and refusals', () => {
    expect(isFailedCheck({ type: 'verified', details: { ok: false, problems: 0 } })).toBe(true);
    expect(isFailedCheck({ type: 'verified', details: { ok: true, problems: 2 } })).toBe(true);
    expect(isFailedCheck({ type: 'media-verified', details: { problems: [{ kind: 'missing' }] } })).toBe(true);
    expect(isFailedCheck({ type: 'received', details: { sealIntact: false } })).toBe(true);
    expect(isFailedCheck({ type: 'import-refused', details: {} })).toBe(true);
  });

  it('leaves passed checks and ordinary steps alone', () => {
    expect(isFailedCheck({ type: 'verified', details: { ok: true, problems: 0 } })).toBe(false);
    expect(isFailedCheck({ type: 'received', details: { sealIntact: true } })).toBe(false);
    expect(isFailedCheck({ type: 'sealed', details: { seals: ['S-1'] } })).toBe(false);
    expect(isFailedCheck({ type: 'unfailedish', details: {} })).toBe(false);
  });
});
