import type { UpgradeResult } from '../../../../shared/upgrade-types';
import { Digest, Path } from '../Mono';

function Backup({ backup }: { backup: NonNullable<UpgradeResult['backup']> }) {
  return (
    <dl className="kv" data-testid="upgrade-backup">
      <dt>Backup</dt>
      <dd>
        <Path value={backup.dir} />
      </dd>
      <dt>Files</dt>
      <dd className="num">{backup.files}</dd>
      <dt>Manifest</dt>
      <dd>
        <Digest value={backup.manifestSha256} />
      </dd>
    </dl>
  );
}

/** How the upgrade ended: upgraded, or rolled back (why, and that the old version runs again), with the backup. */
export function UpgradeOutcome({ result }: { result: UpgradeResult }) {
  const { diff } = result;
  if (result.outcome === 'upgraded') {
    return (
      <div className="alert alert-good" role="status" data-testid="upgrade-outcome" data-outcome="upgraded">
        <div className="alert-title">Upgraded to {diff.recipe.newVersion}</div>
        <div className="alert-message">
          {diff.recipe.title} runs version {diff.recipe.newVersion} from bundle <code className="mono">{diff.newBundleId.slice(0, 12)}…</code>; every container passed its
          health checks. The backup taken before the change is kept.
        </div>
        {result.backup && <Backup backup={result.backup} />}
      </div>
    );
  }
  if (result.outcome === 'rolled-back') {
    return (
      <div className="alert alert-bad" role="alert" data-testid="upgrade-outcome" data-outcome="rolled-back">
        <div className="alert-title">Rolled back to {diff.recipe.oldVersion}</div>
        <div className="alert-message">
          The upgrade to {diff.recipe.newVersion} failed
          {result.failure ? (
            <>
              {' '}
              at <code className="mono" data-testid="upgrade-failure-step">{result.failure.step}</code>: <span data-testid="upgrade-failure-message">{result.failure.message.replace(/\.?$/, '.')}</span>
            </>
          ) : (
            '.'
          )}{' '}
          Version {diff.recipe.oldVersion} runs again, its volumes restored from the backup below.
        </div>
        {result.failure?.hint && <div className="alert-hint">{result.failure.hint}</div>}
        {result.backup && <Backup backup={result.backup} />}
      </div>
    );
  }
  return null;
}
