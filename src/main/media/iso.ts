import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FerryError } from '../../shared/errors';
import { runCommand, type CommandRunner } from './detect';
import { readLabel } from './label';

/** ISO 9660 volume identifiers: up to 32 of A–Z, 0–9 and _. */
export function isoVolumeId(bundleId: string, index: number): string {
  return `FERRY_${bundleId.replace(/-/g, '').slice(0, 8).toUpperCase()}_${String(index).padStart(3, '0')}`;
}

/** Whether xorriso is installed (optical images are optional). */
export async function hasXorriso(run: CommandRunner = runCommand): Promise<boolean> {
  return run('xorriso', ['-version']).then(() => true, () => false);
}

/**
 * Makes one ISO image (Joliet + Rock Ridge) of a written volume folder, for burning. Plan
 * such volumes with `--fs iso9660` so no file reaches 4 GiB. Written to `out.tmp`, renamed when done.
 */
export async function makeIso(volumeDir: string, out: string, run: CommandRunner = runCommand): Promise<{ file: string; volumeId: string }> {
  if (!(await hasXorriso(run))) throw new FerryError('xorriso is not installed.', 'Install it (apt-get install -y xorriso) to make ISO images.');
  const label = await readLabel(volumeDir);
  const volumeId = isoVolumeId(label.bundleId, label.volume.index);
  const file = resolve(out);
  await rm(`${file}.tmp`, { force: true });
  try {
    await run('xorriso', ['-as', 'mkisofs', '-quiet', '-J', '-joliet-long', '-R', '-V', volumeId, '-o', `${file}.tmp`, resolve(volumeDir)]);
    await rename(`${file}.tmp`, file);
  } catch (err) {
    await rm(`${file}.tmp`, { force: true });
    throw err;
  }
  return { file, volumeId };
}
