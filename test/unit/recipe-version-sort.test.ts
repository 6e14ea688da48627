import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareVersions, newestMatching } from '../../src/main/recipes/version-sort';
import { globToRegExp, selectedByGlobs } from '../../src/main/recipes/glob';
import { nextLink } from '../../src/main/registry/tag-list';

const TAGS = [
  'v0.0.6', 'v0.0.10', 'v0.0.9', 'v0.0.10-rc1', 'v0.0.10~rc2', 'latest', 'main', 'v1.0', 'v1.0.0', 'v1', 'v01.2', 'v1.2',
  'v0.18.1', 'v0.9.2', 'self-hosted-v18.10.0-ee', 'self-hosted-v18.9.2-ee', 'self-hosted-v18.10.1-ee', '25.8.1.5101', '25.3.2.39',
  '24.12.1.1', '25.8', '25.8-alpine', 'a.tar.gz', 'a.tar', 'a', '1.2.3a', '1.2.3', '1.2.3-1', '1.2.3_1', 'V2', 'v2', '0', '00', 'x~', 'x',
];

describe('compareVersions (sort -V)', () => {
  it('orders exactly as GNU sort --version-sort', () => {
    const gnu = execFileSync('sort', ['--version-sort'], { input: `${TAGS.join('\n')}\n`, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }).trim().split('\n');
    expect([...TAGS].sort(compareVersions)).toEqual(gnu);
  });

  it('picks what `skopeo list-tags | grep -E ^v[0-9] | sort -V | tail -1` picks', () => {
    expect(newestMatching(['v0.0.6', 'v0.0.10', 'v0.0.9', 'latest', 'main'], /^v[0-9]/)).toBe('v0.0.10');
    expect(newestMatching(['latest'], /^v[0-9]/)).toBeUndefined();
  });
});

describe('globs', () => {
  it('* stays in a folder, ** crosses folders, a bare pattern matches any folder', () => {
    expect(globToRegExp('*.safetensors').test('model-00001-of-00002.safetensors')).toBe(true);
    expect(globToRegExp('*.safetensors').test('sub/x.safetensors')).toBe(true);
    expect(globToRegExp('original/**').test('original/consolidated.00.pth')).toBe(true);
    expect(globToRegExp('original/*').test('original/a/b')).toBe(false);
    expect(globToRegExp('**/tokenizer.json').test('tokenizer.json')).toBe(true);
    expect(globToRegExp('model-0000[12]-*').test('model-00002-of-00002.safetensors')).toBe(true);
    expect(selectedByGlobs('consolidated.safetensors', undefined, ['consolidated*.safetensors'])).toBe(false);
    expect(selectedByGlobs('config.json', ['*.json'], ['tokenizer*'])).toBe(true);
    expect(selectedByGlobs('model.bin', ['*.json'])).toBe(false);
  });
});

describe('tag list paging', () => {
  it('follows rel="next" Link headers', () => {
    expect(nextLink('</v2/a/tags/list?last=b&n=2>; rel="next"')).toBe('/v2/a/tags/list?last=b&n=2');
    expect(nextLink('<https://x/y>; rel="prev", <https://x/z>; rel=next')).toBe('https://x/z');
    expect(nextLink(undefined)).toBeUndefined();
  });
});
