import type { EventApi, EventChannel, InvokeApi, InvokeArg, InvokeChannel, InvokeResult } from '../../shared/api';
import { actingIfAny, asCaller, type CallContext } from './call-context';
import type { CustodyStore } from '../custody/custody-store';
import type { ActingIdentity } from '../identity/identity-store';
import { UsageError } from '../../shared/errors';
import type { Services } from '../core/services';
import { storedCredentials } from '../credentials/credential-store';
import { approvalGate } from '../review/gate';
import { checkOutputFolder } from '../bundle/output-folder';
import { withApprovalState } from '../review/approval-state';
import { effectiveMirrors } from '../settings/station-settings';
import { DEFAULT_PLATFORM, hubTokenOf, hubUrlOf, platformOf } from '../settings/defaults';
import { identityHandlers } from './identity-handlers';
import { onboardingHandlers } from './onboarding-handlers';
import { REQUEST_SCHEMAS } from './request-schemas';

/** One channel's handler: the validated argument and who is calling (see call-context.ts). */
export type Handler<C extends InvokeChannel> = (arg: InvokeArg<C>, ctx: CallContext) => Promise<InvokeResult<C>>;
export type Handlers = { [C in InvokeChannel]: Handler<C> };

// Start-up: the bundle jobs (create pulls in the registry, hub, Docker and BOM code) and the
// heavy handler families load when one of their channels is first called, so a CLI command
// loads only what it runs (test/unit/cli-lazy.test.ts); Electron and `ferry serve` pay on first use.
const bundleCreate = () => Promise.all([import('../bundle/create'), import('../docker/docker-loader')]);
const bundleImport = () => import('../bundle/import');
const bundleVerify = () => import('../bundle/verify');

/**
 * A family of handlers made on the first call of any of `channels` (then kept: a family may
 * hold state, e.g. the install locks). The type checks that the family serves every channel listed;
 * createHandlers' return type checks that every channel is served.
 */
function lazyFamily<K extends InvokeChannel>(channels: readonly K[], make: () => Promise<Pick<Handlers, K>>): Pick<Handlers, K> {
  let family: Promise<Pick<Handlers, K>> | undefined;
  const out = {} as Record<K, (arg: unknown, ctx: CallContext) => Promise<unknown>>;
  for (const c of channels) {
    out[c] = async (arg, ctx) => {
      family ??= make().catch((err: unknown) => {
        family = undefined;
        throw err;
      });
      return ((await family)[c] as (a: unknown, x: CallContext) => Promise<unknown>)(arg, ctx);
    };
  }
  return out as unknown as Pick<Handlers, K>;
}

/** Who may create, verify, import (auditors only read). */
export const ACTING_ROLES = ['operator', 'reviewer', 'admin'] as const;

