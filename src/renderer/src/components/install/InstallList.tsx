import { useEffect, useState } from 'react';
import type { InstallView } from '../../../../shared/api-install';
import { api } from '../../api/client';
import { closeInstall, installStatus, isRemovable, openInstall, useInstall, type InstallStatus } from '../../state/install';
import { Badge } from '../Badge';
import { ErrorBox, toShape } from '../ErrorBox';
import { ShortId } from '../Mono';
import { stamp } from '../time';
import { RemoveInstallDialog } from './RemoveInstallDialog';
import { DataTable } from '../DataTable';

const TONE: Record<InstallStatus, 'pending' | 'running' | 'failed' | 'ok' | 'neutral'> = {
  planned: 'pending',
  running: 'running',
  failed: 'failed',
  'partly done': 'neutral',
  done: 'ok',
};

/**
 * Every install on this station with its status, newest first: read from the service, so it is the
 * same after a reload or a restart. Open one to see its steps; a planned one can be removed.
 */
export function InstallList() {
  const open = useInstall((s) => s.install);
  const [list, setList] = useState<InstallView[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<InstallView | null>(null);
  const [generation, setGeneration] = useState(0);
  const openId = open?.installId ?? null;
  // Re-read when the open install changes or moves on, and after a removal.
  const openStamp = open ? `${open.installId} ${open.updatedAt}` : '';
  useEffect(() => {
    let live = true;
    api.invoke('install:list', {}).then(
      (l) => live && (setList([...l].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))), setError(null)),
      (err) => live && setError(err),
    );
    return () => {
      live = false;
    };
  }, [openStamp, generation]);

  if (error != null) return <ErrorBox title="Could not list the installs on this station" error={toShape(error)} testId="install-list-error" />;
  if (list === null) return <section className="panel muted">Reading the installs on this station…</section>;
  return (
    <section className="panel install-list" aria-labelledby="install-list-title" data-testid="install-list">
      <div className="panel-title">
        <h2 id="install-list-title">Installs on this station</h2>
        <span className="muted">{list.length === 0 ? 'None yet: inspect a bundle below to plan one.' : `${list.length} install${list.length === 1 ? '' : 's'}`}</span>
        {openId && (
          <button type="button" className="btn btn-small" data-testid="install-new" onClick={closeInstall}>
            New install
          </button>
        )}
      </div>
      {list.length > 0 && (
        <DataTable scroll columns={['Recipe', 'Version', 'Bundle', 'Status', { label: 'Steps', className: 'num' }, { label: 'Updated', className: 'num' }, { label: <span className="visually-hidden">Actions</span> }]}>
          {list.map((i) => {
            const status = installStatus(i);
            const done = i.steps.filter((s) => s.state === 'done' || s.state === 'skipped').length;
            const current = i.installId === openId;
            return (
              <tr key={i.installId} data-testid="install-row" data-install-id={i.installId} data-status={status} aria-current={current || undefined} className={current ? 'row-current' : undefined}>
                <td>{i.recipe.title}</td>
                <td className="muted">{i.recipe.version}</td>
                <td>
                  <ShortId value={i.bundleId} />
                </td>
                <td>
                  <Badge state={TONE[status]} testId="install-row-status">
                    {status}
                  </Badge>
                </td>
                <td className="num">
                  {done} of {i.steps.length}
                </td>
                <td className="num nowrap">{stamp(i.updatedAt)}</td>
                <td className="nowrap">
                  <button type="button" className="btn btn-small" data-testid="install-open" aria-label={`Open install ${i.recipe.title} ${i.recipe.version} (${i.installId})`} disabled={current} onClick={() => openInstall(i)}>
                    {current ? 'Shown' : 'Open'}
                  </button>{' '}
                  {isRemovable(i) && (
                    <button type="button" className="btn btn-small btn-danger" data-testid="install-remove" aria-haspopup="dialog" aria-label={`Remove planned install ${i.recipe.title} ${i.recipe.version} (${i.installId})`} onClick={() => setRemoving(i)}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {removing && (
        <RemoveInstallDialog
          install={removing}
          onClose={() => setRemoving(null)}
          onRemoved={() => {
            if (removing.installId === openId) closeInstall();
            setRemoving(null);
            setGeneration((g) => g + 1);
          }}
        />
      )}
    </section>
  );
}
