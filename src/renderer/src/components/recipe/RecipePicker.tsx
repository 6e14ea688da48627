import type { RecipeInfo } from '../../../../shared/api';
import { Badge } from '../Badge';

/** Built-in and user recipes as a choice list: title, id, version, where it comes from, what it is. */
export function RecipePicker({ recipes, selected, onSelect }: { recipes: RecipeInfo[]; selected: string | null; onSelect: (id: string) => void }) {
  if (recipes.length === 0) return <div className="muted">No recipes found. Add YAML files to the station's recipes folder.</div>;
  return (
    <div className="recipe-list" role="radiogroup" aria-label="Recipe" data-testid="recipe-list">
      {recipes.map((r) => (
        <label key={r.id} className={`recipe-card${selected === r.id ? ' active' : ''}`} data-testid="recipe-option" data-recipe-id={r.id}>
          <input type="radio" name="recipe" value={r.id} checked={selected === r.id} onChange={() => onSelect(r.id)} />
          <span className="recipe-card-body">
            <span className="recipe-card-head">
              <span className="recipe-title">{r.title}</span>
              <Badge state={r.origin === 'user' ? 'running' : 'neutral'}>{r.origin === 'user' ? 'user' : 'built-in'}</Badge>
            </span>
            <span className="recipe-meta mono">
              {r.id} · {r.version}
            </span>
            {r.description && <span className="recipe-desc">{r.description.trim()}</span>}
          </span>
        </label>
      ))}
    </div>
  );
}
