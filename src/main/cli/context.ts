import { Command, Option } from 'commander';
import type { BoundHandlers, Handlers } from '../api/handlers';
import type { CliCallContext } from '../api/station-admin-access';
import type { Services } from '../core/services';
import type { JobInfo } from '../../shared/api';
import { FerryError } from '../../shared/errors';
import { ProgressPrinter } from './progress';

// Start-up: this file is loaded by every command definition, so it imports no service at
// top level; withServices loads them (import()) when a command runs. See test/unit/cli-lazy.test.ts.

export interface CommonOptions {
  json?: boolean;
  dataDir?: string;
  /** --as NAME on commands that act (see withSigning in commands/identity.ts). */
  as?: string;
  passphraseStdin?: boolean;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export function withCommon(cmd: Command): Command {
  return cmd
    .addOption(new Option('--json', 'machine-readable output on stdout'))
    .addOption(new Option('--data-dir <dir>', 'station data directory (default: $FERRY_HOME or the per-user data dir)'));
}

export interface Cli {
  services: Services;
  /** The API as this process's caller: the identity of --as / FERRY_AS, else nobody (acting channels refuse). */
  handlers: BoundHandlers;
  /** The same handlers taking their caller per call (for `ferry serve`, whose callers sign in themselves). */
  api: Handlers;
  json: boolean;
}

/** The service modules, loaded by the first withServices of this process. */
async function loadParts() {
  const [handlers, identityStore, services, acting] = await Promise.all([
    import('../api/handlers'),
    import('../identity/identity-store'),
    import('../core/services'),
    import('../identity/acting'),
  ]);
  return {
    createHandlers: handlers.createHandlers,
    bindHandlers: handlers.bindHandlers,
    IdentityStore: identityStore.IdentityStore,
    createServices: services.createServices,
    actAsFromEnv: acting.actAsFromEnv,
    actingOf: acting.actingOf,
    unlockAndAct: acting.unlockAndAct,
  };
}
let parts: Awaited<ReturnType<typeof loadParts>> | undefined;

function loadedParts(): NonNullable<typeof parts> {
  if (!parts) throw new Error('cli/context: the services are not open (call withServices first)');
  return parts;
}

/**
 * The CLI's caller: one identity per process (--as NAME, or FERRY_AS). A station with no
 * identities yet has nothing to sign with: there its commands act unsigned, as the OS user,
 * and nothing they create can be approved. Once an identity exists, acting needs --as; until
 * the station has an admin, the OS user who owns the data dir still administers it (owner).
 */
export function cliContext(services: Services): CliCallContext {
  const { actingOf, IdentityStore } = loadedParts();
  const acting = actingOf(services);
  if (acting) return { acting };
  const all = new IdentityStore(services.db).list();
  if (all.length === 0) return { unsigned: true };
  return all.some((i) => i.role === 'admin') ? {} : { owner: true };
}

/**
 * The one composition root of the CLI: opens the services for one command (and always closes
 * them), acts as --as / FERRY_AS, and gives the command the API's handlers through dispatch.
 */
export async function withServices<T>(opts: CommonOptions, fn: (cli: Cli) => Promise<T>): Promise<T> {
  const p = (parts ??= await loadParts());
  const services = p.createServices({ dataDir: opts.dataDir });
  try {
    p.actAsFromEnv(services);
    if (opts.as) await p.unlockAndAct(services, opts.as, { passphraseStdin: opts.passphraseStdin });
    const api = p.createHandlers(services);
    return await fn({ services, handlers: p.bindHandlers(api, () => cliContext(services)), api, json: !!opts.json });
  } finally {
    await services.close();
  }
}

/** Follows a job to its end with progress on stderr; Ctrl-C cancels it cleanly. */
export async function followJob(cli: Cli, started: JobInfo): Promise<JobInfo> {
  const printer = new ProgressPrinter();
  const onUpdate = (j: JobInfo): void => {
    if (j.id === started.id && j.state === 'running') printer.update(j);
  };
  const onSigint = (): void => {
    process.stderr.write('\nCanceling…\n');
    cli.services.jobs.cancel(started.id);
  };
  cli.services.jobs.on('update', onUpdate);
  process.once('SIGINT', onSigint);
  try {
    return await cli.services.jobs.wait(started.id);
  } finally {
    process.off('SIGINT', onSigint);
    cli.services.jobs.off('update', onUpdate);
    printer.done();
  }
}

/** Turns a finished job into its result, or throws its error. */
export function jobResult<T>(job: JobInfo): T {
  if (job.state === 'succeeded') return job.result as T;
  if (job.state === 'canceled') throw new FerryError('Canceled.', undefined, 'CanceledError');
  throw new FerryError(job.error?.message ?? 'Job failed', job.error?.hint, job.error?.name ?? 'FerryError');
}

export function print(cli: { json: boolean }, value: unknown, human: () => string): void {
  process.stdout.write(cli.json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}
