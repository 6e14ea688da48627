import type { InstallParameterView } from '../../../../shared/api-install';
import { useInstall } from '../../state/install';
import { Field } from '../Field';

function label(p: InstallParameterView): string {
  return p.required ? `${p.name} (required)` : p.name;
}

function Param({ p, value }: { p: InstallParameterView; value: string | boolean | undefined }) {
  const set = useInstall((s) => s.setParam);
  const id = `install-param-${p.name}`;
  if (p.type === 'bool') {
    return (
      <div className="field field-check">
        <label>
          <input type="checkbox" id={id} data-testid={id} checked={value === true} onChange={(e) => set(p.name, e.target.checked)} />
          {p.name}
        </label>
        {p.description && <div className="field-hint">{p.description}</div>}
      </div>
    );
  }
  const text = typeof value === 'string' ? value : '';
  const empty = p.required && text.trim() === '';
  if (p.type === 'enum') {
    return (
      <Field label={label(p)} htmlFor={id} hint={p.description}>
        <select id={id} data-testid={id} value={text} aria-required={p.required} onChange={(e) => set(p.name, e.target.value)}>
          {!p.required && <option value="">(default)</option>}
          {(p.choices ?? []).map((c) => (
            <option key={c}>{c}</option>
          ))}
        </select>
      </Field>
    );
  }
  return (
    <Field label={label(p)} htmlFor={id} hint={empty ? <span className="text-bad">Required: the install cannot be planned without it.{p.description ? ` ${p.description}` : ''}</span> : p.description}>
      <input id={id} data-testid={id} spellCheck={false} value={text} aria-required={p.required} aria-invalid={empty || undefined} onChange={(e) => set(p.name, e.target.value)} />
    </Field>
  );
}

/** The recipe's install-stage parameters (e.g. gitlab_domain), required ones marked. */
export function InstallParams({ parameters }: { parameters: InstallParameterView[] }) {
  const values = useInstall((s) => s.draft.params);
  if (parameters.length === 0) return <p className="muted">This recipe has no install parameters.</p>;
  return (
    <div className="form-grid" data-testid="install-params">
      {parameters.map((p) => (
        <Param key={p.name} p={p} value={values[p.name]} />
      ))}
    </div>
  );
}
