import type { FormEvent } from 'react';
import type { CustodyImportResult } from '../../../../shared/channels/custody-admin';
import { api } from '../../api/client';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { Digest, ShortId } from '../Mono';
import { ActingOnly } from '../SignInHint';
import { useReceive } from './receive-state';
import { useAction } from '../../state/useAction';

function Imported({ r }: { r: CustodyImportResult }) {
  const signer = r.headSigner;
  return (
    <div className="receive-imported" data-testid="receive-imported">
      <dl className="kv">
        <dt>Bundle</dt>
        <dd>
          <ShortId value={r.bundleId} n={36} />
        </dd>
        <dt>Origin station</dt>
        <dd data-testid="receive-origin">
          {r.origin.station}
          {r.origin.location ? ` (${r.origin.location})` : ''}
        </dd>
        <dt>Events</dt>
        <dd className="num" data-testid="receive-events">
          {r.events} carried · {r.added} added · {r.alreadyHad} already here
          {r.interleaved > 0 ? ` · ${r.interleaved} of other bundles between them` : ''}
        </dd>
        <dt>Head</dt>
        <dd>
          <Digest value={r.headHash} /> continued here by local event #{r.localSeq}
        </dd>
        <dt>Head signed by</dt>
        <dd data-testid="receive-signer" data-pinned={signer?.pinned ? 'yes' : 'no'}>
          {signer ? (
            <>
              <strong>{signer.name}</strong> <ShortId value={signer.fingerprint} n={16} />{' '}
              {signer.pinned ? <span className="badge badge-good">pinned here</span> : <span className="badge badge-bad">not pinned here</span>}
            </>
          ) : (
            <span className="badge badge-bad">{r.headSigned ? 'signed by an unknown key' : 'unsigned'}</span>
          )}
        </dd>
      </dl>
      {(!signer || !signer.pinned) && (
        <p className="text-warn small" data-testid="receive-signer-warning">
          Nobody this station trusts vouches for this log's head. Pin the origin station's key on Trusted keys (compare its fingerprint read aloud) before relying on it.
        </p>
      )}
    </div>
  );
}

/** Takes in the custody log the bundle carries: checks its chain and continues it on this station. */
export function CustodyImportPanel() {
  const dir = useReceive((s) => s.dir);
  const imported = useReceive((s) => s.imported);
  const { busy, error, run } = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const d = dir.trim();
    if (!d || busy) return;
    await run(
      async () => {
        const r = await api.invoke('custody:import', { dir: d });
        useReceive.setState({ imported: r, recorded: null });
        useReceive.getState().setReceipt({ bundleId: r.bundleId });
      },
      () => useReceive.setState({ imported: null }),
    );
  };
  return (
    <form className="panel form" onSubmit={submit} noValidate aria-labelledby="receive-import-title">
      <div className="panel-title">
        <h2 id="receive-import-title">1 · Custody log the bundle carries</h2>
      </div>
      <div className="form-row">
        <Field label="Bundle folder" htmlFor="receive-dir" hint="The received bundle (or its first mounted volume)." wide>
          <input id="receive-dir" data-testid="receive-dir" spellCheck={false} value={dir} onChange={(e) => useReceive.getState().setDir(e.target.value)} placeholder="/media/ferry-vol1" />
        </Field>
        <ActingOnly to="import the custody log (recorded as yours)">
          <button type="submit" className="btn btn-primary" data-testid="receive-import" disabled={!dir.trim() || busy}>
            {busy ? 'Importing…' : 'Import custody log'}
          </button>
        </ActingOnly>
      </div>
      {error != null && <ErrorBox title="The custody log was not imported" error={toShape(error)} testId="receive-import-error" />}
      {imported && <Imported r={imported} />}
    </form>
  );
}
