import type { Change, UpgradeDiff } from '../../../../shared/upgrade-types';
import { formatBytes } from '../../../../shared/format';
import { Digest, ShortId } from '../Mono';
import { DataTable } from '../DataTable';

const TONE: Record<Change, string> = { added: 'good', removed: 'bad', changed: 'info', unchanged: 'muted' };

function ChangeBadge({ change }: { change: Change }) {
  return (
    <span className={`badge badge-${TONE[change]}`} data-testid="upgrade-change" data-change={change}>
      {change}
    </span>
  );
}

function OldNew({ old, new: next }: { old?: string; new?: string }) {
  return (
    <>
      <td className="mono wrap">{old ?? <span className="muted">—</span>}</td>
      <td className="arrow" aria-hidden="true">
        →
      </td>
      <td className="mono wrap">{next ?? <span className="muted">—</span>}</td>
    </>
  );
}

/** What the upgrade changes: images, containers field by field, models, parameters, new secrets. */
export function UpgradeDiffView({ diff }: { diff: UpgradeDiff }) {
  const changedContainers = diff.containers.filter((c) => c.change !== 'unchanged');
  return (
    <div className="upgrade-diff" data-testid="upgrade-diff">
      <dl className="kv">
        <dt>Recipe</dt>
        <dd>
          <strong>{diff.recipe.title}</strong> <span className="muted mono">{diff.recipe.id}</span>{' '}
          <span data-testid="upgrade-versions">
            {diff.recipe.oldVersion} → {diff.recipe.newVersion}
          </span>
        </dd>
        <dt>Bundles</dt>
        <dd>
          <ShortId value={diff.oldBundleId} /> → <ShortId value={diff.newBundleId} />
        </dd>
      </dl>

      <h3>Images</h3>
      <DataTable columns={['Image', 'Change', 'Installed', '', 'New']}>
        {diff.images.map((i) => (
          <tr key={i.id} data-testid="upgrade-image" data-id={i.id} data-change={i.change}>
            <td className="mono">{i.id}</td>
            <td>
              <ChangeBadge change={i.change} />
            </td>
            <td className="wrap">{i.old ? <><span className="mono">{i.old.ref}</span> <Digest value={i.old.digest} /></> : <span className="muted">—</span>}</td>
            <td className="arrow" aria-hidden="true">
              →
            </td>
            <td className="wrap">{i.new ? <><span className="mono">{i.new.ref}</span> <Digest value={i.new.digest} /></> : <span className="muted">—</span>}</td>
          </tr>
        ))}
        {diff.images.length === 0 && (
          <tr>
            <td colSpan={5} className="empty">
              No images.
            </td>
          </tr>
        )}
      </DataTable>

      <h3>Containers</h3>
      {changedContainers.length === 0 ? (
        <p className="muted">No container changes.</p>
      ) : (
        changedContainers.map((c) => (
          <div key={c.name} className="upgrade-container" data-testid="upgrade-container" data-name={c.name} data-change={c.change}>
            <div className="table-caption">
              <span>
                <span className="mono">{c.name}</span> <ChangeBadge change={c.change} />
              </span>
              <span className="muted">
                {c.fields.length} field{c.fields.length === 1 ? '' : 's'}
              </span>
            </div>
            {c.fields.length > 0 && (
              <DataTable columns={['Field', 'Installed', '', 'New']}>
                {c.fields.map((f) => (
                  <tr key={f.field} data-testid="upgrade-field" data-field={f.field}>
                    <td className="mono">{f.field}</td>
                    <OldNew old={f.old} new={f.new} />
                  </tr>
                ))}
              </DataTable>
            )}
          </div>
        ))
      )}

      {diff.models.length > 0 && (
        <>
          <h3>Models</h3>
          <DataTable columns={['Model', 'Change', 'Installed', '', 'New']}>
            {diff.models.map((m) => (
              <tr key={m.id} data-testid="upgrade-model" data-change={m.change}>
                <td className="mono">{m.id}</td>
                <td>
                  <ChangeBadge change={m.change} />
                </td>
                <OldNew old={m.old && `${m.old.repo}@${m.old.revision.slice(0, 12)} (${formatBytes(m.old.size)})`} new={m.new && `${m.new.repo}@${m.new.revision.slice(0, 12)} (${formatBytes(m.new.size)})`} />
              </tr>
            ))}
          </DataTable>
        </>
      )}

      {diff.params.length > 0 && (
        <>
          <h3>Parameters</h3>
          <DataTable columns={['Parameter', 'Installed', '', 'New']}>
            {diff.params.map((p) => (
              <tr key={p.name} data-testid="upgrade-param">
                <td className="mono">{p.name}</td>
                <OldNew old={p.old} new={p.new} />
              </tr>
            ))}
          </DataTable>
        </>
      )}

      {diff.secretsAdded.length > 0 && (
        <>
          <h3>Secrets added</h3>
          <p className="muted">Generated on this host during the upgrade (0600); their fingerprints go into the custody log.</p>
          <ul data-testid="upgrade-secrets">
            {diff.secretsAdded.map((s) => (
              <li key={s} className="mono">
                {s}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
