import { rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FerryError, UsageError } from '../../shared/errors';

/**
 * Writes a file a handler returned (a report, a compose export) as a new file (flag wx, created
 * with `mode`): an existing file is never replaced by accident, and with `force` it is removed
 * first, so the new bytes never inherit a looser mode (.env holds secrets). Errors name the file.
 */
export async function writeReturnedFile(path: string, content: string | Buffer, opts: { force?: boolean; mode?: number } = {}): Promise<string> {
  const target = resolve(path);
  if (opts.force) {
    await rm(target, { force: true }).catch(() => {
      throw new UsageError(`${target} is not a file; nothing was written.`, 'Give the path of a file to write.');
    });
  }
  await writeFile(target, content, { flag: 'wx', ...(opts.mode !== undefined ? { mode: opts.mode } : {}) }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') throw new UsageError(`${target} already exists; nothing was written to it.`, 'Choose another file name, or add --force to replace it.');
    throw new FerryError(`Could not write ${target}: ${err.message}`);
  });
  return target;
}
