import { join } from 'node:path';
import { Command, Option } from 'commander';
import type { MediaPlanView, MediaWriteView } from '../../../shared/api-media';
import { formatBytes } from '../../../shared/format';
import { FS_NAMES } from '../../media/fs-names';
import type { AssembleResult, VolumeVerifyResult } from '../../media/read';
import { EXIT, followJob, jobResult, print, withCommon, withServices, type Cli, type CommonOptions } from '../context';
import { withSigning } from './identity';


/** `--kit DIR` (a string), `--no-kit` (false), neither (undefined: the kit goes on volume 1). */
interface KitOpts {
  kit?: string | boolean;
}
const kitFields = (o: KitOpts): { kit?: boolean; kitDir?: string } => (o.kit === false ? { kit: false } : typeof o.kit === 'string' ? { kitDir: o.kit } : {});

interface SizeOpts extends CommonOptions {
  volumeSize?: string;
  fs?: string;
}

// Sizes and filesystem names are parsed by the media handlers (media-handlers.ts): the CLI passes them as given.
const sizeOption = (): Option => new Option('--volume-size <size>', 'usable bytes per volume: 700M, 4.7G, 16GiB or bytes (K/M/G decimal, KiB/MiB/GiB binary); a comma list gives one per volume');
const fsOption = (): Option => new Option('--fs <fs>', `filesystem rules to apply (${FS_NAMES.join('|')})`);

function planTable(p: MediaPlanView): string {
  const lines = [`Bundle ${p.bundleId}: ${p.files} files, ${formatBytes(p.bytes)} → ${p.volumes.length} volume(s), ${p.fs} rules`, '  vol  capacity    files  parts  bytes'];
  for (const v of p.volumes) lines.push(`  ${String(v.index).padEnd(4)} ${formatBytes(v.capacity).padEnd(11)} ${String(v.files).padEnd(6)} ${String(v.parts).padEnd(6)} ${formatBytes(v.bytes)}`);
  for (const x of p.split) lines.push(`  split: ${x.path} → ${x.volumes.length} parts on volume ${x.volumes.join(', ')}`);
  lines.push(p.kit ? `  offline kit: ${p.kit.files} files, ${formatBytes(p.kit.bytes)} on volume 1 (whole, never split)` : '  offline kit: not included');
  return lines.join('\n');
}

function detectCommand(): Command {
  return withCommon(new Command('detect'))
    .description('list removable drives with their filesystems, mount points and free space (never the system disk)')
    .action(async (o: CommonOptions) =>
      withServices(o, async (cli) => {
        const r = await cli.handlers['media:detect']({});
        print(cli, r, () =>
          [
            r.drives.length === 0 ? 'No removable drives found. Any mounted folder can also be a target.' : 'Removable drives:',
            ...r.drives.flatMap((d) => [
              `  ${d.device}  ${formatBytes(d.size)}  ${[d.transport, d.vendor, d.model].filter(Boolean).join(' ')}${d.serial ? `  serial ${d.serial}` : ''}`,
              ...d.volumes.map((v) => `    ${v.device}  ${v.fstype ?? 'no filesystem'}${v.label ? ` "${v.label}"` : ''}  ${v.mountpoint ? `mounted at ${v.mountpoint}` : 'not mounted'}${v.free !== undefined ? `, ${formatBytes(v.free)} free` : ''}`),
            ]),
            ...r.refused.map((x) => `  not offered: ${x.device} (${x.reason})`),
          ].join('\n'),
        );
      }),
    );
}

function planCommand(): Command {
  return withCommon(new Command('plan'))
    .description('show how many volumes a bundle needs and what goes where')
    .argument('<bundle>', 'bundle directory')
    .addOption(sizeOption().makeOptionMandatory())
    .addOption(fsOption().default('fat32'))
    .option('--kit <dir>', 'count this offline kit folder on volume 1 (default: the bundle\'s ferry/, else this station\'s kit)')
    .option('--no-kit', 'plan without the offline kit on volume 1')
    .action(async (bundle: string, o: SizeOpts & KitOpts) =>
      withServices(o, async (cli) => {
        const p = await cli.handlers['media:plan']({ dir: bundle, volumeSize: o.volumeSize!, ...(o.fs ? { fs: o.fs } : {}), ...kitFields(o) });
        print(cli, p, () => planTable(p));
      }),
    );
}

function writeText(r: MediaWriteView, isos: { file: string; volumeId: string }[]): string {
  return [
    `${r.complete ? 'Wrote' : 'INCOMPLETE:'} bundle ${r.bundleId} onto ${r.volumes.length} volume(s), ${formatBytes(r.bytes)}`,
    ...r.volumes.map(
      (v) =>
        `  volume ${v.volume} of ${v.count}  ${v.dir}  ${v.state}  ${v.files} files, ${formatBytes(v.bytes)}  read back ${v.readBackOk ? 'OK' : `FAILED (${(v.readBackMismatches ?? []).join(', ')})`}${v.readBackFromCache ? ' (from cache)' : ''}  id ${v.volumeId}${v.mediaSerial ? `  serial ${v.mediaSerial}` : ''}${v.note ? `\n    note: ${v.note}` : ''}`,
    ),
    ...r.volumes.flatMap((v) => (v.kit ? [`  offline kit on volume ${v.volume}: ${v.dir}/${v.kit.dir}/  ferry ${v.kit.version}, ${v.kit.platform}, node ${v.kit.nodeVersion}, kit ${v.kit.sha256}`] : [])),
    ...r.skipped.map((s) => `  skipped ${s.dir}: ${s.reason}`),
    ...(r.remaining ? [`  still to write: ${r.remaining.files} file(s), ${formatBytes(r.remaining.bytes)}; give more --to targets`] : []),
    ...isos.map((i) => `  ISO ${i.file} (${i.volumeId})`),
  ].join('\n');
}

