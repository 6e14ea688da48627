// The guided install wizard: the form draft, what Inspect found, the planned install and the
// job running its steps. Kept across navigation; which install is open survives a reload (its id
// in this tab's session storage; the install itself is re-read from the service). The registry
// password lives only here, in memory: it is never persisted, never put in the draft, and gone
// when the page closes.
import { create } from 'zustand';
import type { InstallInspectView, InstallRequest, InstallView } from '../../../shared/api-install';
import { api } from '../api/client';
import { lines } from './drafts';

export interface InstallDraft {
  source: 'volumes' | 'dir';
  volumes: string;
  dir: string;
  /** false: load the images into the engine instead of pushing them. */
  useRegistry: boolean;
  registry: string;
  caFile: string;
  username: string;
  insecure: boolean;
  modelsDir: string;
  dockerHost: string;
  gpu: 'require' | 'none';
  gitlabCaFile: string;
  egressOutside: string;
  egressInternal: string;
  healthTimeout: string;
  /** agent-config.yml: setup_script commands and cache paths / key files, one per line. */
  setupScript: string;
  cachePaths: string;
  cacheKeyFiles: string;
  params: Record<string, string | boolean>;
}

const EMPTY: InstallDraft = {
  source: 'volumes',
  volumes: '',
  dir: '',
  useRegistry: true,
  registry: '',
  caFile: '',
  username: '',
  insecure: false,
  modelsDir: '',
  dockerHost: '',
  gpu: 'require',
  gitlabCaFile: '',
  egressOutside: '',
  egressInternal: '',
  healthTimeout: '',
  setupScript: '',
  cachePaths: '',
  cacheKeyFiles: '',
  params: {},
};

interface InstallStore {
  draft: InstallDraft;
  password: string;
  inspect: InstallInspectView | null;
  /** The source the inspection was made for; a changed source needs a new inspection. */
  inspectedKey: string | null;
  install: InstallView | null;
  /** The run or undo job the step list follows. */
  jobId: string | null;
  setDraft(p: Partial<InstallDraft>): void;
  setParam(name: string, value: string | boolean): void;
  setPassword(password: string): void;
  setInspect(view: InstallInspectView, key: string): void;
  setInstall(view: InstallView | null): void;
  setJob(jobId: string | null): void;
}

export const useInstall = create<InstallStore>((set) => ({
  draft: EMPTY,
  password: '',
  inspect: null,
  inspectedKey: null,
  install: null,
  jobId: null,
  setDraft: (p) => set((s) => ({ draft: { ...s.draft, ...p } })),
  setParam: (name, value) => set((s) => ({ draft: { ...s.draft, params: { ...s.draft.params, [name]: value } } })),
  setPassword: (password) => set({ password }),
  setInspect: (view, key) =>
    set((s) => {
      // Prefill parameters from the bundle's defaults; keep what the admin already typed.
      const params: Record<string, string | boolean> = {};
      for (const p of view.parameters) {
        const typed = s.draft.params[p.name];
        params[p.name] = typed ?? p.value ?? (p.type === 'bool' ? false : p.type === 'enum' ? (p.choices?.[0] ?? '') : '');
      }
      return { inspect: view, inspectedKey: key, draft: { ...s.draft, params } };
    }),
  setInstall: (install) => {
    rememberOpen(install?.installId ?? null);
    set({ install });
  },
  setJob: (jobId) => set({ jobId }),
}));

const OPEN_KEY = 'ferry.install.open';

function rememberOpen(installId: string | null): void {
  try {
    if (installId) sessionStorage.setItem(OPEN_KEY, installId);
    else sessionStorage.removeItem(OPEN_KEY);
  } catch {
    // Storage unavailable (private mode): the list still offers the install after a reload.
  }
}

/** Opens an install (from the list): its steps show at the top; the job it follows is cleared. */
export function openInstall(view: InstallView): void {
  useInstall.getState().setInstall(view);
  useInstall.setState({ jobId: null });
}

/** Closes the open install (back to the list and a new install's form). */
export function closeInstall(): void {
  useInstall.getState().setInstall(null);
  useInstall.setState({ jobId: null });
}

/** After a reload: re-opens the install this tab had open, if the service still has it. */
export async function restoreOpenInstall(): Promise<void> {
  let id: string | null = null;
  try {
    id = sessionStorage.getItem(OPEN_KEY);
  } catch {
    return;
  }
  if (!id || useInstall.getState().install) return;
  try {
    const view = await api.invoke('install:get', { installId: id });
    if (!useInstall.getState().install) openInstall(view);
  } catch {
    rememberOpen(null); // removed meanwhile, or another station's data dir
  }
}

