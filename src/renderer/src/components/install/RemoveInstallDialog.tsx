import { useState } from 'react';
import type { InstallView } from '../../../../shared/api-install';
import { api } from '../../api/client';
import { Dialog } from '../Dialog';
import { ErrorBox, toShape } from '../ErrorBox';

/** Confirms removing a planned install's record (nothing on the host is touched). */
export function RemoveInstallDialog({ install, onClose, onRemoved }: { install: InstallView; onClose: () => void; onRemoved: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.invoke('install:remove', { installId: install.installId });
      onRemoved();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Dialog title="Remove this planned install?" onClose={onClose} testId="install-remove-dialog" describedBy="install-remove-what" returnFocus={() => document.querySelector<HTMLElement>('[data-testid="install-list"] h2')}>
      <p id="install-remove-what">
        The plan for <strong>{install.recipe.title}</strong> {install.recipe.version} (<code className="mono">{install.installId}</code>) and what Ferry generated for
        it are removed. No step ran on this host, so nothing there changes.
      </p>
      {error != null && <ErrorBox title="Could not remove the install" error={toShape(error)} testId="install-remove-error" />}
      <div className="form-actions">
        <button type="button" className="btn btn-danger" data-testid="install-remove-confirm" disabled={busy} onClick={() => void remove()}>
          {busy ? 'Removing…' : 'Remove'}
        </button>
        <button type="button" className="btn" data-autofocus data-testid="install-remove-cancel" onClick={onClose}>
          Keep it
        </button>
      </div>
    </Dialog>
  );
}
