import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { FerryError } from '../../shared/errors';
import type { KitPlatform } from './kit-schema';

// The oldest Linux hosts the offline kit runs on: RHEL 8 (glibc 2.28, GCC 8's libstdc++ and
// libgcc) and Debian 11 (glibc 2.31). A kit binary may only need symbol versions those provide,
// and only the system libraries every such host has. Read with `objdump -T -p` (binutils; for
// another CPU than the host's, the cross objdump, e.g. aarch64-linux-gnu-objdump from
// binutils-aarch64-linux-gnu, or binutils-multiarch's objdump).

/** Highest symbol version a kit binary may need, per version namespace. */
export const SYMBOL_FLOOR: Record<string, string> = { GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11', GCC: '7.0.0' };

/** Shared libraries every glibc host has; a kit binary needing any other one would not start on a bare host. */
const SYSTEM_LIBS = /^(libc\.so\.6|libm\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libutil\.so\.1|libresolv\.so\.2|libstdc\+\+\.so\.6|libgcc_s\.so\.1|ld-linux-x86-64\.so\.2|ld-linux-aarch64\.so\.1)$/;

const MACHINES: Record<number, { platform: KitPlatform; objdumps: string[] }> = {
  62: { platform: 'linux/amd64', objdumps: ['x86_64-linux-gnu-objdump', 'objdump'] },
  183: { platform: 'linux/arm64', objdumps: ['aarch64-linux-gnu-objdump', 'objdump'] },
};

const compare = (a: string, b: string): number => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/** The ELF e_machine of `file`, or a sentence saying why it is not a 64-bit little-endian ELF file. */
async function elfMachine(file: string): Promise<number | string> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(20);
    const { bytesRead } = await fh.read(b, 0, 20, 0);
    if (bytesRead < 20 || b.readUInt32BE(0) !== 0x7f454c46) return 'is not an ELF file';
    if (b[4] !== 2 || b[5] !== 1) return 'is not a 64-bit little-endian ELF file';
    return b.readUInt16LE(18);
  } finally {
    await fh.close();
  }
}

function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string; err: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { maxBuffer: 256 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ ok: !error, out: stdout, err: stderr, missing: (error as NodeJS.ErrnoException | null)?.code === 'ENOENT' });
    });
  });
}

/** `objdump -T -p` of `file` with the first objdump that reads its CPU's ELF. */
async function objdump(file: string, objdumps: string[], platform: KitPlatform): Promise<string> {
  const tried: string[] = [];
  for (const cmd of objdumps) {
    const r = await run(cmd, ['-T', '-p', file]);
    if (r.missing) continue;
    if (r.ok) return r.out;
    tried.push(`${cmd}: ${r.err.trim().split('\n')[0]}`);
  }
  throw new FerryError(
    `Cannot read the dynamic symbols of ${file} (${platform})${tried.length ? `: ${tried.join('; ')}` : ': no objdump found'}`,
    `Install an objdump that reads ${platform} ELF files: apt-get install -y ${platform === 'linux/arm64' ? 'binutils-aarch64-linux-gnu' : 'binutils-x86-64-linux-gnu'} (or binutils-multiarch).`,
  );
}

/**
 * What keeps `binary` from running on the oldest kit hosts (empty when nothing): built for another
 * CPU than `platform`, symbol versions above SYMBOL_FLOOR (GLIBC_2.28, GLIBCXX_3.4.25…), or a
 * shared library that is not part of every glibc system. Throws when no objdump can read it.
 */
export async function glibcFloorProblems(binary: string, platform: KitPlatform): Promise<string[]> {
  const machine = await elfMachine(binary);
  if (typeof machine === 'string') return [`${binary} ${machine}`];
  const arch = MACHINES[machine];
  if (!arch) return [`${binary} is an ELF file for machine ${machine}, not ${platform}`];
  if (arch.platform !== platform) return [`${binary} is built for ${arch.platform}, not ${platform}`];
  const out = await objdump(binary, arch.objdumps, platform);
  const problems: string[] = [];
  const over = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const needed = /^\s*NEEDED\s+(\S+)/.exec(line);
    if (needed) {
      if (!SYSTEM_LIBS.test(needed[1]!)) problems.push(`${binary} needs ${needed[1]}, which a bare glibc host does not have`);
      continue;
    }
    const sym = /\(?\b(GLIBC|GLIBCXX|CXXABI|GCC)_(\d+(?:\.\d+)*)\)?\s+(\S+)\s*$/.exec(line);
    if (!sym) continue;
    const [, ns, version, name] = sym as unknown as [string, string, string, string];
    if (compare(version, SYMBOL_FLOOR[ns]!) <= 0) continue;
    const key = `${ns}_${version}`;
    over.set(key, [...(over.get(key) ?? []), name]);
  }
  for (const [key, names] of [...over].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    const [ns] = key.split('_') as [string];
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` and ${names.length - 3} more` : '');
    problems.push(`${binary} needs ${key} (newer than ${ns}_${SYMBOL_FLOOR[ns]}) for ${shown}`);
  }
  return problems;
}
