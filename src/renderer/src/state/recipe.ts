// The recipe picker on the Create bundle screen: which recipe, its parameter values, and the
// lock preview resolved for exactly those values. Kept across navigation like the drafts.
import { create } from 'zustand';
import type { RecipeInfo, RecipeParameterInfo, ResolvedRecipe } from '../../../shared/api';
import { api } from '../api/client';

export type CreateTab = 'recipe' | 'custom';

interface RecipeStore {
  tab: CreateTab;
  recipes: RecipeInfo[] | null;
  loadError: unknown;
  selected: string | null;
  /** Parameter values per recipe id, as typed (bools as 'true' / 'false'). */
  values: Record<string, Record<string, string>>;
  preview: ResolvedRecipe | null;
  /** The request the preview was resolved for; a different one makes it stale. */
  previewKey: string | null;
  resolving: boolean;
  resolveError: unknown;
  setTab(tab: CreateTab): void;
  select(id: string): void;
  setValue(id: string, name: string, value: string): void;
}

export const useRecipe = create<RecipeStore>((set) => ({
  tab: 'recipe',
  recipes: null,
  loadError: null,
  selected: null,
  values: {},
  preview: null,
  previewKey: null,
  resolving: false,
  resolveError: null,
  setTab: (tab) => set({ tab }),
  select: (selected) => set({ selected, resolveError: null }),
  setValue: (id, name, value) => set((s) => ({ values: { ...s.values, [id]: { ...s.values[id], [name]: value } }, resolveError: null })),
}));

/** Parameters an operator fills before resolving (install-stage ones are asked at install time). */
export function acquireParams(r: RecipeInfo): RecipeParameterInfo[] {
  return r.parameters.filter((p) => p.stage !== 'install');
}

/** The value shown for a parameter: what was typed, else its default. */
export function paramValue(p: RecipeParameterInfo, typed: Record<string, string> | undefined): string {
  const v = typed?.[p.name];
  if (v !== undefined) return v;
  return p.default === undefined ? '' : String(p.default);
}

/** Why a value is not acceptable, or null when it is (the service checks again). */
export function paramProblem(p: RecipeParameterInfo, value: string): string | null {
  if (p.type === 'bool') return value === 'true' || value === 'false' ? null : 'Choose true or false';
  if (value === '') return 'Needs a value';
  if (p.type === 'enum') return p.choices?.includes(value) ? null : `One of ${(p.choices ?? []).join(', ')}`;
  if (value.length > 1024 || /[\u0000-\u001f]/.test(value)) return 'Too long, or has a control character';
  if (p.pattern !== undefined) {
    try {
      if (!new RegExp(p.pattern).test(value)) return `Must match ${p.pattern}`;
    } catch {
      return null;
    }
  }
  return null;
}

/** Values to send for a recipe's acquire parameters. */
export function paramsFor(r: RecipeInfo, typed: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of acquireParams(r)) out[p.name] = paramValue(p, typed);
  return out;
}

export async function loadRecipes(): Promise<void> {
  try {
    const recipes = await api.invoke('recipe:list', {});
    useRecipe.setState((s) => ({ recipes, loadError: null, selected: s.selected ?? recipes[0]?.id ?? null }));
  } catch (err) {
    useRecipe.setState({ loadError: err });
  }
}

export interface ResolveArgs {
  recipe: string;
  params: Record<string, string>;
  hubUrl?: string;
  platform?: string;
}

export const previewKeyOf = (a: ResolveArgs): string => JSON.stringify([a.recipe, a.params, a.hubUrl ?? '', a.platform ?? '']);

/** Resolves to a lock (nothing big is fetched) and keeps it as the preview. */
export async function resolvePreview(a: ResolveArgs): Promise<void> {
  useRecipe.setState({ resolving: true, resolveError: null });
  try {
    const preview = await api.invoke('recipe:resolve', a);
    useRecipe.setState({ preview, previewKey: previewKeyOf(a), resolving: false });
  } catch (err) {
    useRecipe.setState({ preview: null, previewKey: null, resolveError: err, resolving: false });
  }
}
