import type { FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { InstallInspectView } from '../../../../shared/api-install';
import { formatBytes } from '../../../../shared/format';
import { api } from '../../api/client';
import { sourceOf, useInstall } from '../../state/install';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { Digest, ShortId } from '../Mono';
import { useAction } from '../../state/useAction';
import { DataTable } from '../DataTable';

function Contents({ view }: { view: InstallInspectView }) {
  return (
    <div className="install-contents" data-testid="install-inspect">
      <dl className="kv">
        <dt>Recipe</dt>
        <dd>
          <strong data-testid="install-recipe">{view.recipe.title}</strong> <span className="muted mono">{view.recipe.id}</span>{' '}
          <span className="badge badge-muted">{view.recipe.version}</span>
        </dd>
        <dt>Bundle</dt>
        <dd>
          <ShortId value={view.bundleId} n={36} />
        </dd>
        {view.neededBytes !== undefined && (
          <>
            <dt>GPU memory</dt>
            <dd className="num">about {formatBytes(view.neededBytes)} (scan estimate)</dd>
          </>
        )}
      </dl>
      <DataTable columns={[{ label: 'Kind', className: 'col-kind' }, 'Artifact', 'Installs as', 'Pinned', { label: 'Size', className: 'num' }]}>
        {view.images.map((i) => (
          <tr key={`i:${i.id}`} data-testid="install-image">
            <td className="muted">image</td>
            <td className="mono">{i.id}</td>
            <td className="mono">{i.tag ? `${i.target}:${i.tag}` : i.target}</td>
            <td>
              <Digest value={i.digest} />
            </td>
            <td className="num muted">—</td>
          </tr>
        ))}
        {view.models.map((m) => (
          <tr key={`m:${m.id}`} data-testid="install-model">
            <td className="muted">model</td>
            <td className="mono">{m.id}</td>
            <td className="mono">{m.repo}</td>
            <td>
              <ShortId value={m.revision} n={12} />
            </td>
            <td className="num">{formatBytes(m.size)}</td>
          </tr>
        ))}
      </DataTable>
    </div>
  );
}

/** Step 1: where the bundle is (mounted volumes in any order, or a folder), and what it holds. */
export function InstallSource() {
  const { draft, inspect, inspectedKey } = useInstall(useShallow((s) => ({ draft: s.draft, inspect: s.inspect, inspectedKey: s.inspectedKey })));
  const setDraft = useInstall((s) => s.setDraft);
  const { busy, error, run } = useAction();
  const { arg, key } = sourceOf(draft);
  const empty = !arg.dir && !arg.volumes;
  const stale = inspect !== null && inspectedKey !== key;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (empty || busy) return;
    await run(async () => {
      useInstall.getState().setInspect(await api.invoke('install:inspect', arg), key);
    });
  };

  return (
    <form className="panel form" onSubmit={submit} noValidate aria-labelledby="install-source-title">
      <div className="panel-title">
        <h2 id="install-source-title">1 · Source</h2>
        {stale && <span className="text-warn">Changed since the last inspection; inspect again.</span>}
      </div>
      <div className="segmented" role="radiogroup" aria-label="Bundle source">
        {(['volumes', 'dir'] as const).map((m) => (
          <label key={m} className={draft.source === m ? 'active' : ''}>
            <input type="radio" name="install-source" value={m} checked={draft.source === m} onChange={() => setDraft({ source: m })} data-testid={`install-source-${m}`} />
            {m === 'volumes' ? 'Mounted volumes' : 'Bundle folder'}
          </label>
        ))}
      </div>
      <div className="form-row">
        {draft.source === 'volumes' ? (
          <Field label="Volume mount paths" htmlFor="install-volumes" hint="One per line, any order. A missing or duplicate volume is named." wide>
            <textarea id="install-volumes" data-testid="install-volumes" rows={3} spellCheck={false} value={draft.volumes} onChange={(e) => setDraft({ volumes: e.target.value })} placeholder={'/media/ferry-vol1\n/media/ferry-vol2'} />
          </Field>
        ) : (
          <Field label="Bundle folder" htmlFor="install-dir" hint="The folder holding the bundle manifest." wide>
            <input id="install-dir" data-testid="install-dir" spellCheck={false} value={draft.dir} onChange={(e) => setDraft({ dir: e.target.value })} placeholder="/srv/ferry/bundles/duo" />
          </Field>
        )}
        <button type="submit" className="btn btn-primary" data-testid="install-inspect-submit" disabled={empty || busy}>
          {busy ? 'Inspecting…' : 'Inspect'}
        </button>
      </div>
      {error != null && <ErrorBox title="Could not inspect the bundle" error={toShape(error)} testId="install-inspect-error" />}
      {inspect && <Contents view={inspect} />}
    </form>
  );
}
