import { Command, Option } from 'commander';
import { createHandlers, type Handlers } from '../api/handlers';
import { createServices, type Services } from '../core/services';
import { actAsFromEnv } from '../identity/acting';
import type { JobInfo } from '../../shared/api';
import { FerryError } from '../../shared/errors';
import { ProgressPrinter } from './progress';

export interface CommonOptions {
  json?: boolean;
  dataDir?: string;
}

export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

export function withCommon(cmd: Command): Command {
  return cmd
    .addOption(new Option('--json', 'machine-readable output on stdout'))
    .addOption(new Option('--data-dir <dir>', 'station data directory (default: $FERRY_HOME or the per-user data dir)'));
}

export interface Cli {
  services: Services;
  handlers: Handlers;
  json: boolean;
}

/** Opens the services for one command and always closes them. */
export async function withServices<T>(opts: CommonOptions, fn: (cli: Cli) => Promise<T>): Promise<T> {
  const services = createServices({ dataDir: opts.dataDir });
  try {
    actAsFromEnv(services);
    return await fn({ services, handlers: createHandlers(services), json: !!opts.json });
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
