import { useEffect, useState } from 'react';
import type { InstallView } from '../../../shared/api-install';
import { api } from '../api/client';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { AgentConfigPanel, agentConfigOf } from '../components/install/AgentConfigPanel';
import { GitLabValues } from '../components/install/GitLabValues';
import { InstallSettings } from '../components/install/InstallSettings';
import { InstallSource } from '../components/install/InstallSource';
import { StepList } from '../components/install/StepList';
import { ShortId } from '../components/Mono';
import { stamp } from '../components/time';
import { useApp } from '../state/app';
import { useInstall } from '../state/install';

/** Earlier installs on this station, to resume or re-check one after a restart. */
function Earlier({ current }: { current: string | null }) {
  const [list, setList] = useState<InstallView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.invoke('install:list', {}).then(setList, setError);
  }, [current]);
  const others = (list ?? []).filter((i) => i.installId !== current);
  if (error != null) return <ErrorBox title="Could not list earlier installs" error={toShape(error)} />;
  if (others.length === 0) return null;
  return (
    <details className="panel earlier">
      <summary>Earlier installs ({others.length})</summary>
      <table className="table">
        <tbody>
          {others.map((i) => {
            const done = i.steps.filter((s) => s.state === 'done' || s.state === 'skipped').length;
            return (
              <tr key={i.installId} data-testid="install-earlier">
                <td>{i.recipe.title}</td>
                <td className="muted">{i.recipe.version}</td>
                <td>
                  <ShortId value={i.bundleId} />
                </td>
                <td className="num nowrap">{stamp(i.updatedAt)}</td>
                <td className="num">
                  {done} of {i.steps.length} done
                </td>
                <td>
                  <button type="button" className="btn btn-small" onClick={() => useInstall.setState({ install: i, jobId: null })}>
                    Open
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </details>
  );
}

function Finish({ install }: { install: InstallView }) {
  const agent = agentConfigOf(install.steps.find((s) => s.kind === 'agent-config')?.result);
  return (
    <>
      <div className="panel-title finish-title">
        <h2>4 · Finish</h2>
        <button type="button" className="btn btn-small" data-testid="install-custody-link" onClick={() => useApp.getState().showCustody(install.bundleId)}>
          Custody log for this bundle
        </button>
      </div>
      <GitLabValues outputs={install.outputs} />
      {agent && <AgentConfigPanel config={agent} />}
    </>
  );
}

/** Offline admin: the guided install of a received bundle's recipe, step by step. */
export function Install() {
  const install = useInstall((s) => s.install);
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
      <Earlier current={install?.installId ?? null} />
      <InstallSource />
      <InstallSettings />
      {install && (
        <>
          <div className="install-id muted small" data-testid="install-id">
            Install <code className="mono">{install.installId}</code> · {install.recipe.title} {install.recipe.version} · planned {stamp(install.createdAt)}
          </div>
          <StepList install={install} />
          <Finish install={install} />
        </>
      )}
    </div>
  );
}