/**
 * GitLab recipes (GitLab Duo) take a GitLab CA and flow-execution settings (agent-config.yml);
 * other recipes (plain vLLM, Ollama, …) have neither, so their form leaves them out.
 */
export function isGitLabRecipe(view: (Pick<InstallInspectView, 'recipe' | 'parameters'> & { gitlab?: boolean }) | null): boolean {
  if (!view) return false;
  if (view.gitlab !== undefined) return view.gitlab; // the server's answer, from the bundle (install:inspect)
  return view.recipe.id.startsWith('gitlab-') || view.parameters.some((p) => p.name === 'gitlab_domain');
}

/** A planned install nothing has run on yet (or everything was undone): it can be removed. */
export function isRemovable(view: InstallView): boolean {
  return view.steps.every((s) => s.state === 'pending' || s.state === 'undone');
}

export type InstallStatus = 'planned' | 'running' | 'failed' | 'partly done' | 'done';

/** One word for an install's state, from its steps. */
export function installStatus(view: InstallView): InstallStatus {
  const states = view.steps.map((s) => s.state);
  if (states.includes('running')) return 'running';
  if (states.includes('failed')) return 'failed';
  if (states.every((s) => s === 'done' || s === 'skipped')) return 'done';
  if (states.every((s) => s === 'pending' || s === 'undone')) return 'planned';
  return 'partly done';
}

/** The source as the API takes it, and a key that changes whenever the source does. */
export function sourceOf(d: InstallDraft): { arg: { dir?: string; volumes?: string[] }; key: string } {
  if (d.source === 'dir') return { arg: d.dir.trim() ? { dir: d.dir.trim() } : {}, key: `dir:${d.dir.trim()}` };
  const volumes = lines(d.volumes);
  return { arg: volumes.length ? { volumes } : {}, key: `volumes:${volumes.join('\n')}` };
}

/** Parameters that are required and still empty (names). */
export function missingParams(view: InstallInspectView | null, params: Record<string, string | boolean>): string[] {
  if (!view) return [];
  return view.parameters.filter((p) => p.required && p.type !== 'bool' && String(params[p.name] ?? '').trim() === '').map((p) => p.name);
}

/** Builds the plan request from the draft; empty fields are left out. */
export function planRequest(d: InstallDraft, password: string, view: InstallInspectView | null): InstallRequest {
  const t = (v: string): string | undefined => v.trim() || undefined;
  const params: Record<string, string | boolean> = {};
  for (const p of view?.parameters ?? []) {
    const v = d.params[p.name];
    if (typeof v === 'boolean') params[p.name] = v;
    else if (v !== undefined && v.trim() !== '') params[p.name] = v.trim();
  }
  const registry = d.useRegistry ? t(d.registry) : undefined;
  const timeout = Number(d.healthTimeout.trim());
  const req: InstallRequest = {
    ...sourceOf(d).arg,
    modelsDir: d.modelsDir.trim(),
    gpu: d.gpu,
    egress: { outside: lines(d.egressOutside), ...(lines(d.egressInternal).length ? { internal: lines(d.egressInternal) } : {}) },
    ...(Object.keys(params).length ? { params } : {}),
  };
  if (registry) {
    req.registry = registry;
    if (t(d.caFile)) req.caFile = t(d.caFile);
    if (t(d.username)) req.username = t(d.username);
    if (password) req.password = password;
    if (d.insecure) req.insecureRegistries = [registry.split('/')[0]!];
  }
  if (t(d.dockerHost)) req.dockerHost = t(d.dockerHost);
  const gitlab = isGitLabRecipe(view);
  if (gitlab && t(d.gitlabCaFile)) req.gitlabCaFile = t(d.gitlabCaFile);
  if (d.healthTimeout.trim() && Number.isInteger(timeout) && timeout > 0) req.healthTimeout = timeout;
  const setupScript = lines(d.setupScript);
  const paths = lines(d.cachePaths);
  const files = lines(d.cacheKeyFiles);
  if (gitlab && (setupScript.length || paths.length)) {
    req.agentConfig = { ...(setupScript.length ? { setupScript } : {}), ...(paths.length ? { cache: { paths, ...(files.length ? { key: { files } } : {}) } } : {}) };
  }
  return req;
}

/** Re-reads the install (after a step ran, or when a custody event says one did). */
export async function refreshInstall(installId: string): Promise<void> {
  const view = await api.invoke('install:get', { installId });
  if (useInstall.getState().install?.installId === installId) useInstall.getState().setInstall(view);
}
