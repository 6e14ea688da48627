// Jobs, fed by `job:update` events and re-synced with `job:list` whenever the event
// stream (re)connects.
import { create } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { JobInfo } from '../../../shared/api';
import { api } from '../api/client';

interface JobsStore {
  byId: Record<string, JobInfo>;
  /** Job ids updated by events since the last sync began; a sync must not roll them back. */
  touched: Set<string>;
  upsert(job: JobInfo): void;
  /** Add a job we were handed directly (e.g. by bundle:create) unless an event beat us to it. */
  seed(job: JobInfo): void;
  /** Merge a list snapshot, keeping anything newer that arrived by event meanwhile. */
  merge(jobs: JobInfo[], touched: Set<string>): void;
}

export const useJobs = create<JobsStore>((set) => ({
  byId: {},
  touched: new Set(),
  upsert: (job) =>
    set((s) => {
      s.touched.add(job.id);
      return { byId: { ...s.byId, [job.id]: job } };
    }),
  seed: (job) => set((s) => (s.byId[job.id] ? s : { byId: { ...s.byId, [job.id]: job } })),
  merge: (jobs, touched) =>
    set((s) => {
      const byId = { ...s.byId };
      for (const j of jobs) if (!touched.has(j.id) || !byId[j.id]) byId[j.id] = j;
      return { byId };
    }),
}));

export async function syncJobs(): Promise<void> {
  const touched = new Set<string>();
  useJobs.setState({ touched });
  const jobs = await api.invoke('job:list', {});
  useJobs.getState().merge(jobs, touched);
}

export function startJobsFeed(): () => void {
  return api.on('job:update', (job) => useJobs.getState().upsert(job));
}

/** One job by id (undefined until known). */
export function useJob(id: string | null | undefined): JobInfo | undefined {
  return useJobs((s) => (id ? s.byId[id] : undefined));
}

/** All jobs, newest first. */
export function useJobList(): JobInfo[] {
  return useJobs(
    useShallow((s) => Object.values(s.byId).sort((a, b) => b.createdAt.localeCompare(a.createdAt))),
  );
}

export function useRunningCount(): number {
  return useJobs((s) => Object.values(s.byId).filter((j) => j.state === 'running').length);
}
