import { useState, type FormEvent } from 'react';
import type { CustodyEvent } from '../../../shared/api';
import type { MediaWriteView } from '../../../shared/api-media';
import { api } from '../api/client';
import { ErrorBox, toShape } from './ErrorBox';
import { Fields, SignedMark } from './EventFields';
import { ActingOnly } from './SignInHint';
import { useAction } from '../state/useAction';
import { DataTable } from './DataTable';

/** Seal numbers as typed: separated by commas, spaces or new lines. */
const seals = (text: string): string[] => [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];

/**
 * After a write: the serial printed on each medium and the numbers of the tamper-evident seals,
 * recorded in the custody log as `written` then `sealed`, both signed by whoever is signed in.
 */
export function SerialSeal({ write }: { write: MediaWriteView }) {
  const [serials, setSerials] = useState<string[]>(() => write.volumes.map((v) => v.mediaSerial ?? ''));
  const [sealText, setSealText] = useState('');
  const [recorded, setRecorded] = useState<CustodyEvent[]>([]);
  const { busy, error, run } = useAction();
  const sealList = seals(sealText);
  const missing = serials.findIndex((s) => !s.trim());
  const done = recorded.length === 2;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await run(async () => {
      // `written` may already be recorded when `sealed` failed: it is not recorded twice.
      const written =
        recorded[0] ??
        (await api.invoke('custody:record', {
          type: 'written',
          bundleId: write.bundleId,
          details: {
            serials: serials.map((s) => s.trim()),
            volumeIds: write.volumes.map((v) => v.volumeId),
            volumes: write.volumes.map((v) => `${v.volume} of ${v.count}: ${v.dir}`),
          },
        }));
      setRecorded([written]);
      const sealed = await api.invoke('custody:record', {
        type: 'sealed',
        bundleId: write.bundleId,
        details: { seals: sealList, serials: serials.map((s) => s.trim()) },
      });
      setRecorded([written, sealed]);
    });
  };

  return (
    <form className="panel form serial-seal" onSubmit={submit} data-testid="serial-seal">
      <h2>Record serials and seals</h2>
      <p className="muted">
        Write down the serial printed on each medium and the number of every seal you put on it. Both go into the custody log, signed
        by you, and the offline side checks them on receipt.
      </p>
      <DataTable columns={['Volume', 'Target', 'Serial on the medium']}>
        {write.volumes.map((v, i) => (
          <tr key={v.volumeId}>
            <td>
              {v.volume} of {v.count}
            </td>
            <td className="mono">{v.dir}</td>
            <td>
              <input
                aria-label={`Serial of volume ${v.volume}`}
                data-testid="serial-input"
                value={serials[i] ?? ''}
                disabled={done}
                onChange={(e) => setSerials((prev) => prev.map((s, j) => (j === i ? e.target.value : s)))}
                maxLength={200}
                spellCheck={false}
              />
            </td>
          </tr>
        ))}
      </DataTable>
      <div className="field field-wide">
        <label htmlFor="seal-numbers">Seal numbers</label>
        <input id="seal-numbers" data-testid="seal-input" value={sealText} onChange={(e) => setSealText(e.target.value)} disabled={done} spellCheck={false} />
        <div className="field-hint">Separated by commas or spaces.{sealList.length > 0 && ` ${sealList.length} seal(s): ${sealList.join(', ')}`}</div>
      </div>
      {!done && (
        <div className="form-actions">
          <ActingOnly to="record serials and seals">
            <button className="btn btn-primary" type="submit" disabled={busy || missing >= 0 || sealList.length === 0} data-testid="serial-seal-submit">
              {busy ? 'Recording…' : 'Record serials and seals'}
            </button>
          </ActingOnly>
          {missing >= 0 && <span className="muted">Enter the serial of volume {write.volumes[missing]?.volume}.</span>}
        </div>
      )}
      {error !== null && <ErrorBox error={toShape(error)} title="Could not record" testId="serial-seal-error" />}
      {recorded.length > 0 && (
        <ul className="recorded-events" data-testid="serial-seal-recorded">
          {recorded.map((e) => (
            <li key={e.seq} data-testid="recorded-event" data-type={e.type}>
              <div>
                <code className="event-type">{e.type}</code> <span className="muted">#{e.seq}</span> <SignedMark e={e} />
              </div>
              <Fields details={e.details} />
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
