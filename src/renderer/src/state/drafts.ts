// What each screen was doing, kept across navigation: form drafts and the job it follows.
// Passwords are deliberately not kept here.
import { create } from 'zustand';

export interface CreateDraft {
  images: string;
  models: string;
  hubUrl: string | null; // null = use the station default from app:info
  platform: string | null;
  outDir: string;
  jobId: string | null;
}

export interface VerifyDraft {
  dir: string;
  jobId: string | null;
  /** The directory the current verify job was started on. */
  jobDir: string | null;
}

export interface ImportDraft {
  registry: string;
  caFile: string;
  username: string;
  docker: boolean;
  modelsDir: string;
  jobId: string | null;
}

export interface MediaDraft {
  dir: string;
  targets: string;
  volumes: string;
  writeJobId: string | null;
  verifyJobId: string | null;
}

interface DraftsStore {
  create: CreateDraft;
  verify: VerifyDraft;
  import: ImportDraft;
  media: MediaDraft;
  setCreate(p: Partial<CreateDraft>): void;
  setVerify(p: Partial<VerifyDraft>): void;
  setImport(p: Partial<ImportDraft>): void;
  setMedia(p: Partial<MediaDraft>): void;
}

export const useDrafts = create<DraftsStore>((set) => ({
  create: { images: '', models: '', hubUrl: null, platform: null, outDir: '', jobId: null },
  verify: { dir: '', jobId: null, jobDir: null },
  import: { registry: '', caFile: '', username: '', docker: false, modelsDir: '', jobId: null },
  setCreate: (p) => set((s) => ({ create: { ...s.create, ...p } })),
  setVerify: (p) => set((s) => ({ verify: { ...s.verify, ...p } })),
  setImport: (p) => set((s) => ({ import: { ...s.import, ...p } })),
  media: { dir: '', targets: '', volumes: '', writeJobId: null, verifyJobId: null },
  setMedia: (p) => set((s) => ({ media: { ...s.media, ...p } })),
}));

/** Non-empty, trimmed lines; `#` starts a comment. */
export function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter(Boolean);
}
