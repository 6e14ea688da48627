import { useCallback, useEffect, useState } from 'react';
import { DOCKER_HOST_PATTERN, type EngineStatusView } from '../../../shared/channels/engine';
import { api } from '../api/client';

// Which container engine Ferry will use (Docker or Podman, version, socket, GPU plumbing), or
// that none is reachable with the commands to start one. `fact`: one line for the top bar;
// `panel`: the install screen's preflight area, above the steps.

const TYPING_PAUSE_MS = 400;

function engineName(v: EngineStatusView): string {
  return `${v.kind === 'podman' ? 'Podman' : 'Docker'} ${v.version ?? ''}`.trim();
}

function gpuText(v: EngineStatusView): string {
  const g = v.gpu;
  if (!g) return 'unknown';
  const have = [g.nvidiaRuntime ? 'nvidia runtime' : '', g.cdiDevices.length ? `CDI ${g.cdiDevices.join(', ')}` : ''].filter(Boolean);
  return have.length ? have.join('; ') : 'no GPU runtime or CDI devices';
}

/** The engine's status for `dockerHost` (a complete address; anything else asks about the default engine). */
function useEngineStatus(dockerHost: string | undefined): { view?: EngineStatusView; error?: string; checking: boolean; refresh: () => void } {
  const host = dockerHost?.trim() && DOCKER_HOST_PATTERN.test(dockerHost.trim()) ? dockerHost.trim() : undefined;
  const [state, setState] = useState<{ view?: EngineStatusView; error?: string; checking: boolean }>({ checking: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, checking: true }));
    // Wait for a pause in typing before asking about an address being entered.
    const timer = setTimeout(
      () => {
        api
          .invoke('engine:status', host ? { dockerHost: host } : {})
          .then((view) => live && setState({ view, checking: false }))
          .catch((err: unknown) => live && setState({ error: (err as Error).message, checking: false }));
      },
      round === 0 && !host ? 0 : TYPING_PAUSE_MS,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [host, round]);
  const refresh = useCallback(() => setRound((r) => r + 1), []);
  return { ...state, refresh };
}

export function EngineStatus({ dockerHost, variant = 'panel' }: { dockerHost?: string; variant?: 'panel' | 'fact' }) {
  const { view, error, checking, refresh } = useEngineStatus(dockerHost);
  if (variant === 'fact') {
    const value = view ? (view.reachable ? engineName(view) : 'none reachable') : error ? 'unknown' : '…';
    const title = view ? (view.reachable ? `${engineName(view)} at ${view.address}; GPUs: ${gpuText(view)}` : `${view.message} Start one: ${(view.start ?? []).join('; or ')}`) : error;
    return (
      <span className="fact" title={title} data-testid="engine-fact">
        <span className="fact-label">Engine</span>
        <span className={`fact-value${view && !view.reachable ? ' text-bad' : ''}`} data-testid="engine-fact-value">
          {value}
        </span>
      </span>
    );
  }
  return (
    <section className="panel engine-status" aria-labelledby="engine-status-title" data-testid="engine-status" data-reachable={view ? String(view.reachable) : undefined}>
      <div className="panel-title">
        <h2 id="engine-status-title">Container engine</h2>
        <button type="button" className="btn btn-small" onClick={refresh} disabled={checking} data-testid="engine-status-refresh">
          {checking ? 'Checking…' : 'Check again'}
        </button>
      </div>
      {error && (
        <p className="text-bad" role="alert" data-testid="engine-status-error">
          {error}
        </p>
      )}
      {view && view.reachable && (
        <dl className="engine-facts" data-testid="engine-status-facts">
          <dt>Engine</dt>
          <dd data-testid="engine-status-engine">
            {engineName(view)}
            {view.apiVersion ? <span className="muted"> (API {view.apiVersion})</span> : null}
          </dd>
          <dt>Socket</dt>
          <dd>
            <code className="mono" data-testid="engine-status-socket">{view.address}</code>
            <span className="muted small"> {view.source === 'argument' ? '(this install)' : view.source === 'DOCKER_HOST' ? '(DOCKER_HOST)' : '(default)'}</span>
          </dd>
          <dt>GPU</dt>
          <dd data-testid="engine-status-gpu">
            {gpuText(view)}
            {view.gpu && <div className="muted small">{view.gpu.request.text}</div>}
          </dd>
        </dl>
      )}
      {view && !view.reachable && (
        <div role="alert" data-testid="engine-status-unreachable">
          <p className="text-bad">
            <strong>No container engine reachable</strong> at <code className="mono">{view.address}</code>: {view.problem}.
          </p>
          <p>Engine steps (loading images, containers, health and egress checks) cannot run until one answers. To start one:</p>
          <ul className="engine-start">
            {(view.start ?? []).map((c) => (
              <li key={c}>
                <code className="mono">{c}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
