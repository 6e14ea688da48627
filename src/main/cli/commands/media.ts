import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import { formatBytes } from '../../../shared/format';
import { defaultDataDir } from '../../core/paths';
import { FS_NAMES, type FsName } from '../../media/fs-names';
import type { VolumePlan } from '../../media/plan';
import type { AssembleResult, VolumeVerifyResult } from '../../media/read';
import { parseSize } from '../../media/size';
import type { WriteResult } from '../../media/write';
import { cliActing, EXIT, followJob, jobResult, print, withCommon, withServices, type Cli, type CommonOptions } from '../context';
import { withSigning } from './identity';


/** `--kit DIR` (a string), `--no-kit` (false), neither (undefined: the kit goes on volume 1). */
interface KitOpts {
  kit?: string | boolean;
}
const kitRequest = (o: KitOpts): { kit?: { kitDir?: string } } => (o.kit === false ? {} : { kit: typeof o.kit === 'string' ? { kitDir: o.kit } : {} });

interface SizeOpts extends CommonOptions {
  volumeSize?: string;
  fs?: string;
}

const sizes = (v?: string): number[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => parseSize(s)));
const fsOpt = async (v?: string): Promise<FsName | undefined> => (v === undefined ? undefined : (await import('../../media/fs-rules')).parseFsName(v));
// Start-up: the media services load when a command runs, not when the CLI starts (test/unit/cli-lazy.test.ts).
const mediaService = () => import('../../media/media-service');
const sizeOption = (): Option => new Option('--volume-size <size>', 'usable bytes per volume: 700M, 4.7G, 16GiB or bytes (K/M/G decimal, KiB/MiB/GiB binary); a comma list gives one per volume');
const fsOption = (): Option => new Option('--fs <fs>', `filesystem rules to apply (${FS_NAMES.join('|')})`);

function planTable(p: VolumePlan, bundleId: string): string {
  const lines = [`Bundle ${bundleId}: ${p.files} files, ${formatBytes(p.bytes)} → ${p.volumes.length} volume(s), ${p.fs} rules`, '  vol  capacity    files  parts  bytes'];
  for (const v of p.volumes) {
    const parts = v.entries.filter((e) => e.part).length;
    lines.push(`  ${String(v.index).padEnd(4)} ${formatBytes(v.capacity).padEnd(11)} ${String(v.entries.length - parts).padEnd(6)} ${String(parts).padEnd(6)} ${formatBytes(v.bytes)}`);
  }
  const split = new Map<string, number[]>();
  for (const v of p.volumes) for (const e of v.entries) if (e.part) split.set(e.path, [...(split.get(e.path) ?? []), v.index]);
  for (const [path, vols] of split) lines.push(`  split: ${path} → ${vols.length} parts on volume ${[...new Set(vols)].join(', ')}`);
  lines.push(p.kit ? `  offline kit: ${p.kit.files} files, ${formatBytes(p.kit.bytes)} on volume 1 (whole, never split)` : '  offline kit: not included');
  return lines.join('\n');
}

function detectCommand(): Command {
  return withCommon(new Command('detect'))
    .description('list removable drives with their filesystems, mount points and free space (never the system disk)')
    .action(async (o: CommonOptions) => {
      const { detectDrives } = await import('../../media/detect');
      const r = await detectDrives({ dataDir: o.dataDir ?? defaultDataDir() });
      print({ json: !!o.json }, r, () =>
        [
          r.drives.length === 0 ? 'No removable drives found. Any mounted folder can also be a target.' : 'Removable drives:',
          ...r.drives.flatMap((d) => [
            `  ${d.device}  ${formatBytes(d.size)}  ${[d.transport, d.vendor, d.model].filter(Boolean).join(' ')}${d.serial ? `  serial ${d.serial}` : ''}`,
            ...d.volumes.map((v) => `    ${v.device}  ${v.fstype ?? 'no filesystem'}${v.label ? ` "${v.label}"` : ''}  ${v.mountpoint ? `mounted at ${v.mountpoint}` : 'not mounted'}${v.free !== undefined ? `, ${formatBytes(v.free)} free` : ''}`),
          ]),
          ...r.refused.map((x) => `  not offered: ${x.device} (${x.reason})`),
        ].join('\n'),
      );
    });
}

function planCommand(): Command {
  return withCommon(new Command('plan'))
    .description('show how many volumes a bundle needs and what goes where')
    .argument('<bundle>', 'bundle directory')
    .addOption(sizeOption().makeOptionMandatory())
    .addOption(fsOption().default('fat32'))
    .option('--kit <dir>', 'count this offline kit folder on volume 1 (default: the bundle\'s ferry/, else this station\'s kit)')
    .option('--no-kit', 'plan without the offline kit on volume 1')
    .action(async (bundle: string, o: SizeOpts & KitOpts) => {
      const { planMedia } = await mediaService();
      const k = kitRequest(o);
      const say = (m: string): void => void (o.json ? undefined : process.stderr.write(`${m}\n`));
      const { bundleId, plan } = await planMedia(bundle, { volumeSize: sizes(o.volumeSize)!, fs: (await fsOpt(o.fs))!, ...(k.kit ? { kit: { ...k.kit, onProgress: say } } : {}) }, { dataDir: o.dataDir ?? defaultDataDir() });
      print({ json: !!o.json }, { bundleId, ...plan }, () => planTable(plan, bundleId));
    });
}

async function askNextTarget(need: { volume: number; files: number; bytes: number }): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = await rl.question(`\nVolume ${need.volume}: ${formatBytes(need.bytes)} in ${need.files} file(s) still to write. Mount the next medium and type its folder (empty to stop): `);
    return a.trim() || undefined;
  } finally {
    rl.close();
  }
}

