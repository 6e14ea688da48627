import type { FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { api } from '../../api/client';
import { lines } from '../../state/drafts';
import { isGitLabRecipe, missingParams, planRequest, sourceOf, useInstall } from '../../state/install';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { InstallParams } from './InstallParams';
import { useAction } from '../../state/useAction';

const REGISTRY_RE = /^[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._/-]+)?$/;
const HOSTPORT_RE = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/** Step 2: where things go (registry, models, engine), GPU use, egress targets, parameters; then Plan. */
export function InstallSettings() {
  const { d, password, inspect, inspectedKey } = useInstall(useShallow((s) => ({ d: s.draft, password: s.password, inspect: s.inspect, inspectedKey: s.inspectedKey })));
  const { setDraft, setPassword } = useInstall.getState();
  const { busy, error, run } = useAction();

  const inspected = inspect !== null && inspectedKey === sourceOf(d).key;
  // GitLab CA and flow execution belong to GitLab recipes only; hidden (and not sent) for others.
  const gitlab = inspected && isGitLabRecipe(inspect);
  const registry = d.registry.trim();
  const badRegistry = d.useRegistry && registry !== '' && !REGISTRY_RE.test(registry);
  const outside = lines(d.egressOutside);
  const badOutside = outside.filter((t) => !HOSTPORT_RE.test(t));
  const missing = missingParams(inspect, d.params);
  const problems = [
    !inspected && 'inspect the bundle first',
    d.useRegistry && !registry && 'a registry (or load into the engine)',
    badRegistry && 'a registry as HOST[:PORT][/PREFIX]',
    !d.modelsDir.trim() && 'a models directory',
    outside.length === 0 && 'at least one outside target',
    badOutside.length > 0 && `outside targets as HOST:PORT (${badOutside.join(', ')})`,
    missing.length > 0 && `parameters ${missing.join(', ')}`,
    gitlab && lines(d.cacheKeyFiles).length > 0 && lines(d.cachePaths).length === 0 && 'cache paths for the cache key files',
    gitlab && lines(d.cacheKeyFiles).length > 2 && 'at most two cache key files',
  ].filter(Boolean) as string[];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (problems.length || busy) return;
    await run(async () => {
      const view = await api.invoke('install:plan', planRequest(d, password, inspect));
      useInstall.setState({ install: view, jobId: null });
    });
  };

  return (
    <form className={`panel form${inspected ? '' : ' form-locked'}`} onSubmit={submit} noValidate aria-labelledby="install-settings-title">
      <div className="panel-title">
        <h2 id="install-settings-title">2 · Settings</h2>
        {!inspected && <span className="muted">Inspect the bundle first: its recipe decides the parameters.</span>}
      </div>
      <h3>Images</h3>
      <div className="field field-check">
        <label>
          <input type="checkbox" data-testid="install-load-engine" checked={!d.useRegistry} onChange={(e) => setDraft({ useRegistry: !e.target.checked })} />
          Load the images into the engine instead of pushing them to a registry
        </label>
      </div>
      {d.useRegistry && (
        <div className="form-grid">
          <Field label="Internal registry" htmlFor="install-registry" hint={badRegistry ? <span className="text-bad">Expected HOST[:PORT][/PREFIX]</span> : 'HOST[:PORT][/PREFIX], where the stack pulls from'}>
            <input id="install-registry" data-testid="install-registry" spellCheck={false} value={d.registry} onChange={(e) => setDraft({ registry: e.target.value })} placeholder="registry.internal.example/duo" />
          </Field>
          <Field label="Registry CA file" htmlFor="install-ca" hint="PEM file, when the registry uses an internal CA">
            <input id="install-ca" data-testid="install-ca" spellCheck={false} value={d.caFile} onChange={(e) => setDraft({ caFile: e.target.value })} placeholder="/etc/ferry/registry-ca.pem" />
          </Field>
          <Field label="Registry username" htmlFor="install-username">
            <input id="install-username" data-testid="install-username" autoComplete="username" spellCheck={false} value={d.username} onChange={(e) => setDraft({ username: e.target.value })} />
          </Field>
          <Field label="Registry password" htmlFor="install-password" hint="Kept in memory for this session only; never stored or shown.">
            <input id="install-password" data-testid="install-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
          <div className="field field-check">
            <label>
              <input type="checkbox" data-testid="install-insecure" checked={d.insecure} onChange={(e) => setDraft({ insecure: e.target.checked })} />
              Plain HTTP registry (no TLS)
            </label>
          </div>
        </div>
      )}
      <h3>Host</h3>
      <div className="form-grid">
        <Field label="Models directory" htmlFor="install-models-dir" hint="Weights are placed here and mounted into the model server.">
          <input id="install-models-dir" data-testid="install-models-dir" spellCheck={false} value={d.modelsDir} onChange={(e) => setDraft({ modelsDir: e.target.value })} placeholder="/data/models" />
        </Field>
        <Field label="Engine socket" htmlFor="install-docker-host" hint="Docker or Podman socket; empty = DOCKER_HOST or the local Docker socket.">
          <input id="install-docker-host" data-testid="install-docker-host" spellCheck={false} value={d.dockerHost} onChange={(e) => setDraft({ dockerHost: e.target.value })} placeholder="unix:///run/podman/podman.sock" />
        </Field>
        <Field label="GPU mode" htmlFor="install-gpu" hint={d.gpu === 'none' ? 'No GPUs are requested: only for stand-ins and CPU-only tests.' : 'Refuses to start the model server without usable NVIDIA GPUs.'}>
          <select id="install-gpu" data-testid="install-gpu" value={d.gpu} onChange={(e) => setDraft({ gpu: e.target.value as 'require' | 'none' })}>
            <option value="require">require GPUs</option>
            <option value="none">none (stand-ins)</option>
          </select>
        </Field>
        {gitlab && (
          <Field label="GitLab CA file" htmlFor="install-gitlab-ca" hint="When GitLab's certificate chains to a private CA; mounted as REQUESTS_CA_BUNDLE.">
            <input id="install-gitlab-ca" data-testid="install-gitlab-ca" spellCheck={false} value={d.gitlabCaFile} onChange={(e) => setDraft({ gitlabCaFile: e.target.value })} placeholder="/etc/pki/gitlab-ca.pem" />
          </Field>
        )}
        <Field label="Health timeout (seconds)" htmlFor="install-health-timeout" hint="Per container; default 600 (the model server loads weights for minutes).">
          <input id="install-health-timeout" data-testid="install-health-timeout" inputMode="numeric" value={d.healthTimeout} onChange={(e) => setDraft({ healthTimeout: e.target.value })} placeholder="600" />
        </Field>
      </div>
      <h3>Egress check</h3>
      <div className="form-grid">
        <Field label="Outside targets" htmlFor="install-egress-outside" hint={badOutside.length ? <span className="text-bad">Expected HOST:PORT, one per line</span> : 'HOST:PORT, one per line: must be unreachable from every container.'}>
          <textarea id="install-egress-outside" data-testid="install-egress-outside" rows={2} spellCheck={false} value={d.egressOutside} onChange={(e) => setDraft({ egressOutside: e.target.value })} placeholder="outside.example:443" />
        </Field>
        <Field label="Internal targets" htmlFor="install-egress-internal" hint="HOST:PORT or URL, one per line: must be reachable (e.g. GitLab, the registry).">
          <textarea id="install-egress-internal" data-testid="install-egress-internal" rows={2} spellCheck={false} value={d.egressInternal} onChange={(e) => setDraft({ egressInternal: e.target.value })} placeholder="https://gitlab.internal.example" />
        </Field>
      </div>
      {gitlab && (
        <>
          <h3>Flow execution (optional)</h3>
          <div className="form-grid">
            <Field label="Setup script" htmlFor="install-setup-script" hint="agent-config.yml setup_script: commands run before each flow, one per line.">
              <textarea id="install-setup-script" data-testid="install-setup-script" rows={2} spellCheck={false} value={d.setupScript} onChange={(e) => setDraft({ setupScript: e.target.value })} placeholder="npm ci --offline" />
            </Field>
            <Field label="Cache paths" htmlFor="install-cache-paths" hint="cache.paths, one per line; key files (at most two) below.">
              <textarea id="install-cache-paths" data-testid="install-cache-paths" rows={2} spellCheck={false} value={d.cachePaths} onChange={(e) => setDraft({ cachePaths: e.target.value })} placeholder="node_modules" />
            </Field>
            <Field label="Cache key files" htmlFor="install-cache-key-files" hint="cache.key.files, one per line (at most two).">
              <textarea id="install-cache-key-files" data-testid="install-cache-key-files" rows={2} spellCheck={false} value={d.cacheKeyFiles} onChange={(e) => setDraft({ cacheKeyFiles: e.target.value })} placeholder="package-lock.json" />
            </Field>
          </div>
        </>
      )}
      <h3>Install parameters</h3>
      {inspect && inspected ? <InstallParams parameters={inspect.parameters} /> : <p className="muted">Shown once the bundle is inspected.</p>}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" data-testid="install-plan-submit" disabled={problems.length > 0 || busy}>
          {busy ? 'Planning…' : 'Plan'}
        </button>
        <span className="muted" data-testid="install-plan-needs">
          {problems.length ? `Needs ${problems.join('; ')}.` : 'Lays out the steps; nothing runs yet.'}
        </span>
      </div>
      {error != null && <ErrorBox title="Could not plan the install" error={toShape(error)} testId="install-plan-error" />}
    </form>
  );
}
