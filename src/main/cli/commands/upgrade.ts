import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import type { UpgradeDiff, UpgradeResult } from '../../../shared/upgrade-types';
import { followJob, jobResult, print, withCommon, withServices, type CommonOptions } from '../context';
import { readStdin } from '../stdin';
import { withSigning } from './identity';

interface Opts extends CommonOptions {
  passwordStdin?: boolean;
  plan?: boolean;
}

function resultText(r: UpgradeResult, diffText: (d: UpgradeDiff) => string[]): string {
  const lines = diffText(r.diff);
  if (r.notes.releaseNotes !== undefined) lines.push('', '── Release notes ──', r.notes.releaseNotes.trimEnd());
  if (r.notes.migrationGuide !== undefined) lines.push('', '── Migration guide ──', r.notes.migrationGuide.trimEnd());
  if (r.backup) lines.push('', `Backup: ${r.backup.dir} (${r.backup.files} files, backup.json sha256 ${r.backup.manifestSha256})`);
  lines.push('', r.outcome === 'planned' ? 'Plan only: nothing was changed (run without --plan to upgrade).' : `Upgraded install ${r.installId} to bundle ${r.diff.newBundleId} (${r.diff.recipe.newVersion}); every container healthy.`);
  return lines.join('\n');
}

export function upgradeCommand(): Command {
  return withSigning(withCommon(new Command('upgrade')))
    .description('upgrade an install to a newer bundle of its recipe: verify, show the changes and notes, back up, upgrade, check health, roll back on failure')
    .argument('<install-id>', 'the install to upgrade (ferry install list)')
    .argument('<sources...>', 'the new bundle directory, or the volume directories of a bundle on media (any order)')
    .option('--password-stdin', 'read the registry password from stdin (never stored)')
    .option('--plan', 'verify the bundle and show what changes, the release notes and migration guide; change nothing')
    .action(async (installId: string, sources: string[], o: Opts) => {
      if (sources.length === 0) throw new UsageError('No bundle given.', 'Give the new bundle folder or the volume mount paths.');
      const password = o.passwordStdin ? await readStdin() : undefined;
      await withServices(o, async (cli) => {
        const [{ isVolumeDir }, { diffText }] = await Promise.all([import('../../media/label'), import('../../upgrade/upgrade-diff')]);
        const src = sources.length === 1 && !isVolumeDir(sources[0]!) ? { dir: sources[0] } : { volumes: sources };
        const started = await cli.handlers['upgrade:run']({ installId, ...src, ...(password !== undefined ? { password } : {}), ...(o.plan ? { planOnly: true } : {}) });
        const r = jobResult<UpgradeResult>(await followJob(cli, started)); // the upgrade's log lines show as its phases
        print(cli, r, () => resultText(r, diffText));
      });
    });
}
