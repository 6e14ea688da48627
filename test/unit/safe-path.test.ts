import { describe, expect, it } from 'vitest';
import { modelDirName, unsafePathReason } from '../../src/main/bundle/safe-path';
import { parseRegistryTarget, targetRepository } from '../../src/main/bundle/registry-target';

describe('bundle paths', () => {
  it('accepts portable relative paths', () => {
    expect(unsafePathReason('models/mistralai--Mistral/model-00001-of-00010.safetensors')).toBeNull();
  });
  it.each([
    ['../etc/passwd', '".." component'],
    ['/abs', 'absolute path'],
    ['a//b', 'empty path component'],
    ['images/blobs/sha256:abc', 'character'],
    ['dir/CON', 'reserved'],
    ['dir/name.', 'ends with a dot'],
    ['a\\b', 'character'],
  ])('refuses %s', (p, why) => {
    expect(unsafePathReason(p)).toContain(why);
  });
  it('maps hub repos to one directory level', () => {
    expect(modelDirName('org/name')).toBe('org--name');
  });
});

describe('registry targets', () => {
  it('splits host, port and prefix and keeps the last source path component', () => {
    const t = parseRegistryTarget('127.0.0.1:5002/duo');
    expect(t).toEqual({ registry: '127.0.0.1:5002', prefix: 'duo' });
    expect(targetRepository(t, 'gitlab-org/modelops/ai-gateway/self-hosted-model-gateway')).toBe('duo/self-hosted-model-gateway');
    expect(targetRepository(parseRegistryTarget('reg.internal'), 'library/busybox')).toBe('busybox');
  });
  it('refuses what is not HOST[:PORT][/PREFIX]', () => {
    expect(() => parseRegistryTarget('reg:port/x')).toThrow(/HOST\[:PORT\]/);
    expect(() => parseRegistryTarget('reg/Upper')).toThrow(/HOST/);
  });
});
