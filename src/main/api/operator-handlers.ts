import { lstat } from 'node:fs/promises';
import type { RecentBundle } from '../../shared/channels/operator';
import { UsageError } from '../../shared/errors';
import { formatBytes } from '../../shared/format';
import { RERUN_CHANNEL } from '../../shared/job-rerun';
import type { Services } from '../core/services';
import { browse } from '../io/browse';
import { newestFirst, reviewQueue } from '../review/queue';
import { actingIfAny } from './call-context';
import type { Handlers } from './handlers';

// The operator's helpers: the headless folder browser (io/browse.ts), the bundles this station
// made, and running a canceled or failed job again as the caller (it resumes from what is on disk).

/** Stored with a job but not part of its request: who started it. */
const NOT_REQUEST = ['by'];

const DEFAULT_RECENT = 10;

export function operatorHandlers(s: Services): Pick<Handlers, 'fs:browse' | 'bundle:recent' | 'job:rerun'> {
  // job:rerun calls the channel the job was started through, validated as any request is; the
  // handler set is made on first use (handlers.ts loads this family lazily, so no import cycle at load).
  let handlers: Promise<{ all: Handlers; dispatch: typeof import('./handlers').dispatch }> | undefined;
  const allHandlers = () => (handlers ??= import('./handlers').then((m) => ({ all: m.createHandlers(s), dispatch: m.dispatch })));

  return {
    'fs:browse': async (req) => browse(req),
    'bundle:recent': async ({ limit }) => recentBundles(s, limit ?? DEFAULT_RECENT),
    'job:rerun': async ({ id }, ctx) => {
      actingIfAny(ctx);
      const job = s.jobs.request(id);
      if (job.state === 'running') throw new UsageError(`Job ${id} is still running.`, 'Wait for it to finish, or cancel it first.');
      if (job.state === 'succeeded') throw new UsageError(`Job ${id} already succeeded; there is nothing to resume.`, 'Start a new job from its screen to do it again.');
      const channel = RERUN_CHANNEL[job.kind];
      if (!channel) {
        throw new UsageError(
          `A ${job.kind} job cannot be run again from here.`,
          job.kind === 'install.run' || job.kind === 'upgrade.run' ? 'Open the install and run its remaining steps there.' : 'Start it again from its screen.',
        );
      }
      const request = Object.fromEntries(Object.entries(job.params).filter(([k]) => !NOT_REQUEST.includes(k)));
      const { all, dispatch } = await allHandlers();
      try {
        return (await dispatch(all, channel, request, ctx)) as Awaited<ReturnType<Handlers['job:rerun']>>;
      } catch (err) {
        if (err instanceof UsageError && err.message.startsWith(`${channel}: field`)) {
          throw new UsageError(`Job ${id} cannot be run again: its stored request does not fit ${channel} (${err.message.slice(channel.length + 2)}).`, 'It was probably started from the command line; run it again there, or start it anew from its screen.');
        }
        throw err;
      }
    },
  };
}

/** The bundles this station created, newest first, one per folder, only those whose folder is still there. */
async function recentBundles(s: Services, limit: number): Promise<RecentBundle[]> {
  const queue = reviewQueue(s.custody.list({ limit: 10_000 })).sort(newestFirst);
  const out: RecentBundle[] = [];
  const seen = new Set<string>();
  for (const q of queue) {
    if (out.length >= limit) break;
    if (seen.has(q.dir)) continue;
    seen.add(q.dir);
    const st = await lstat(q.dir).catch(() => null);
    if (!st?.isDirectory()) continue;
    out.push({ dir: q.dir, bundleId: q.bundleId, createdAt: q.createdAt, title: `by ${q.createdBy}, ${formatBytes(q.bytes)}`, state: q.status });
  }
  return out;
}
