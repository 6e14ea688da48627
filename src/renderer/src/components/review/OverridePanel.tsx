import { useState } from 'react';
import type { AntivirusStateView, OverrideView, UnresolvedFinding } from '../../../../shared/api-overrides';
import type { BundleDocument } from '../../../../shared/api-review';
import { ANTIVIRUS_STATE, signaturesText } from '../../../../shared/antivirus-text';
import { OverrideForm } from './OverrideForm';
import { DataTable } from '../DataTable';
import { FindingCells } from '../FindingCells';

/**
 * What stands between this bundle and approval, each in the same weight: blocking findings
 * without an override (each with "Override…"), findings a reviewer overrode (reason, who,
 * when), and every antivirus result that is not clean (state, engine, signature date).
 */
export function OverridePanel({ doc, onChanged }: { doc: BundleDocument; onChanged: () => void }) {
  const unresolved = doc.unresolved ?? [];
  const overrides = doc.overrides ?? [];
  const av = (doc.antivirus ?? []).filter((s) => s.status !== 'clean');
  const [open, setOpen] = useState<number | null>(null);
  if (unresolved.length + overrides.length + av.length === 0) return null;
  return (
    <section className="panel" data-testid="blocking-panel">
      <div className="panel-title">
        <h2>Blocking findings and antivirus</h2>
        <span className="muted">Nothing here may be skipped: each needs a decision before the bundle is approved, written or imported.</span>
      </div>
      <DataTable scroll testId="blocking-table" columns={['State', 'File / model', 'What', 'Decision']}>
        {av.map((s) => (
          <AntivirusRow key={`av:${s.artifact}`} s={s} />
        ))}
        {unresolved.map((f, i) => (
          <UnresolvedRow key={`u:${f.file}:${f.rule}:${i}`} f={f} open={open === i} onOpen={() => setOpen(open === i ? null : i)} />
        ))}
        {overrides.map((o, i) => (
          <OverriddenRow key={`o:${o.file}:${o.rule}:${i}`} o={o} />
        ))}
      </DataTable>
      {open !== null && unresolved[open] && (
        <OverrideForm
          dir={doc.dir}
          finding={unresolved[open]!}
          onRecorded={() => {
            setOpen(null);
            onChanged();
          }}
        />
      )}
    </section>
  );
}

function AntivirusRow({ s }: { s: AntivirusStateView }) {
  return (
    <tr data-testid="antivirus-state" data-status={s.status}>
      <td>
        <strong className="text-bad" data-testid="antivirus-state-word">
          ANTIVIRUS {ANTIVIRUS_STATE[s.status]}
        </strong>
      </td>
      <td>{s.artifact}</td>
      <td>
        <div>{s.engine ?? 'no engine'}</div>
        {s.detail && <div className="mono small">{s.detail}</div>}
        <div data-testid="antivirus-signatures">{signaturesText(s)}</div>
      </td>
      <td className="muted">Scan again with a working engine and current signatures; the station setting requireCleanAntivirus decides whether approval needs a clean result.</td>
    </tr>
  );
}

function UnresolvedRow({ f, open, onOpen }: { f: UnresolvedFinding; open: boolean; onOpen: () => void }) {
  return (
    <tr data-testid="blocking-finding" data-state="unresolved" data-rule={f.rule}>
      <td>
        <strong className="text-bad">BLOCKING</strong>
      </td>
      <FindingCells file={f.file} rule={f.rule} detail={f.detail} />
      <td>
        <button type="button" className="btn" data-testid="override-open" onClick={onOpen}>
          {open ? 'Cancel' : 'Override…'}
        </button>
      </td>
    </tr>
  );
}

function OverriddenRow({ o }: { o: OverrideView }) {
  return (
    <tr data-testid="blocking-finding" data-state="overridden" data-rule={o.rule}>
      <td>
        <strong className="text-warn">OVERRIDDEN</strong>
      </td>
      <FindingCells file={o.file} rule={o.rule} detail={o.detail} />
      <td data-testid="override-reason-shown">
        <div>
          Accepted by <strong>{o.by.name}</strong> ({o.by.role}) at {o.at}
        </div>
        <div>“{o.reason}”</div>
      </td>
    </tr>
  );
}
