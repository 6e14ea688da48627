import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { FerryError, UsageError } from '../../src/shared/errors';
import { checkModelRef, isCommitSha, parseModelRef } from '../../src/main/hub/model-ref';
import { assertSafeModelPath, encodeModelPath, modelFileDest } from '../../src/main/hub/model-path';

describe('parseModelRef', () => {
  it('defaults the revision to main', () => {
    expect(parseModelRef('mistralai/Mistral-7B-Instruct-v0.3')).toEqual({ repo: 'mistralai/Mistral-7B-Instruct-v0.3', revision: 'main' });
  });

  it('splits a branch, tag, PR ref or commit after @', () => {
    expect(parseModelRef('org/name@dev')).toEqual({ repo: 'org/name', revision: 'dev' });
    expect(parseModelRef('org/name@v1.0.2')).toEqual({ repo: 'org/name', revision: 'v1.0.2' });
    expect(parseModelRef('org/name@refs/pr/12')).toEqual({ repo: 'org/name', revision: 'refs/pr/12' });
    const sha = 'a'.repeat(40);
    expect(parseModelRef(`Qwen/Qwen2.5-0.5B_x@${sha}`)).toEqual({ repo: 'Qwen/Qwen2.5-0.5B_x', revision: sha });
  });

  it.each([
    '',
    'name-only',
    'org/',
    '/name',
    'org/name/extra',
    'org//name',
    'org/name@',
    'org/name@a@b',
    'org/na me',
    ' org/name',
    'org/name ',
    'org/-name',
    'org/name.',
    'org/na--me',
    'org/na..me',
    'org/../name',
    'org/name@../main',
    'org/name@/main',
    'org/name@main/',
    'org/name@a//b',
    'org/name@-rf',
    'org/name@feature.lock',
    'org/name@a b',
    'org/name@a\\b',
    'org/name@a\u0000b',
    'org/näme',
    `org/${'x'.repeat(97)}`,
    `org/name@${'x'.repeat(256)}`,
  ])('rejects %j with a UsageError naming the input', (input) => {
    let err: unknown;
    try {
      parseModelRef(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).message).toContain(JSON.stringify(input));
    expect((err as FerryError).hint).toMatch(/ORG\/NAME@REVISION/);
  });

  it('checks split references the same way', () => {
    expect(checkModelRef({ repo: 'org/name' })).toEqual({ repo: 'org/name', revision: 'main' });
    expect(checkModelRef({ repo: 'org/name', revision: 'dev' })).toEqual({ repo: 'org/name', revision: 'dev' });
    expect(() => checkModelRef({ repo: 'org/name@dev' })).toThrow(UsageError);
    expect(() => checkModelRef({ repo: 'org/name', revision: '' })).toThrow(/revision/);
  });

  it('recognises full commit ids only', () => {
    expect(isCommitSha('0123456789abcdef0123456789abcdef01234567')).toBe(true);
    expect(isCommitSha('0123456789abcdef')).toBe(false);
    expect(isCommitSha('0123456789ABCDEF0123456789ABCDEF01234567')).toBe(false);
  });
});

describe('model file paths from the hub', () => {
  it.each(['config.json', 'tokenizer/tokenizer.json', 'a/b/c d#1?.bin', '.gitattributes', 'x..y/..z'])('accepts %j', (p) => {
    expect(() => assertSafeModelPath(p)).not.toThrow();
  });

  it.each([
    '',
    '../evil',
    'a/../../evil',
    'a/..',
    './config.json',
    'a//b',
    'a/',
    '/etc/passwd',
    'a\\..\\..\\evil',
    'C:evil',
    'c:/evil',
    'nul\u0000byte',
    'new\nline',
  ])('refuses %j with a FerryError naming it', (p) => {
    expect(() => assertSafeModelPath(p)).toThrow(FerryError);
    expect(() => assertSafeModelPath(p)).toThrow(JSON.stringify(p));
  });

  it('places files under the destination folder only', () => {
    const root = resolve('/tmp/ferry-dest');
    expect(modelFileDest(root, 'tokenizer/tokenizer.json')).toBe(join(root, 'tokenizer', 'tokenizer.json'));
    expect(() => modelFileDest(root, '../evil')).toThrow(/escape|\.\./);
  });

  it('encodes each segment for URLs', () => {
    expect(encodeModelPath('dir/a b#?.bin')).toBe('dir/a%20b%23%3F.bin');
  });
});
