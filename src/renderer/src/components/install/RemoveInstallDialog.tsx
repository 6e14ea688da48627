import type { InstallView } from '../../../../shared/api-install';
import { api } from '../../api/client';
import { Dialog } from '../Dialog';
import { ErrorBox, toShape } from '../ErrorBox';
import { useAction } from '../../state/useAction';

/** Confirms removing a planned install's record (nothing on the host is touched). */
export function RemoveInstallDialog({ install, onClose, onRemoved }: { install: InstallView; onClose: () => void; onRemoved: () => void }) {
  const { busy, error, run } = useAction();
  const remove = async () => {
    await run(async () => {
      await api.invoke('install:remove', { installId: install.installId });
      onRemoved();
    });
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
