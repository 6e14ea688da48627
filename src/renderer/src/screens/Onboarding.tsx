import { useEffect, useState, type FormEvent } from 'react';
import type { OnboardingStatus, SetupResult } from '../../../shared/api-onboarding';
import { api } from '../api/client';
import { ErrorBox, toShape } from '../components/ErrorBox';
import { Field } from '../components/Field';
import { EMPTY_PAIR, pairReady, PassphraseFields, type PassphrasePair } from '../components/settings/PassphraseFields';
import '../components/settings/settings.css';
import { loadAppInfo, useApp } from '../state/app';
import { useSession } from '../state/session';
import { useAction } from '../state/useAction';

const SKIP_KEY = 'ferry.onboarding.skipped';

/** Whether to show first-launch setup instead of the app: a brand-new station, not skipped in this tab. */
export function useOnboardingGate(): { show: boolean; done: () => void; skip: () => void; status: OnboardingStatus | null } {
  const [status, setStatus] = useState<OnboardingStatus | null>(null);
  const [closed, setClosed] = useState(() => sessionStorage.getItem(SKIP_KEY) === '1');
  useEffect(() => {
    api.invoke('onboarding:status', {}).then(setStatus, () => setStatus(null));
  }, []);
  return {
    show: Boolean(status?.needsSetup) && !closed,
    status,
    done: () => setClosed(true),
    skip: () => {
      sessionStorage.setItem(SKIP_KEY, '1');
      setClosed(true);
    },
  };
}

/** First launch: name the station, say where it is, create its first identity (an admin), sign it in. */
export function Onboarding({ onDone, onSkip }: { onDone: () => void; onSkip: () => void }) {
  const [stationName, setStationName] = useState('');
  const [location, setLocation] = useState('');
  const [name, setName] = useState('');
  const [pair, setPair] = useState<PassphrasePair>(EMPTY_PAIR);
  const { busy, error, run } = useAction();
  const [result, setResult] = useState<{ setup: SetupResult; signedIn: boolean } | null>(null);
  const context = [name, stationName];
  const ready = !busy && stationName.trim() !== '' && name.trim() !== '' && pairReady(pair, context);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!ready) return;
    await run(async () => {
      const setup = await api.invoke('onboarding:setup', { stationName: stationName.trim(), ...(location.trim() ? { location: location.trim() } : {}), name: name.trim(), passphrase: pair.first });
      let signedIn = false;
      try {
        useSession.getState().set(await api.invoke('identity:login', { name: setup.identity.name, passphrase: pair.first }));
        signedIn = true;
      } catch {
        // Set up but not signed in: the done panel says to sign in (top right).
      }
      setPair(EMPTY_PAIR);
      setResult({ setup, signedIn });
      void loadAppInfo();
    });
  };

  if (result) {
    const { identity, station } = result.setup;
    return (
      <div className="onboarding">
        <div className="onboarding-card">
          <div className="brand brand-large">Ferry</div>
          <section className="panel" data-testid="onboarding-done" role="status">
            <h1>Station {station.name} is set up</h1>
            <p>
              {result.signedIn ? (
                <>
                  You are signed in as <strong data-testid="onboarding-signed-in">{identity.name}</strong> (admin).
                </>
              ) : (
                <>
                  <strong>{identity.name}</strong> (admin) was created. Sign in with it: <em>Log in</em>, top right.
                </>
              )}
            </p>
            <p className="muted">The fingerprint of your signing key, to read aloud when another station pins it:</p>
            <div className="fingerprint-readout" data-testid="onboarding-fingerprint">
              {identity.display}
            </div>
            <h3>Next</h3>
            <ol className="onboarding-steps">
              <li>In Settings, create an identity for each person: operators create bundles, reviewers approve them, auditors read.</li>
              <li>Choose the approval policy (one or two reviewers per bundle).</li>
              <li>On the offline station, pin the reviewers' public keys (Trusted keys), after comparing fingerprints.</li>
            </ol>
            <div className="form-actions">
              <button
                type="button"
                className="btn btn-primary"
                data-testid="onboarding-to-settings"
                onClick={() => {
                  useApp.getState().go('settings');
                  onDone();
                }}
              >
                Open Settings
              </button>
              <button type="button" className="btn" data-testid="onboarding-close" onClick={onDone}>
                Continue to the app
              </button>
            </div>
          </section>
        </div>
      </div>
    );
  }

  return (
    <div className="onboarding" data-testid="onboarding">
      <form className="onboarding-card" onSubmit={submit} noValidate aria-labelledby="onboarding-title">
        <div className="brand brand-large">Ferry</div>
        <header className="screen-head">
          <h1 id="onboarding-title">Set up this station</h1>
          <p className="lede">
            Every action in Ferry is recorded under a named identity and this station's name, in a signed chain of custody. Name the station and create its first
            identity to begin.
          </p>
        </header>
        <fieldset>
          <legend>Station</legend>
          <div className="form-grid">
            <Field label="Station name" htmlFor="onboarding-station" hint="Shown on every custody record, e.g. transfer-station-1 or offline-gpu-1.">
              <input id="onboarding-station" data-testid="onboarding-station" required spellCheck={false} value={stationName} onChange={(e) => setStationName(e.target.value)} />
            </Field>
            <Field label="Location (optional)" htmlFor="onboarding-location" hint="Where the station is: site, building, room.">
              <input id="onboarding-location" data-testid="onboarding-location" value={location} onChange={(e) => setLocation(e.target.value)} />
            </Field>
          </div>
        </fieldset>
        <fieldset>
          <legend>First identity</legend>
          <div className="form-grid">
            <Field label="Your name" htmlFor="onboarding-name" hint='Letters, digits, ".", "_", "-" or "@", e.g. ada or ada.lovelace.'>
              <input id="onboarding-name" data-testid="onboarding-name" required spellCheck={false} autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <div className="field">
              <span className="field-label-static">Role</span>
              <div className="role-fact" data-testid="onboarding-role">
                <span className="badge badge-info">admin</span>
              </div>
              <div className="field-hint">
                The first identity is always an admin: only an admin creates further identities, pins keys and sets the approval policy. Afterwards, create an
                identity for each person who creates or reviews bundles: the two-person rule needs a creator and a different approver.
              </div>
            </div>
          </div>
          <PassphraseFields id="onboarding" value={pair} onChange={setPair} context={context} who={name.trim() || 'this identity'} />
        </fieldset>
        {error != null && <ErrorBox title="The station was not set up" error={toShape(error)} testId="onboarding-error" />}
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" data-testid="onboarding-submit" disabled={!ready}>
            {busy ? 'Creating the key…' : 'Set up station'}
          </button>
          <button type="button" className="btn" data-testid="onboarding-skip" onClick={onSkip} title="Reading (logs, reports) needs no identity">
            Not now: only look around
          </button>
        </div>
        <p className="muted small">Nothing can be created, approved or imported until the station has an identity.</p>
      </form>
    </div>
  );
}
