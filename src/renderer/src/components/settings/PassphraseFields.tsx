import { passphraseStrength } from '../../../../shared/passphrase-strength';
import { Field } from '../Field';
import './settings.css';

export interface PassphrasePair {
  first: string;
  second: string;
}

export const EMPTY_PAIR: PassphrasePair = { first: '', second: '' };

/** Whether the pair may be submitted: accepted by the same rating the service applies, and typed the same twice. */
export function pairReady(p: PassphrasePair, context: readonly string[]): boolean {
  return passphraseStrength(p.first, context).acceptable && p.first === p.second;
}

/** A new passphrase, typed twice, with a live strength hint (src/shared/passphrase-strength.ts). */
export function PassphraseFields({ id, value, onChange, context, who }: { id: string; value: PassphrasePair; onChange: (p: PassphrasePair) => void; context: readonly string[]; who: string }) {
  const s = passphraseStrength(value.first, context);
  const mismatch = value.second !== '' && value.second !== value.first;
  return (
    <div className="form-grid">
      <Field
        label="Passphrase"
        htmlFor={`${id}-passphrase`}
        hint={
          value.first === '' ? (
            `Protects the signing key of ${who}. At least 10 characters; a few unrelated words work well. It cannot be recovered if forgotten.`
          ) : (
            <div className={`strength strength-${s.level}`} data-testid={`${id}-strength`} data-level={s.level} aria-live="polite">
              <div className="strength-bar" aria-hidden="true">
                <span />
                <span />
                <span />
                <span />
              </div>
              <span className="strength-summary">{s.summary}</span>
              {s.advice.length > 0 && (
                <ul>
                  {s.advice.map((a) => (
                    <li key={a}>{a}</li>
                  ))}
                </ul>
              )}
            </div>
          )
        }
      >
        <input
          id={`${id}-passphrase`}
          data-testid={`${id}-passphrase`}
          type="password"
          autoComplete="new-password"
          aria-invalid={value.first !== '' && !s.acceptable}
          value={value.first}
          onChange={(e) => onChange({ ...value, first: e.target.value })}
        />
      </Field>
      <Field label="Passphrase again" htmlFor={`${id}-passphrase2`} hint={mismatch ? <span className="text-bad">The two passphrases differ: type the same one again.</span> : 'Typed a second time, to catch a typo.'}>
        <input
          id={`${id}-passphrase2`}
          data-testid={`${id}-passphrase2`}
          type="password"
          autoComplete="new-password"
          aria-invalid={mismatch}
          value={value.second}
          onChange={(e) => onChange({ ...value, second: e.target.value })}
        />
      </Field>
    </div>
  );
}
