import { Command } from 'commander';
import type { VerifyResult } from '../../../shared/api';
import { formatBytes } from '../../../shared/format';
import { runVolumeVerify } from './media';
import { EXIT, followJob, jobResult, print, withCommon, withServices, type CommonOptions } from '../context';
import { withSigning } from './identity';

export function verifyCommand(): Command {
  return withSigning(withCommon(new Command('verify')))
    .description('re-hash every file of a bundle against its manifest; exit 1 on any problem')
    .argument('<dir...>', 'bundle directory, or the volume directories of a bundle on media (any order)')
    .action(async (dirs: string[], o: CommonOptions) =>
      withServices(o, async (cli) => {
        const [{ isVolumeDir }, { approvalLines }] = await Promise.all([import('../../media/label'), import('../../review/approval-state')]);
        if (dirs.length > 1 || isVolumeDir(dirs[0]!)) return void (await runVolumeVerify(cli, dirs));
        const dir = dirs[0]!;
        const r = jobResult<VerifyResult>(await followJob(cli, await cli.handlers['bundle:verify']({ dir })));
        print(cli, r, () =>
          [
            ...(r.ok
              ? [`OK: bundle ${r.bundleId}: ${r.checkedFiles} files, ${formatBytes(r.checkedBytes)} match the manifest`]
              : [`FAILED: ${r.problems.length} problem(s) in ${dir}`, ...r.problems.map((p) => `  ${p.kind.padEnd(11)} ${p.path}: ${p.detail}`)]),
            ...(r.approval ? approvalLines(r.approval) : []),
          ].join('\n'),
        );
        if (!r.ok) process.exitCode = EXIT.failed;
      }),
    );
}
