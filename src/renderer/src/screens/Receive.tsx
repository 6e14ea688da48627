import { CustodyImportPanel } from '../components/receive/CustodyImportPanel';
import { ReceiptForm } from '../components/receive/ReceiptForm';
import { TrustCheckPanel } from '../components/receive/TrustCheckPanel';
import { useReceive } from '../components/receive/receive-state';
import { useApp } from '../state/app';
import { useDrafts } from '../state/drafts';

/** Offline admin: take delivery of a bundle — its custody log, the receipt (media, seals), its approvals. */
export function Receive() {
  const dir = useReceive((s) => s.dir.trim());
  const toVerify = () => {
    useDrafts.getState().setVerify({ dir });
    useApp.getState().go('verify');
  };
  return (
    <div className="screen receive-screen">
      <header className="screen-head">
        <h1>Receive</h1>
        <p className="lede">
          Take delivery of a bundle: continue the custody log it carries on this station, record who received which media and
          whether the seals were intact, and check that reviewers this station trusts approved it. Then verify every byte.
        </p>
      </header>
      <CustodyImportPanel />
      <ReceiptForm />
      <TrustCheckPanel />
      <div className="form-actions">
        <button type="button" className="btn" data-testid="receive-to-verify" disabled={!dir} onClick={toVerify}>
          Verify this bundle
        </button>
      </div>
    </div>
  );
}