/** The API as plain functions; Electron IPC, the headless HTTP server and the CLI all carry these. */
export function createHandlers(s: Services): Handlers {
  /** The custody log as the caller writes it: every event signed by them (unsigned only for the CLI before any identity exists). */
  const custodyOf = (acting: ActingIdentity | undefined): CustodyStore => (acting ? s.custody.signedBy(asCaller(acting).as) : s.custody);
  return {
    'app:info': async () => ({
      version: s.version,
      dataDir: s.dataDir,
      station: s.identity.station,
      actor: s.identity.actor,
      defaultHubUrl: hubUrlOf(undefined),
      defaultPlatform: DEFAULT_PLATFORM,
    }),
    'bundle:create': async (arg, ctx) => {
      const acting = actingIfAny(ctx, ACTING_ROLES);
      const [{ createBundle }, { dockerFromEnv }] = await bundleCreate();
      const req = { ...arg, outDir: await checkOutputFolder(arg.outDir), mirrors: effectiveMirrors(s.db, arg.mirrors), hubUrl: hubUrlOf(arg.hubUrl), platform: platformOf(arg.platform) };
      // The job carries its caller: every custody event it records is signed by them, and they sign the manifest's createdBy.
      const custody = custodyOf(acting);
      return s.jobs.start('bundle.create', `Create bundle ${req.outDir}`, { ...req, ...(acting ? { by: acting.name } : {}) }, (job) =>
        createBundle(req, { custody, identity: s.identity, ...(acting ? { creator: acting } : {}), version: s.version, hubToken: hubTokenOf(), db: s.db, dataDir: s.dataDir, docker: () => dockerFromEnv(), credentials: storedCredentials(s.db, s.dataDir) }, job),
      );
    },
    'bundle:verify': async (req, ctx) => {
      const acting = actingIfAny(ctx, ACTING_ROLES);
      const { verifyBundle } = await bundleVerify();
      return s.jobs.start('bundle.verify', `Verify ${req.dir}`, { ...req, ...(acting ? { by: acting.name } : {}) }, async (job) => {
        const result = await verifyBundle(req.dir, s.pool, job);
        custodyOf(acting).append({
          type: 'verified',
          role: acting?.role ?? 'admin',
          bundleId: result.bundleId,
          details: { dir: req.dir, ok: result.ok, files: result.checkedFiles, bytes: result.checkedBytes, problems: result.problems.length },
        });
        return withApprovalState(result, req.dir, s.db);
      });
    },
    'bundle:import': async (req, ctx) => {
      const acting = actingIfAny(ctx, ACTING_ROLES);
      const { importBundle } = await bundleImport();
      const { password: _secret, ...safe } = req;
      const custody = custodyOf(acting);
      return s.jobs.start('bundle.import', `Import ${req.dir}`, { ...safe, ...(acting ? { by: acting.name } : {}) }, (job) =>
        importBundle(req, { custody, pool: s.pool, approvals: approvalGate(s.db, custody), credentials: storedCredentials(s.db, s.dataDir) }, job),
      );
    },
    'job:list': async () => s.jobs.list(),
    'job:get': async ({ id }) => s.jobs.get(id),
    'job:cancel': async ({ id }, ctx) => {
      actingIfAny(ctx);
      return s.jobs.cancel(id);
    },
    'custody:list': async (req) => s.custody.list(req),
    ...lazyFamily(['recipe:list', 'recipe:show', 'recipe:resolve'], async () => (await import('../recipes/recipe-handlers')).recipeHandlers(s)),
    ...lazyFamily(['media:detect', 'media:plan', 'media:write', 'media:verify'], async () => (await import('../media/media-handlers')).mediaHandlers(s)),
    ...identityHandlers(s),
    ...lazyFamily(['bundle:manifest', 'review:queue', 'review:decide', 'trust:list', 'trust:add', 'trust:revoke', 'custody:verify', 'custody:export', 'bundle:bom'], async () => (await import('./review-handlers')).reviewHandlers(s)),
    ...lazyFamily(['review:override', 'bundle:approval'], async () => (await import('./override-handlers')).overrideHandlers(s)),
    ...lazyFamily(['install:inspect', 'install:plan', 'install:get', 'install:list', 'install:run', 'install:undo', 'install:preflight'], async () => (await import('./install-handlers')).installHandlers(s)),
    ...lazyFamily(['settings:get', 'settings:set', 'credentials:list', 'credentials:set', 'credentials:remove'], async () => (await import('./settings-handlers')).settingsHandlers(s)),
    ...lazyFamily(['upgrade:run'], async () => (await import('./upgrade-handlers')).upgradeHandlers(s)),
    ...lazyFamily(['custody:import', 'custody:record', 'custody:report'], async () => (await import('./custody-admin-handlers')).custodyAdminHandlers(s)),
    ...lazyFamily(['trust:check'], async () => (await import('./trust-check-handlers')).trustCheckHandlers(s)),
    ...lazyFamily(['install:export-compose'], async () => (await import('./install-admin-handlers')).installAdminHandlers(s)),
    ...lazyFamily(['install:remove'], async () => (await import('./install-records-handlers')).installRecordHandlers(s)),
    ...lazyFamily(['station:configure', 'trust:policy', 'signature-policy:show', 'signature-policy:change', 'custody:syslog'], async () => (await import('./station-admin-handlers')).stationAdminHandlers(s)),
    ...lazyFamily(['custody:chain', 'custody:export-log'], async () => (await import('./custody-log-handlers')).custodyLogHandlers(s)),
    ...lazyFamily(['inventory:export', 'inventory:check'], async () => (await import('./inventory-handlers')).inventoryHandlers(s)),
    ...lazyFamily(['scan:path', 'bom:document'], async () => (await import('./bundle-tool-handlers')).bundleToolHandlers(s)),
    ...lazyFamily(['media:assemble'], async () => (await import('./media-assemble-handlers')).mediaAssembleHandlers(s)),
    ...lazyFamily(['fs:browse', 'bundle:recent', 'job:rerun'], async () => (await import('./operator-handlers')).operatorHandlers(s)),
    ...lazyFamily(['engine:status'], async () => (await import('./engine-handlers')).engineHandlers(s)),
    ...onboardingHandlers(s),
  };
}

/** Validates an untrusted request and calls its handler as `ctx`'s caller. */
export async function dispatch(handlers: Handlers, channel: string, arg: unknown, ctx: CallContext): Promise<unknown> {
  const schema = REQUEST_SCHEMAS[channel as InvokeChannel];
  if (!schema) throw new UsageError(`Unknown API channel "${channel}"`);
  const parsed = schema.safeParse(arg ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`${channel}: field ${issue.path.join('.') || '(root)'} ${issue.message}`);
  }
  const fn = handlers[channel as InvokeChannel] as (a: unknown, c: CallContext) => Promise<unknown>;
  return fn(parsed.data, ctx);
}

/** Handlers with the caller fixed (the CLI: one identity per process, read at call time). */
export type BoundHandlers = { [C in InvokeChannel]: (arg: InvokeArg<C>) => Promise<InvokeResult<C>> };

/** Every channel through dispatch, as `ctx()`'s caller: the CLI's calls are validated exactly as IPC and HTTP calls are. */
export function bindHandlers(handlers: Handlers, ctx: () => CallContext): BoundHandlers {
  const out = {} as Record<string, (arg: unknown) => Promise<unknown>>;
  for (const channel of Object.keys(handlers)) out[channel] = (arg) => dispatch(handlers, channel, arg, ctx());
  return out as unknown as BoundHandlers;
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
