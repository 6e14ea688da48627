import { execFileSync } from 'node:child_process';

/**
 * Integration and e2e tests must run, never skip: a missing tool fails loudly and says
 * what to install. `pkg` is the Debian package that provides it.
 */
export function requireTool(command: string, pkg: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      `Required tool "${command}" is not installed. Install it with: apt-get install -y ${pkg} ` +
        `(or run scripts/install-system-deps.sh as root).`,
    );
  }
}
