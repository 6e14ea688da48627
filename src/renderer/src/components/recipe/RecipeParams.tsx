import type { RecipeInfo } from '../../../../shared/api';
import { acquireParams, paramProblem, paramValue } from '../../state/recipe';

/** The recipe's acquire parameters, defaults prefilled; a value the recipe would refuse is flagged where it is typed. */
export function RecipeParams({ recipe, values, onChange }: { recipe: RecipeInfo; values: Record<string, string> | undefined; onChange: (name: string, value: string) => void }) {
  const params = acquireParams(recipe);
  if (params.length === 0) return <div className="muted">This recipe takes no parameters.</div>;
  return (
    <div className="form-grid form-grid-3 recipe-params" data-testid="recipe-params">
      {params.map((p) => {
        const id = `param-${p.name}`;
        const value = paramValue(p, values);
        const problem = paramProblem(p, value);
        const changed = p.default !== undefined && String(p.default) !== value;
        const common = { id, 'data-testid': id, 'aria-invalid': problem ? true : undefined };
        return (
          <div key={p.name} className={`field${problem ? ' field-invalid' : ''}`}>
            <label htmlFor={id}>{p.name}</label>
            {p.type === 'bool' ? (
              <select {...common} value={value} onChange={(e) => onChange(p.name, e.target.value)}>
                <option value="true">true</option>
                <option value="false">false</option>
              </select>
            ) : p.type === 'enum' ? (
              <select {...common} value={value} onChange={(e) => onChange(p.name, e.target.value)}>
                {!p.choices?.includes(value) && <option value={value}>{value || '—'}</option>}
                {(p.choices ?? []).map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            ) : (
              <input {...common} spellCheck={false} value={value} onChange={(e) => onChange(p.name, e.target.value)} />
            )}
            {problem ? (
              <div className="field-hint text-bad" data-testid={`${id}-problem`}>
                {problem}
              </div>
            ) : (
              (p.description || changed) && (
                <div className="field-hint">
                  {p.description}
                  {changed && `${p.description ? ' · ' : ''}default ${String(p.default)}`}
                </div>
              )
            )}
          </div>
        );
      })}
    </div>
  );
}
