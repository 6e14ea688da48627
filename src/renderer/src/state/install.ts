// The guided install wizard: the form draft, what Inspect found, the planned install and the
// job running its steps. Kept across navigation. The registry password lives only here, in
// memory: it is never persisted, never put in the draft, and gone when the page closes.
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
  setInstall: (install) => set({ install }),
  setJob: (jobId) => set({ jobId }),
}));

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
  if (t(d.gitlabCaFile)) req.gitlabCaFile = t(d.gitlabCaFile);
  if (d.healthTimeout.trim() && Number.isInteger(timeout) && timeout > 0) req.healthTimeout = timeout;
  const setupScript = lines(d.setupScript);
  const paths = lines(d.cachePaths);
  const files = lines(d.cacheKeyFiles);
  if (setupScript.length || paths.length) {
    req.agentConfig = { ...(setupScript.length ? { setupScript } : {}), ...(paths.length ? { cache: { paths, ...(files.length ? { key: { files } } : {}) } } : {}) };
  }
  return req;
}

/** Re-reads the install (after a step ran, or when a custody event says one did). */
export async function refreshInstall(installId: string): Promise<void> {
  const view = await api.invoke('install:get', { installId });
  if (useInstall.getState().install?.installId === installId) useInstall.getState().setInstall(view);
}