function writeCommand(): Command {
  return withSigning(withCommon(new Command('write')))
    .description('write a bundle onto one or more mounted media, hashing as it writes, fsync, read back; a full medium continues on the next')
    .argument('<bundle>', 'bundle directory')
    .requiredOption('--to <dir...>', 'mounted medium or folder, one per volume (repeatable)')
    .addOption(sizeOption())
    .addOption(fsOption())
    .option('--iso-dir <dir>', 'also make one ISO image per volume there (needs xorriso)')
    .option('--unapproved-reason <text>', 'write a bundle that is not approved anyway, for this reason (recorded in the custody log)')
    .option('--kit <dir>', 'put this offline kit folder on volume 1 under ferry/ (default: the bundle\'s own ferry/, else this station\'s kit, built on first use)')
    .option('--no-kit', 'leave the offline kit off volume 1')
    .action(async (bundle: string, o: SizeOpts & KitOpts & { to: string[]; isoDir?: string; unapprovedReason?: string }) => {
      const volumeSize = sizes(o.volumeSize);
      const fs = await fsOpt(o.fs);
      const [{ writeMedia }, { makeIso }] = await Promise.all([mediaService(), import('../../media/iso')]);
      await withServices(o, async (cli) => {
        cliActing(cli, ['operator', 'reviewer', 'admin']); // --as NAME once the station has identities
        const onNeedNextTarget = process.stdin.isTTY && !cli.json ? askNextTarget : undefined;
        const started = cli.services.jobs.start('media.write', `Write ${bundle} to media`, { bundle, to: o.to, volumeSize, fs }, (ctx) =>
          writeMedia(bundle, o.to, { fs, volumeSize, onNeedNextTarget, unapprovedReason: o.unapprovedReason, ...kitRequest(o) }, cli.services, ctx),
        );
        const r = jobResult<WriteResult>(await followJob(cli, started));
        const isos = o.isoDir ? await Promise.all(r.volumes.map((v) => makeIso(v.dir, join(o.isoDir!, `ferry-${r.bundleId.slice(0, 8)}-vol${v.volume}.iso`)))) : [];
        print(cli, { ...r, isos }, () =>
          [
            `${r.complete ? 'Wrote' : 'INCOMPLETE:'} bundle ${r.bundleId} onto ${r.volumes.length} volume(s), ${formatBytes(r.bytes)}`,
            ...r.volumes.map(
              (v) =>
                `  volume ${v.volume} of ${v.count}  ${v.dir}  ${v.state}  ${v.files.length} files, ${formatBytes(v.bytes)}  read back ${v.readBack.ok ? 'OK' : `FAILED (${v.readBack.mismatches.join(', ')})`}${v.readBack.cacheDropped ? '' : ' (from cache)'}  id ${v.volumeId}${v.mediaSerial ? `  serial ${v.mediaSerial}` : ''}${v.note ? `\n    note: ${v.note}` : ''}`,
            ),
            ...r.volumes.flatMap((v) => (v.kit ? [`  offline kit on volume ${v.volume}: ${v.dir}/${v.kit.dir}/  ferry ${v.kit.version} (${v.kit.commit.slice(0, 12)}), ${v.kit.platform}, node ${v.kit.nodeVersion}, kit ${v.kit.sha256}`] : [])),
            ...r.skipped.map((s) => `  skipped ${s.dir}: ${s.reason}`),
            ...(r.remaining ? [`  still to write: ${r.remaining.files} file(s), ${formatBytes(r.remaining.bytes)}; give more --to targets`] : []),
            ...isos.map((i) => `  ISO ${i.file} (${i.volumeId})`),
          ].join('\n'),
        );
        if (!r.complete || r.volumes.some((v) => !v.readBack.ok)) process.exitCode = EXIT.failed;
      });
    });
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

/** Verifies volumes as a job, prints the result, sets exit code 1 on any problem. Shared with `ferry verify`. */
export async function runVolumeVerify(cli: Cli, dirs: string[]): Promise<VolumeVerifyResult> {
  cliActing(cli, ['operator', 'reviewer', 'admin']);
  const [{ verifyMedia }, { kitCoverageLine }] = await Promise.all([mediaService(), import('../../media/kit-check')]);
  const started = cli.services.jobs.start('media.verify', `Verify ${dirs.length} volume(s)`, { dirs }, (ctx) => verifyMedia(dirs, cli.services, ctx));
  const r = jobResult<VolumeVerifyResult>(await followJob(cli, started));
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

function assembleCommand(): Command {
  return withCommon(new Command('assemble'))
    .description('rebuild a bundle directory from its volumes (any order), joining split files while checking every hash')
    .argument('<volume-dir...>', 'mounted volumes')
    .requiredOption('--out <dir>', 'bundle directory to create')
    .action(async (dirs: string[], o: CommonOptions & { out: string }) =>
      withServices(o, async (cli) => {
        const { assembleMedia } = await mediaService();
        const started = cli.services.jobs.start('media.assemble', `Assemble ${o.out}`, { dirs, out: o.out }, (ctx) => assembleMedia(dirs, o.out, cli.services, ctx));
        const r = jobResult<AssembleResult>(await followJob(cli, started));
        print(cli, r, () => `Assembled bundle ${r.bundleId}\n  ${r.dir}\n  ${r.files} files (${r.joined} joined from parts), ${formatBytes(r.bytes)}${r.kit ? `\n  offline kit ${r.kit.sha256} (ferry ${r.kit.version}, ${r.kit.platform}) in ${r.kit.dir}/` : ''}`);
      }),
    );
}

export function mediaCommand(): Command {
  const media = new Command('media').description('removable media: detect, plan, write, verify, assemble');
  for (const c of [detectCommand(), planCommand(), writeCommand(), verifyCommand(), assembleCommand()]) media.addCommand(c);
  return media;
}
