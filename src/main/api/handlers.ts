import type { EventApi, EventChannel, InvokeApi, InvokeArg, InvokeChannel, InvokeResult } from '../../shared/api';
import { UsageError } from '../../shared/errors';
import { createBundle, DEFAULT_HUB_URL, DEFAULT_PLATFORM } from '../bundle/create';
import { importBundle } from '../bundle/import';
import { verifyBundle } from '../bundle/verify';
import type { Services } from '../core/services';
import { storedCredentials } from '../credentials/credential-store';
import { dockerFromEnv } from '../docker/docker-loader';
import { recipeHandlers } from '../recipes/recipe-handlers';
import { mediaHandlers } from '../media/media-handlers';
import { approvalGate } from '../review/gate';
import { effectiveMirrors } from '../settings/station-settings';
import { identityHandlers, trackActivity } from './identity-handlers';
import { installHandlers } from './install-handlers';
import { REQUEST_SCHEMAS } from './request-schemas';
import { reviewHandlers } from './review-handlers';
import { settingsHandlers } from './settings-handlers';

export type Handlers = { [C in InvokeChannel]: (arg: InvokeArg<C>) => Promise<InvokeResult<C>> };

/** The API as plain functions; Electron IPC and the headless HTTP server both carry these. */
export function createHandlers(s: Services): Handlers {
  return trackActivity(s, {
    'app:info': async () => ({
      version: s.version,
      dataDir: s.dataDir,
      station: s.identity.station,
      actor: s.identity.actor,
      defaultHubUrl: process.env.FERRY_HUB_URL || DEFAULT_HUB_URL,
      defaultPlatform: DEFAULT_PLATFORM,
    }),
    'bundle:create': async (arg) => {
      const req = { ...arg, mirrors: effectiveMirrors(s.db, arg.mirrors) };
      return s.jobs.start('bundle.create', `Create bundle ${req.outDir}`, { ...req }, (ctx) =>
        createBundle(req, { custody: s.custody, identity: s.identity, version: s.version, hubToken: process.env.HF_TOKEN, db: s.db, dataDir: s.dataDir, docker: () => dockerFromEnv(), credentials: storedCredentials(s.db, s.dataDir) }, ctx),
      );
    },
    'bundle:verify': async (req) =>
      s.jobs.start('bundle.verify', `Verify ${req.dir}`, { ...req }, async (ctx) => {
        const result = await verifyBundle(req.dir, s.pool, ctx);
        s.custody.append({
          type: 'verified',
          role: 'admin',
          bundleId: result.bundleId,
          details: { dir: req.dir, ok: result.ok, files: result.checkedFiles, bytes: result.checkedBytes, problems: result.problems.length },
        });
        return result;
      }),
    'bundle:import': async (req) => {
      const { password: _secret, ...safe } = req;
      return s.jobs.start('bundle.import', `Import ${req.dir}`, safe, (ctx) => importBundle(req, { custody: s.custody, pool: s.pool, approvals: approvalGate(s.db, s.custody), credentials: storedCredentials(s.db, s.dataDir) }, ctx));
    },
    'job:list': async () => s.jobs.list(),
    'job:get': async ({ id }) => s.jobs.get(id),
    'job:cancel': async ({ id }) => s.jobs.cancel(id),
    'custody:list': async (req) => s.custody.list(req),
    ...recipeHandlers(s),
    ...mediaHandlers(s),
    ...identityHandlers(s),
    ...reviewHandlers(s),
    ...installHandlers(s),
    ...settingsHandlers(s),
  });
}

/** Validates an untrusted request and calls its handler. */
export async function dispatch(handlers: Handlers, channel: string, arg: unknown): Promise<unknown> {
  const schema = REQUEST_SCHEMAS[channel as InvokeChannel];
  if (!schema) throw new UsageError(`Unknown API channel "${channel}"`);
  const parsed = schema.safeParse(arg ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${channel}: field ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  const fn = handlers[channel as InvokeChannel] as (a: unknown) => Promise<unknown>;
  return fn(parsed.data);
}

/** Forwards service events to a transport; returns the unsubscribe function. */
export function subscribeEvents(s: Services, emit: <E extends EventChannel>(event: E, payload: EventApi[E]) => void): () => void {
  const onJob = (j: EventApi['job:update']): void => emit('job:update', j);
  const onCustody = (e: EventApi['custody:appended']): void => emit('custody:appended', e);
  s.jobs.on('update', onJob);
  s.custody.on('appended', onCustody);
  return () => {
    s.jobs.off('update', onJob);
    s.custody.off('appended', onCustody);
  };
}

export type { InvokeApi };
