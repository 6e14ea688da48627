import { useEffect, useState, type FormEvent } from 'react';
import type { StationView } from '../../../../shared/api-onboarding';
import { api } from '../../api/client';
import { loadAppInfo } from '../../state/app';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { AdminLock } from './AdminLock';
import { useAction } from '../../state/useAction';

/** The station's name and location, carried by every custody record. */
export function StationPanel({ station, mayAdminister, acting, onChange }: { station: StationView | undefined; mayAdminister: boolean; acting: { name: string; role: string } | null; onChange: () => void }) {
  const [name, setName] = useState('');
  const [location, setLocation] = useState('');
  const { busy, error, run } = useAction();
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setName(station?.name ?? '');
    setLocation(station?.location ?? '');
  }, [station?.name, station?.location]);
  const changed = station !== undefined && (name.trim() !== (station.name ?? '') || location.trim() !== (station.location ?? ''));
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    await run(async () => {
      await api.invoke('station:set', { name: name.trim(), location: location.trim() });
      setSaved(true);
      onChange();
      void loadAppInfo();
    });
  };
  return (
    <form className="panel form" onSubmit={save} noValidate data-testid="settings-station">
      <h2 className="panel-title">Station</h2>
      <p className="muted">
        Every custody record carries the station's name and location.
        {station?.fromEnvironment && (
          <>
            {' '}
            <strong>FERRY_STATION</strong> is set for this process, so records carry <code>{station.effective}</code> until it is unset.
          </>
        )}
      </p>
      {!mayAdminister && <AdminLock acting={acting} testId="settings-station-locked" />}
      <fieldset disabled={!mayAdminister || busy} className="plain-fieldset">
        <div className="form-grid">
          <Field label="Station name" htmlFor="settings-station-name" hint={station && !station.name ? `Not set: records carry ${station.effective}.` : undefined}>
            <input id="settings-station-name" data-testid="settings-station-name" spellCheck={false} value={name} onChange={(e) => (setName(e.target.value), setSaved(false))} />
          </Field>
          <Field label="Location" htmlFor="settings-station-location" hint="Site, building, room.">
            <input id="settings-station-location" data-testid="settings-station-location" value={location} onChange={(e) => (setLocation(e.target.value), setSaved(false))} />
          </Field>
        </div>
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="settings-station-save" disabled={!changed || busy}>
            {busy ? 'Saving…' : 'Save station'}
          </button>
          {saved && (
            <span className="text-good" role="status" data-testid="settings-station-saved">
              Saved; recorded in the custody log.
            </span>
          )}
        </div>
      </fieldset>
      {error != null && <ErrorBox title="The station was not changed" error={toShape(error)} testId="settings-station-error" />}
    </form>
  );
}
