import type { BundleDocument } from '../../../../shared/api-review';
import { DataTable } from '../DataTable';

/** What the recipe will run on the offline host; what reaches beyond the stack is listed first and loudly. */
export function RuntimeSurface({ doc }: { doc: BundleDocument }) {
  const r = doc.runtime;
  if (!r) return null;
  return (
    <section className="panel" data-testid="review-runtime">
      <div className="panel-title">
        <h2>What the install will run</h2>
        <span className="muted">recipe {r.recipe}</span>
      </div>
      {doc.diff?.filesChanged.some((f) => f.path === 'recipe.yaml') && (
        <p className="verdict verdict-bad" data-testid="review-runtime-changed">
          The recipe changed since the last approved bundle: read what it runs again.
        </p>
      )}
      {r.warnings.length > 0 && (
        <div className="verdict verdict-bad" data-testid="review-runtime-warnings">
          <strong>Needs the admin&apos;s explicit allowance at install ({r.warnings.length}):</strong>
          <ul>
            {r.warnings.map((w) => (
              <li key={`${w.where}:${w.detail}`} data-testid="review-runtime-warning">
                <code className="mono">{w.where}</code>: {w.detail}
                {w.allowance && (
                  <>
                    {' '}
                    (<code className="mono">--allow {w.allowance}</code>)
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      <DataTable columns={['Container', 'Image', 'Command', 'Env (names)', 'Ports', 'Mounts', 'GPU', 'Health']}>
        {r.containers.map((c) => (
          <tr key={c.name} data-testid="review-runtime-container">
            <td className="mono">{c.engineName}</td>
            <td className="mono">{c.image}</td>
            <td className="mono">{c.command.join(' ') || '—'}</td>
            <td className="mono">{c.env.join(', ') || '—'}</td>
            <td className="mono">{c.ports.join(', ') || '—'}</td>
            <td className="mono">
              {c.mounts.length === 0
                ? '—'
                : c.mounts.map((m) => (
                    <div key={m.spec} className={m.kind === 'host' || m.kind === 'socket' ? 'diff-added' : ''}>
                      {m.spec} ({m.kind}
                      {m.readOnly ? ', ro' : ''})
                    </div>
                  ))}
            </td>
            <td>{c.gpu ?? '—'}</td>
            <td className="mono">{c.health.join('; ') || '—'}</td>
          </tr>
        ))}
      </DataTable>
      {r.verify.length > 0 && (
        <ul>
          {r.verify.map((v) => (
            <li key={v.name} className="mono">
              check {v.name}: {v.method} {v.url}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
