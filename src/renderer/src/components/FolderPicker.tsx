import { useEffect, useState } from 'react';
import type { BrowseView } from '../../../shared/channels/operator';
import { formatBytes } from '../../../shared/format';
import { api } from '../api/client';
import { Dialog } from './Dialog';
import { ErrorBox, toShape } from './ErrorBox';

/**
 * A path field with a Browse… button. In Electron the button opens the native folder dialog; in
 * the browser (`ferry serve`) a dialog lists folders through `fs:browse`, which only goes under the
 * user's home and mounted media. The field stays editable: any path can still be typed.
 * `multiline`: a textarea of one path per line; a chosen folder is added as a new line.
 * `childName`: the field is a folder to be created: the chosen folder is where, `childName` is added to it.
 */
export function FolderPicker({
  id,
  testId,
  value,
  onChange,
  multiline,
  rows = 3,
  placeholder,
  disabled,
  childName,
}: {
  id: string;
  testId: string;
  value: string;
  onChange: (v: string) => void;
  multiline?: boolean;
  rows?: number;
  placeholder?: string;
  disabled?: boolean;
  childName?: string;
}) {
  const [open, setOpen] = useState(false);
  const given = multiline ? (value.split('\n').map((l) => l.trim()).filter(Boolean).at(-1) ?? '') : value.trim();
  // Where browsing starts: the folder in the field (its parent when the field names a folder to create).
  const last = childName && given ? given.replace(/\/[^/]+\/?$/, '') || '/' : given;
  const chosen = (picked: string) => {
    setOpen(false);
    const path = childName ? `${picked.replace(/\/$/, '')}/${childName}` : picked;
    if (!multiline) return onChange(path);
    const kept = value.replace(/\s+$/, '');
    if (kept.split('\n').some((l) => l.trim() === path)) return;
    onChange(kept ? `${kept}\n${path}` : path);
  };
  const browse = async () => {
    const native = window.ferry?.pickFolder;
    if (!native) return setOpen(true);
    const path = await native(last || undefined);
    if (path) chosen(path);
  };
  return (
    <div className={`folder-picker${multiline ? ' folder-picker-multi' : ''}`}>
      {multiline ? (
        <textarea id={id} data-testid={testId} rows={rows} value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} placeholder={placeholder} disabled={disabled} />
      ) : (
        <input id={id} data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)} spellCheck={false} placeholder={placeholder} disabled={disabled} />
      )}
      <button type="button" className="btn" onClick={() => void browse()} data-testid={`${testId}-browse`} aria-haspopup="dialog" disabled={disabled} title="Choose the folder in a folder browser">
        Browse…
      </button>
      {open && <BrowseDialog start={last} onChoose={chosen} onClose={() => setOpen(false)} />}
    </div>
  );
}

/** The headless folder browser: roots, the folder shown, its parent and sub-folders; choose the folder shown. */
function BrowseDialog({ start, onChoose, onClose }: { start: string; onChoose: (path: string) => void; onClose: () => void }) {
  const [view, setView] = useState<BrowseView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const go = (path?: string) => {
    setError(null);
    api.invoke('fs:browse', path ? { path } : {}).then(setView, (err: unknown) => {
      setError(err);
      // A typed start outside the roots: show the first root instead, with the refusal above it.
      if (!view && path) void api.invoke('fs:browse', {}).then(setView, () => undefined);
    });
  };
  useEffect(() => go(start.startsWith('/') ? start : undefined), []);
  return (
    <Dialog title="Choose a folder" onClose={onClose} testId="folder-picker">
      <div className="folder-roots" role="group" aria-label="Places">
        {view?.roots.map((r) => (
          <button key={r.path} type="button" className={`btn btn-small${view.path === r.path ? ' btn-current' : ''}`} onClick={() => go(r.path)} title={r.path} data-testid="folder-picker-root">
            {r.label}
          </button>
        ))}
      </div>
      {error !== null && <ErrorBox error={toShape(error)} title="Cannot open that folder" testId="folder-picker-error" />}
      {view && (
        <>
          <div className="folder-current">
            <code className="mono path" data-testid="folder-picker-path">
              {view.path}
            </code>
          </div>
          <ul className="folder-list" aria-label={`Contents of ${view.path}`}>
            {view.parent && (
              <li>
                <button type="button" className="folder-entry" onClick={() => go(view.parent)} data-testid="folder-picker-up">
                  <span aria-hidden="true">↑</span> .. <span className="muted">(up)</span>
                </button>
              </li>
            )}
            {view.entries.map((e) =>
              e.kind === 'dir' ? (
                <li key={e.name}>
                  <button type="button" className="folder-entry" onClick={() => go(`${view.path.replace(/\/$/, '')}/${e.name}`)} data-testid="folder-picker-entry" data-name={e.name}>
                    <span aria-hidden="true">▸</span> {e.name}/
                  </button>
                </li>
              ) : (
                <li key={e.name} className="folder-file muted" data-testid="folder-picker-file">
                  <span aria-hidden="true">·</span> {e.name} {e.size !== undefined && <span className="num">{formatBytes(e.size)}</span>}
                </li>
              ),
            )}
            {view.entries.length === 0 && <li className="muted">Empty folder.</li>}
          </ul>
        </>
      )}
      <div className="form-actions">
        <button type="button" className="btn" onClick={onClose} data-testid="folder-picker-cancel">
          Cancel
        </button>
        <button type="button" className="btn btn-primary" onClick={() => view && onChoose(view.path)} disabled={!view} data-testid="folder-picker-choose" data-autofocus>
          Choose this folder
        </button>
      </div>
    </Dialog>
  );
}