function writeCommand(): Command {
  return withSigning(withCommon(new Command('write')))
    .description('write a bundle onto one or more mounted media, hashing as it writes, fsync, read back; a full medium continues on the next --to')
    .argument('<bundle>', 'bundle directory')
    .requiredOption('--to <dir...>', 'mounted medium or folder, one per volume (repeatable)')
    .addOption(sizeOption())
    .addOption(fsOption())
    .option('--iso-dir <dir>', 'also make one ISO image per volume there (needs xorriso)')
    .option('--unapproved-reason <text>', 'write a bundle that is not approved anyway, for this reason (recorded in the custody log)')
    .option('--kit <dir>', 'put this offline kit folder on volume 1 under ferry/ (default: the bundle\'s own ferry/, else this station\'s kit, built on first use)')
    .option('--no-kit', 'leave the offline kit off volume 1')
    .action(async (bundle: string, o: SizeOpts & KitOpts & { to: string[]; isoDir?: string; unapprovedReason?: string }) =>
      withServices(o, async (cli) => {
        const started = await cli.handlers['media:write']({
          dir: bundle,
          targets: o.to,
          ...(o.volumeSize ? { volumeSize: o.volumeSize } : {}),
          ...(o.fs ? { fs: o.fs } : {}),
          ...(o.unapprovedReason ? { unapprovedReason: o.unapprovedReason } : {}),
          ...kitFields(o),
        });
        const r = jobResult<MediaWriteView>(await followJob(cli, started));
        // ISO images are made here, from the volumes just written and read back (a local tool over local folders).
        const { makeIso } = await import('../../media/iso');
        const isos = o.isoDir ? await Promise.all(r.volumes.map((v) => makeIso(v.dir, join(o.isoDir!, `ferry-${r.bundleId.slice(0, 8)}-vol${v.volume}.iso`)))) : [];
        print(cli, { ...r, isos }, () => writeText(r, isos));
        if (!r.complete || r.volumes.some((v) => !v.readBackOk)) process.exitCode = EXIT.failed;
      }),
    );
}

function verifyCommand(): Command {
  return withSigning(withCommon(new Command('verify')))
    .description('verify volumes given in any order against their labels and the manifest; exit 1 on any problem')
    .argument('<volume-dir...>', 'mounted volumes (folders holding FERRY-VOLUME.json)')
    .action(async (dirs: string[], o: CommonOptions) =>
      withServices(o, async (cli) => {
        await runVolumeVerify(cli, dirs);
      }),
    );
}

/** Verifies volumes (media:verify), prints the result, sets exit code 1 on any problem. Shared with `ferry verify`. */
export async function runVolumeVerify(cli: Cli, dirs: string[]): Promise<VolumeVerifyResult> {
  const { kitCoverageLine } = await import('../../media/kit-check');
  const r = jobResult<VolumeVerifyResult>(await followJob(cli, await cli.handlers['media:verify']({ dirs })));
  print(cli, r, () =>
    [
      r.ok
        ? `OK: bundle ${r.bundleId}: ${r.volumes.length} of ${r.count} volume(s), ${r.checkedFiles} files and parts, ${formatBytes(r.checkedBytes)} match their labels and the manifest${r.kit ? '; the offline kit matches its kit.json' : ''}`
        : [`FAILED: ${r.problems.length} problem(s)`, ...r.problems.map((p) => `  ${p.kind.padEnd(16)} volume ${p.volume}${p.path ? `  ${p.path}` : ''}: ${p.detail}`)].join('\n'),
      ...(r.kit ? [kitCoverageLine(r.kit)] : []),
    ].join('\n'),
  );
  if (!r.ok) process.exitCode = EXIT.failed;
  return r;
}

/** Joins volumes into `outDir` (media:assemble), following the job; shared with `ferry import` of volumes. */
export async function assembleVolumes(cli: Cli, volumes: string[], outDir: string): Promise<AssembleResult> {
  return jobResult<AssembleResult>(await followJob(cli, await cli.handlers['media:assemble']({ volumes, outDir })));
}

function assembleCommand(): Command {
  return withSigning(withCommon(new Command('assemble')))
    .description('rebuild a bundle directory from its volumes (any order), joining split files while checking every hash')
    .argument('<volume-dir...>', 'mounted volumes')
    .requiredOption('--out <dir>', 'bundle directory to create')
    .action(async (dirs: string[], o: CommonOptions & { out: string }) =>
      withServices(o, async (cli) => {
        const r = await assembleVolumes(cli, dirs, o.out);
        print(cli, r, () => `Assembled bundle ${r.bundleId}\n  ${r.dir}\n  ${r.files} files (${r.joined} joined from parts), ${formatBytes(r.bytes)}${r.kit ? `\n  offline kit ${r.kit.sha256} (ferry ${r.kit.version}, ${r.kit.platform}) in ${r.kit.dir}/` : ''}`);
      }),
    );
}

export function mediaCommand(): Command {
  const media = new Command('media').description('removable media: detect, plan, write, verify, assemble');
  for (const c of [detectCommand(), planCommand(), writeCommand(), verifyCommand(), assembleCommand()]) media.addCommand(c);
  return media;
}
