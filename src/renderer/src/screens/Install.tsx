import { useEffect } from 'react';
import type { InstallView } from '../../../shared/api-install';
import { AgentConfigPanel, agentConfigOf } from '../components/install/AgentConfigPanel';
import { ComposeExport } from '../components/install/ComposeExport';
import { GitLabValues } from '../components/install/GitLabValues';
import { InstallList } from '../components/install/InstallList';
import { InstallSettings } from '../components/install/InstallSettings';
import { InstallSource } from '../components/install/InstallSource';
import { EngineStatus } from '../components/EngineStatus';
import { StepList } from '../components/install/StepList';
import { stamp } from '../components/time';
import { useApp } from '../state/app';
import { isGitLabRecipe, restoreOpenInstall, useInstall } from '../state/install';

function Finish({ install }: { install: InstallView }) {
  const agent = agentConfigOf(install.steps.find((s) => s.kind === 'agent-config')?.result);
  return (
    <>
      <div className="panel-title finish-title">
        <h2>Finish</h2>
        <button type="button" className="btn btn-small" data-testid="install-custody-link" onClick={() => useApp.getState().showCustody(install.bundleId)}>
          Custody log for this bundle
        </button>
      </div>
      {(install.outputs.length > 0 || isGitLabRecipe(install)) && <GitLabValues outputs={install.outputs} />}
      {agent && <AgentConfigPanel config={agent} />}
      <ComposeExport installId={install.installId} />
    </>
  );
}

/** Source and settings of a new install; folded away while an install's steps are shown. */
function NewInstall({ folded }: { folded: boolean }) {
  const form = (
    <>
      <InstallSource />
      <InstallSettings />
    </>
  );
  if (!folded) return form;
  return (
    <details className="panel install-new-form" data-testid="install-new-form">
      <summary>Plan another install (source and settings)</summary>
      {form}
    </details>
  );
}

/** Offline admin: the guided install of a received bundle's recipe, step by step. */
export function Install() {
  const install = useInstall((s) => s.install);
  const draftHost = useInstall((s) => s.draft.dockerHost);
  useEffect(() => {
    void restoreOpenInstall();
  }, []);
  return (
    <div className="screen install-screen">
      <header className="screen-head">
        <h1>Guided install</h1>
        <p className="lede">
          Install a received bundle's stack on this host: verify, push images, place weights, check GPUs, generate keys, start the
          containers, wait for health, prove there is no outside egress. Each step shows its command before it runs and is
          recorded in the custody log.
        </p>
      </header>
      <InstallList />
      {/* Where no container engine is reachable it says so, with the command to start one, before step 1 runs. */}
      <EngineStatus dockerHost={install ? install.request.dockerHost : draftHost} />
      {install && (
        <>
          <div className="install-id muted small" data-testid="install-id">
            Install <code className="mono">{install.installId}</code> · {install.recipe.title} {install.recipe.version} · planned {stamp(install.createdAt)}
          </div>
          <StepList install={install} />
          <Finish install={install} />
        </>
      )}
      <NewInstall folded={install !== null} />
    </div>
  );
}
