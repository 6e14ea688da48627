import { lstat, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { UsageError } from '../../shared/errors';
import { outputFolderPathProblem } from '../../shared/output-folder';

/** Where removable media is mounted on Linux: an empty folder there that is no mount point is an unmounted drive. */
const MOUNT_ROOTS = ['/media/', '/mnt/', '/run/media/'];

/**
 * The rule for a bundle's output folder, used by the create form (through `bundle:create`) and
 * `ferry bundle create` alike: the path must be absolute (the CLI resolves it against the working
 * directory first), and its parent must already exist as a folder — Ferry never creates the
 * parents, so a path on an unmounted USB drive cannot silently fill the internal disk. An empty
 * folder under /media, /mnt or /run/media that is not a mount point is refused for the same reason.
 * Returns the path to use.
 */
export async function checkOutputFolder(outDir: string): Promise<string> {
  const given = outDir.trim();
  const syntax = outputFolderPathProblem(given) ?? (isAbsolute(given) ? undefined : `The output folder "${given}" is not an absolute path on this system.`);
  if (syntax) throw new UsageError(syntax, 'Give the absolute path of the folder to create, e.g. /media/usb0/bundle-2026-12.');
  const out = resolve(given);
  const parent = dirname(out);
  const st = await stat(parent).catch(() => null);
  if (!st) {
    throw new UsageError(
      `The output folder's parent ${parent} does not exist: is the drive mounted?`,
      `Mount the drive (or create ${parent} yourself if it is meant to be on this disk), then create the bundle again. Ferry does not create missing parent folders.`,
    );
  }
  if (!st.isDirectory()) throw new UsageError(`The output folder's parent ${parent} is not a folder.`);
  const existing = await lstat(out).catch(() => null);
  if (!existing && MOUNT_ROOTS.some((r) => `${parent}/`.startsWith(r) && `${parent}/` !== r) && (await looksUnmounted(parent))) {
    throw new UsageError(
      `${parent} is an empty folder on the same disk as ${dirname(parent)}: it looks like the mount point of a drive that is not mounted.`,
      `Mount the drive at ${parent}, then create the bundle again.`,
    );
  }
  return out;
}

async function looksUnmounted(dir: string): Promise<boolean> {
  const [here, up] = await Promise.all([stat(dir), stat(dirname(dir))]);
  if (here.dev !== up.dev) return false; // a mount point
  return (await readdir(dir)).length === 0;
}
