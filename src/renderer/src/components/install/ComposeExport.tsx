import { useState } from 'react';
import type { ComposeExportView, ComposeFileView } from '../../../../shared/channels/install-admin';
import { api } from '../../api/client';
import { ErrorBox, toShape } from '../ErrorBox';
import { downloadText } from '../settings/download';
import { CommandBlock } from './CommandBlock';
import { useAction } from '../../state/useAction';

const MEDIA: Record<ComposeFileView['name'], string> = { 'docker-compose.yml': 'application/yaml', '.env': 'text/plain' };

/** Browsers refuse to save a name that starts with a dot (Chromium saves ".env" as "env.txt"): `.env` goes as PROJECT.env. */
function savedName(f: ComposeFileView, project: string): string {
  return f.name.startsWith('.') ? `${project}${f.name}` : f.name;
}

/**
 * Compose export: the install as `docker-compose.yml` and `.env`, each offered as a browser download
 * (nothing is written on the server). `.env` holds the generated secrets, so it says so.
 */
export function ComposeExport({ installId }: { installId: string }) {
  const [view, setView] = useState<ComposeExportView | null>(null);
  const { busy, error, run } = useAction();
  const load = async () => {
    await run(async () => {
      setView(await api.invoke('install:export-compose', { installId }));
    });
  };
  const shown = view?.installId === installId ? view : null;
  return (
    <section className="panel" aria-labelledby="install-compose-title" data-testid="install-compose">
      <div className="panel-title">
        <h2 id="install-compose-title">Compose export</h2>
        <span className="muted">For admins who run the stack with Docker Compose or podman-compose instead of Ferry.</span>
      </div>
      <div className="form-actions">
        <button type="button" className="btn" data-testid="install-compose-export" disabled={busy} onClick={() => void load()}>
          {busy ? 'Exporting…' : shown ? 'Export again' : 'Export compose files'}
        </button>
      </div>
      {error != null && <ErrorBox title="Could not export the compose files" error={toShape(error)} testId="install-compose-error" />}
      {shown && (
        <>
          <div className="alert alert-warn" role="note" data-testid="install-compose-secret-warning">
            <div className="alert-title">.env holds this install's secrets</div>
            <div className="alert-message">
              Save it where only the stack's admins can read it (mode 0600), never in version control, and delete stray copies (e.g. in Downloads).
            </div>
          </div>
          <ul className="compose-files">
            {shown.files.map((f) => (
              <li key={f.name}>
                <button type="button" className="btn btn-small" data-testid={`install-compose-download-${f.name === '.env' ? 'env' : 'yml'}`} onClick={() => downloadText(savedName(f, shown.project), f.content, MEDIA[f.name])}>
                  Download {f.name}
                </button>{' '}
                <span className="muted small">
                  {savedName(f, shown.project) !== f.name && (
                    <>
                      saved as <code className="mono">{savedName(f, shown.project)}</code>: rename it to <code className="mono">{f.name}</code> beside docker-compose.yml ·{' '}
                    </>
                  )}
                  mode {f.mode.toString(8).padStart(4, '0')}
                </span>
              </li>
            ))}
          </ul>
          <CommandBlock caption={<>Start it from the folder holding both files (project {shown.project})</>} value={shown.command} copyLabel="compose command" copyTestId="install-compose-copy" testId="install-compose-command" />
        </>
      )}
    </section>
  );
}
