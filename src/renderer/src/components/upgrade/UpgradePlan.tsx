import { useState } from 'react';
import type { UpgradeResult } from '../../../../shared/upgrade-types';
import { api } from '../../api/client';
import { useJobs } from '../../state/jobs';
import { ErrorBox, toShape } from '../ErrorBox';
import { ActingOnly } from '../SignInHint';
import { UpgradeDiffView } from './UpgradeDiffView';
import { UpgradeNotes } from './UpgradeNotes';
import { upgradeSource, useUpgrade } from './upgrade-state';

/** Step 2: the plan's diff and notes, then Upgrade (same request, for real). */
export function UpgradePlan({ plan, busy }: { plan: UpgradeResult; busy: boolean }) {
  const d = useUpgrade((s) => s.draft);
  const planKey = useUpgrade((s) => s.planKey);
  const password = useUpgrade((s) => s.password);
  const [error, setError] = useState<unknown>(null);
  const [starting, setStarting] = useState(false);
  const { arg, key } = upgradeSource(d);
  const stale = planKey !== key;
  const unchanged = plan.diff.images.every((i) => i.change === 'unchanged') && plan.diff.containers.every((c) => c.change === 'unchanged') && plan.diff.models.every((m) => m.change === 'unchanged');

  const run = async () => {
    if (!arg || stale || busy || starting) return;
    setStarting(true);
    setError(null);
    try {
      const job = await api.invoke('upgrade:run', { ...arg, ...(password ? { password } : {}) });
      useJobs.getState().seed(job);
      useUpgrade.setState({ runJobId: job.id });
    } catch (err) {
      setError(err);
    } finally {
      setStarting(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="upgrade-plan-title" data-testid="upgrade-plan-view">
      <div className="panel-title">
        <h2 id="upgrade-plan-title">2 · What changes</h2>
        {stale && <span className="text-warn">The install or bundle changed since this plan; plan again.</span>}
      </div>
      <UpgradeDiffView diff={plan.diff} />
      <UpgradeNotes notes={plan.notes} />
      <div className="form-actions">
        <ActingOnly to="upgrade (recorded as yours)">
          <button type="button" className="btn btn-primary" data-testid="upgrade-run" disabled={stale || busy || starting} onClick={() => void run()}>
            {starting ? 'Starting…' : busy ? 'Upgrading…' : `Upgrade to ${plan.diff.recipe.newVersion}`}
          </button>
        </ActingOnly>
        <span className="muted">
          {unchanged ? 'Nothing the stack runs changes; the upgrade records the new bundle. ' : ''}
          Backs up the install record, secrets and volumes first; if a container fails its health checks, rolls back to {plan.diff.recipe.oldVersion}.
        </span>
      </div>
      {error != null && <ErrorBox title="Could not start the upgrade" error={toShape(error)} testId="upgrade-run-error" />}
    </section>
  );
}
