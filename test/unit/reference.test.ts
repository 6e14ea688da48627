import { describe, expect, it } from 'vitest';
import { FerryError } from '../../src/shared/errors';
import { formatReference, isLoopbackHost, parseReference, registryApiHost, splitHostPort } from '../../src/main/registry/reference';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['busybox:1.36', { registry: 'docker.io', repository: 'library/busybox', tag: '1.36' }],
    ['gitlab/gitlab-ee', { registry: 'docker.io', repository: 'gitlab/gitlab-ee', tag: 'latest' }],
    ['docker.io/busybox', { registry: 'docker.io', repository: 'library/busybox', tag: 'latest' }],
    ['index.docker.io/library/busybox:1', { registry: 'docker.io', repository: 'library/busybox', tag: '1' }],
    ['registry.gitlab.com/gitlab-org/modelops/ai-gateway:v1.2.3', { registry: 'registry.gitlab.com', repository: 'gitlab-org/modelops/ai-gateway', tag: 'v1.2.3' }],
    ['localhost:5000/vllm/vllm-openai', { registry: 'localhost:5000', repository: 'vllm/vllm-openai', tag: 'latest' }],
    ['localhost/app', { registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['127.0.0.1:5000/a/b_c.d__e-f:tag_1.0-x', { registry: '127.0.0.1:5000', repository: 'a/b_c.d__e-f', tag: 'tag_1.0-x' }],
    [`busybox@${D}`, { registry: 'docker.io', repository: 'library/busybox', digest: D }],
    [`quay.io/a/b:1.0@${D}`, { registry: 'quay.io', repository: 'a/b', tag: '1.0', digest: D }],
    ['[::1]:5000/repo:t', { registry: '[::1]:5000', repository: 'repo', tag: 't' }],
    ['ghcr.io/owner/image', { registry: 'ghcr.io', repository: 'owner/image', tag: 'latest' }],
  ])('%s', (input, want) => {
    expect(parseReference(input)).toEqual(want);
  });

  it.each([
    ['', 'empty'],
    ['Busybox', 'uppercase'],
    ['docker.io/Library/busybox', 'uppercase'],
    ['busybox:', 'not a valid tag'],
    ['busybox:-bad', 'not a valid tag'],
    [`busybox:${'x'.repeat(129)}`, 'not a valid tag'],
    ['busybox@sha256:abc', 'not a sha256 digest'],
    [`busybox@md5:${'a'.repeat(32)}`, 'not a sha256 digest'],
    ['https://registry.example/app', 'URL scheme'],
    ['registry.example/', 'repository name is missing'],
    ['a//b', 'not a valid repository name component'],
    ['a/-b', 'not a valid repository name component'],
    ['bad host.example/x', 'whitespace'],
    ['-bad.example/x', 'not a valid registry host'],
    [`example.com/${'a'.repeat(256)}`, 'longer than 255'],
  ])('rejects %j (%s)', (input, why) => {
    let err: unknown;
    try {
      parseReference(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).message).toContain(`"${input}"`);
    expect((err as FerryError).message).toContain(why);
    expect((err as FerryError).hint).toBeTruthy();
  });

  it('formats back to the full form', () => {
    expect(formatReference(parseReference('busybox'))).toBe('docker.io/library/busybox:latest');
    expect(formatReference(parseReference(`localhost:5000/a/b:1@${D}`))).toBe(`localhost:5000/a/b:1@${D}`);
    expect(formatReference(parseReference(`a/b@${D}`))).toBe(`docker.io/a/b@${D}`);
  });

  it('maps Docker Hub to its API host', () => {
    expect(registryApiHost('docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('index.docker.io')).toBe('registry-1.docker.io');
    expect(registryApiHost('quay.io')).toBe('quay.io');
    expect(registryApiHost('127.0.0.1:5000')).toBe('127.0.0.1:5000');
  });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.0.0.1:5000', '127.1.2.3:80', 'localhost', 'LOCALHOST:5000', '::1', '[::1]', '[::1]:5000', '0:0:0:0:0:0:0:1', '[::ffff:127.0.0.1]:5000'])(
    '%s is loopback',
    (h) => expect(isLoopbackHost(h)).toBe(true),
  );
  it.each(['10.0.0.1', '128.0.0.1', '0.0.0.0', 'registry.example', 'localhost.example.com', '127.0.0.1.nip.io', '[::2]:5000', '::', '[::ffff:10.0.0.1]', 'docker.io'])(
    '%s is not loopback',
    (h) => expect(isLoopbackHost(h)).toBe(false),
  );
});

describe('splitHostPort', () => {
  it('handles names, IPv4, bracketed and bare IPv6', () => {
    expect(splitHostPort('reg.example:5000')).toEqual({ host: 'reg.example', port: 5000 });
    expect(splitHostPort('reg.example')).toEqual({ host: 'reg.example' });
    expect(splitHostPort('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(splitHostPort('fe80::1')).toEqual({ host: 'fe80::1' });
  });
});
