import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { glibcFloorProblems, SYMBOL_FLOOR } from '../../src/main/kit/glibc-floor';
import { KIT_PLATFORMS } from '../../src/main/kit/kit-schema';
import { NODE_PACKAGES } from '../../src/main/kit/node-pin';
import { testNodeRuntime } from '../harness/kit-node';
import { requireTool } from '../harness/require-tool';

// The offline kit must start on RHEL 8 / Debian 11 hosts with nothing installed: the Node.js it
// ships (fetched from the pinned npm package, checked against its sha512) may need no glibc newer
// than 2.28 and no libstdc++ newer than GCC 8's, and only libraries every glibc system has.
const hostPlatform = process.arch === 'arm64' ? 'linux/arm64' : 'linux/amd64';

describe('the Node.js runtime the kit ships', () => {
  requireTool('objdump', 'binutils');
  if (hostPlatform !== 'linux/arm64') requireTool('aarch64-linux-gnu-objdump', 'binutils-aarch64-linux-gnu');

  for (const platform of KIT_PLATFORMS) {
    it(`${platform}: needs nothing newer than GLIBC_${SYMBOL_FLOOR.GLIBC} / GLIBCXX_${SYMBOL_FLOOR.GLIBCXX}`, async () => {
      const rt = await testNodeRuntime(platform);
      expect(rt.version.split('.')[0]).toBe('22');
      expect(rt.source).toMatch(rt.source.startsWith('npm:') ? new RegExp(`^npm:${NODE_PACKAGES[platform].name}@${rt.version} sha512-`) : /^nodejs\.org release/);
      expect(await glibcFloorProblems(rt.binary, platform)).toEqual([]);
      // It is the binary for that CPU, not the other one.
      const other = KIT_PLATFORMS.find((p) => p !== platform)!;
      expect(await glibcFloorProblems(rt.binary, other)).toEqual([`${rt.binary} is built for ${platform}, not ${other}`]);
      if (platform === hostPlatform) {
        const out = execFileSync(rt.binary, ['--disable-warning=ExperimentalWarning', '-p', "process.version + ' ' + typeof require('node:sqlite').DatabaseSync"], { encoding: 'utf8' });
        expect(out.trim()).toBe(`v${rt.version} function`);
      }
    }, 300_000);
  }

  it('the check finds what the kit must not ship: the better-sqlite3 addon npm compiles on this host', async () => {
    // Built here against Debian 12's glibc 2.36: the reason the kit uses node:sqlite instead.
    const addon = join(dirname(createRequire(__filename).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    const problems = await glibcFloorProblems(addon, hostPlatform);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(new RegExp(`${addon.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} needs (GLIBC_2\\.(29|3\\d)|GLIBCXX_3\\.4\\.(2[6-9]|3\\d)) \\(newer than`));
  });

  it('names a file that is no ELF binary at all', async () => {
    expect(await glibcFloorProblems(__filename, hostPlatform)).toEqual([`${__filename} is not an ELF file`]);
  });
});
