import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { FerryError } from '../../shared/errors';

/** Lock files this process holds (a second job in the same app or server process is refused too). */
const heldHere = new Set<string>();

interface Holder {
  pid: number;
  host: string;
  at: string;
  what: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/**
 * Takes `<target>.lock` for a job that must not run twice on one output (bundle create): a second
 * job, in this process or another, gets a clear error naming the holder. A lock left by a process
 * that died (kill -9, power loss) is taken over. Returns the release function.
 */
export function lockOutput(target: string, what: string): () => void {
  const file = `${target}.lock`;
  if (heldHere.has(file)) throw new FerryError(`This Ferry process is already ${what} ${target}`, 'Wait for that job to finish, or cancel it.', 'BusyError');
  const me: Holder = { pid: process.pid, host: hostname(), at: new Date().toISOString(), what };
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const h = holder(file);
      if (h && h.host === me.host && h.pid !== process.pid && alive(h.pid)) {
        throw new FerryError(
          `Another Ferry process (pid ${h.pid}, since ${h.at}) is already ${h.what} ${target}`,
          `Wait for it to finish, or stop it; if no Ferry process is running, remove ${file}.`,
          'BusyError',
        );
      }
      if (h && h.host !== me.host) {
        throw new FerryError(`Ferry on host ${h.host} (pid ${h.pid}, since ${h.at}) holds ${file} for ${target}`, `If that process is gone, remove ${file} and run the command again.`, 'BusyError');
      }
      rmSync(file, { force: true }); // its process is gone, or the file is unreadable (died while writing it)
      continue;
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    heldHere.add(file);
    return () => {
      heldHere.delete(file);
      if (holder(file)?.pid === process.pid) rmSync(file, { force: true });
    };
  }
  throw new FerryError(`Could not take ${file}`, 'Another Ferry process keeps taking it; retry.');
}
