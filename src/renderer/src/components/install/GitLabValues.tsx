import type { InstallOutputView } from '../../../../shared/api-install';
import { CopyButton } from './CopyButton';

/** The values the admin enters in GitLab (Admin > GitLab Duo), each copyable. */
export function GitLabValues({ outputs }: { outputs: InstallOutputView[] }) {
  return (
    <section className="panel" aria-labelledby="install-values-title" data-testid="install-outputs">
      <div className="panel-title">
        <h2 id="install-values-title">GitLab values</h2>
        <span className="muted">Enter these in GitLab; they are also in the custody report.</span>
      </div>
      {outputs.length === 0 ? (
        <p className="muted">Shown once the outputs step has run.</p>
      ) : (
        <table className="table values">
          <tbody>
            {outputs.map((o) => (
              <tr key={o.label} data-testid="install-output" data-label={o.label}>
                <th scope="row">{o.label}</th>
                <td>
                  <code className="mono value" data-testid="install-output-value">
                    {o.value}
                  </code>
                </td>
                <td className="col-copy">
                  <CopyButton value={o.value} label={o.label} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
