import { JobPanel } from '../components/JobPanel';
import { UpgradeDiffView } from '../components/upgrade/UpgradeDiffView';
import { UpgradeForm } from '../components/upgrade/UpgradeForm';
import { UpgradeOutcome } from '../components/upgrade/UpgradeOutcome';
import { UpgradePlan } from '../components/upgrade/UpgradePlan';
import { upgradeOutcomeOf, upgradeResultOf, useUpgrade } from '../components/upgrade/upgrade-state';
import { useCustody } from '../state/custody';
import { useJob } from '../state/jobs';

/** Offline admin: upgrade an install to a newer bundle of its recipe — plan, read, back up, run, roll back. */
export function Upgrade() {
  const planJobId = useUpgrade((s) => s.planJobId);
  const runJobId = useUpgrade((s) => s.runJobId);
  const planJob = useJob(planJobId);
  const runJob = useJob(runJobId);
  const events = useCustody((s) => s.events);
  const plan = planJob?.state === 'succeeded' ? upgradeResultOf(planJob) : null;
  const outcome = upgradeOutcomeOf(runJob, plan, events);
  return (
    <div className="screen upgrade-screen">
      <header className="screen-head">
        <h1>Upgrade</h1>
        <p className="lede">
          Move an install to a newer bundle of its recipe: see what changes and read the release notes and migration guide, then
          upgrade. Ferry backs up first, and rolls back by itself when the new version does not come up healthy. Every step is
          recorded in the custody log.
        </p>
      </header>
      <UpgradeForm />
      {planJobId && !plan && <JobPanel jobId={planJobId} />}
      {plan && <UpgradePlan plan={plan} busy={runJob?.state === 'running'} />}
      {runJobId && <JobPanel jobId={runJobId} />}
      {outcome && (
        <section className="panel" aria-labelledby="upgrade-outcome-title">
          <div className="panel-title">
            <h2 id="upgrade-outcome-title">3 · Result</h2>
          </div>
          <UpgradeOutcome result={outcome} />
          <details className="upgrade-run-diff">
            <summary>What the upgrade {outcome.outcome === 'upgraded' ? 'changed' : 'tried to change'}</summary>
            <UpgradeDiffView diff={outcome.diff} />
          </details>
        </section>
      )}
    </div>
  );
}
