import { useEffect, useState, type FormEvent } from 'react';
import { FolderPicker } from '../FolderPicker';
import { useShallow } from 'zustand/react/shallow';
import { api } from '../../api/client';
import { useApp } from '../../state/app';
import { useDrafts } from '../../state/drafts';
import { useJob, useJobs } from '../../state/jobs';
import { acquireParams, loadRecipes, paramProblem, paramsFor, previewKeyOf, resolvePreview, useRecipe } from '../../state/recipe';
import { ErrorBox, toShape } from '../ErrorBox';
import { Field } from '../Field';
import { LockPreview } from './LockPreview';
import { RecipeParams } from './RecipeParams';
import { RecipePicker } from './RecipePicker';
import { useAction } from '../../state/useAction';

/** Mirrors saved in Settings apply to resolve and create from here; say so. */
function MirrorsNote() {
  const go = useApp((s) => s.go);
  const [mirrors, setMirrors] = useState<string[] | null>(null);
  useEffect(() => {
    api.invoke('settings:get', {}).then((s) => setMirrors(s.mirrors), () => setMirrors(null));
  }, []);
  if (!mirrors) return null;
  return (
    <div className="muted small" data-testid="recipe-mirrors">
      {mirrors.length ? `Registry mirrors: ${mirrors.join(', ')}` : 'No registry mirrors: images come from their source registries.'}{' '}
      <button type="button" className="btn-link" onClick={() => go('settings')}>
        Settings
      </button>
    </div>
  );
}

/** Pick a recipe, fill its parameters, resolve to a lock preview, then create the bundle from it. */
export function RecipeForm() {
  const info = useApp((s) => s.info);
  const d = useDrafts(useShallow((s) => s.create));
  const setD = useDrafts((s) => s.setCreate);
  const job = useJob(d.jobId);
  const r = useRecipe(useShallow((s) => ({ recipes: s.recipes, loadError: s.loadError, selected: s.selected, values: s.values, preview: s.preview, previewKey: s.previewKey, resolving: s.resolving, resolveError: s.resolveError })));
  const { select, setValue } = useRecipe(useShallow((s) => ({ select: s.select, setValue: s.setValue })));
  const { busy: submitting, error, run } = useAction();
  useEffect(() => {
    if (!useRecipe.getState().recipes) void loadRecipes();
  }, []);

  const hubUrl = (d.hubUrl ?? info?.defaultHubUrl ?? '').trim();
  const platform = (d.platform ?? info?.defaultPlatform ?? 'linux/amd64').trim();
  const recipe = r.recipes?.find((x) => x.id === r.selected);
  const params = recipe ? paramsFor(recipe, r.values[recipe.id]) : {};
  const invalid = recipe ? acquireParams(recipe).filter((p) => paramProblem(p, params[p.name] ?? '') !== null) : [];
  const args = recipe ? { recipe: recipe.id, params, ...(hubUrl ? { hubUrl } : {}), ...(platform ? { platform } : {}) } : null;
  const current = args ? previewKeyOf(args) : null;
  const preview = r.preview;
  const stale = preview !== null && r.previewKey !== current;
  const running = job?.state === 'running';
  const canResolve = args !== null && invalid.length === 0 && !r.resolving;
  const canCreate = args !== null && preview !== null && !stale && d.outDir.trim() !== '' && !submitting && !running;

  const resolve = async (e: FormEvent) => {
    e.preventDefault();
    if (canResolve && args) await resolvePreview(args);
  };
  const createBundle = async () => {
    if (!canCreate || !args) return;
    await run(async () => {
      const created = await api.invoke('bundle:create', { images: [], models: [], outDir: d.outDir.trim(), ...args });
      useJobs.getState().seed(created);
      setD({ jobId: created.id });
    });
  };

  if (r.loadError != null) return <ErrorBox title="Could not list recipes" error={toShape(r.loadError)} testId="recipe-load-error" />;
  if (!r.recipes) return <div className="panel muted">Loading recipes…</div>;
  return (
    <>
      <form className="panel form" onSubmit={resolve} noValidate data-testid="recipe-form">
        <RecipePicker recipes={r.recipes} selected={r.selected} onSelect={select} />
        {recipe && (
          <>
            <h3>Parameters</h3>
            <RecipeParams recipe={recipe} values={r.values[recipe.id]} onChange={(name, value) => setValue(recipe.id, name, value)} />
          </>
        )}
        <h3>Sources and output</h3>
        <div className="form-grid form-grid-3">
          <Field label="Output directory" htmlFor="recipe-out-dir" hint="An empty or new directory. Run again with the same values to resume.">
            <FolderPicker id="recipe-out-dir" testId="recipe-out-dir" value={d.outDir} onChange={(v) => setD({ outDir: v })} placeholder="/media/transfer/bundle-2026-11-23" childName={`bundle-${new Date().toISOString().slice(0, 10)}`} />
          </Field>
          <Field label="Hub URL" htmlFor="recipe-hub-url">
            <input id="recipe-hub-url" data-testid="recipe-hub-url" spellCheck={false} value={d.hubUrl ?? info?.defaultHubUrl ?? ''} onChange={(e) => setD({ hubUrl: e.target.value })} />
          </Field>
          <Field label="Platform" htmlFor="recipe-platform">
            <input id="recipe-platform" data-testid="recipe-platform" spellCheck={false} value={d.platform ?? info?.defaultPlatform ?? 'linux/amd64'} onChange={(e) => setD({ platform: e.target.value })} />
          </Field>
        </div>
        <MirrorsNote />
        <div className="form-actions">
          <button type="submit" className="btn" data-testid="recipe-resolve" disabled={!canResolve}>
            {r.resolving ? 'Resolving…' : 'Resolve'}
          </button>
          <button type="button" className="btn btn-primary" data-testid="recipe-create" disabled={!canCreate} onClick={createBundle}>
            {submitting ? 'Starting…' : running ? 'Job running…' : 'Create bundle'}
          </button>
          <span className="muted">
            {invalid.length > 0
              ? `Fix ${invalid.map((p) => p.name).join(', ')} first`
              : !preview || stale
                ? 'Resolve first: the lock shows exactly what will be fetched.'
                : d.outDir.trim() === ''
                  ? 'Choose an output directory.'
                  : ''}
          </span>
        </div>
        {r.resolveError != null && <ErrorBox title="Could not resolve" error={toShape(r.resolveError)} testId="recipe-resolve-error" />}
        {error != null && <ErrorBox title="Could not start" error={toShape(error)} testId="create-error" />}
      </form>
      {preview && <LockPreview resolved={preview} stale={stale} />}
    </>
  );
}
