import { Command, Option } from 'commander';
import type { InstallRequest, InstallView } from '../../../shared/api-install';
import { FerryError, UsageError } from '../../../shared/errors';
import { exportComposeCommand } from './install-export';
import { followJob, jobResult, print, withCommon, withServices, type Cli, type CommonOptions } from '../context';
import { readStdin } from '../stdin';
import { withSigning } from './identity';

interface Opts extends CommonOptions {
  modelsDir?: string;
  registry?: string;
  ca?: string;
  username?: string;
  passwordStdin?: boolean;
  insecureRegistry?: string[];
  dockerHost?: string;
  set?: string[];
  gitlabCa?: string;
  gpu?: string;
  egressOutside?: string[];
  egressInternal?: string[];
  healthTimeout?: string;
  allow?: string[];
  plan?: boolean;
  step?: string;
  undo?: string;
  resume?: string;
  removeVolumes?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const MARK: Record<string, string> = { done: '✓', skipped: '–', failed: '✗', undone: '↺', running: '…', pending: '·' };

async function request(sources: string[], o: Opts, password: string | undefined): Promise<InstallRequest> {
  const [{ isVolumeDir }, { parseSets }] = await Promise.all([import('../../media/label'), import('../../recipes/params')]);
  if (!o.modelsDir) throw new UsageError('--models-dir is required.', 'Give the directory to place model weights in, e.g. --models-dir /data/models.');
  const timeout = o.healthTimeout !== undefined ? Number(o.healthTimeout) : undefined;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) throw new UsageError(`--health-timeout ${o.healthTimeout}: expected whole seconds, e.g. 600.`);
  if (o.gpu !== undefined && o.gpu !== 'require' && o.gpu !== 'none') throw new UsageError(`--gpu ${o.gpu}: expected require or none.`);
  return {
    ...(sources.length === 1 && !isVolumeDir(sources[0]!) ? { dir: sources[0] } : { volumes: sources }),
    modelsDir: o.modelsDir,
    ...(o.registry ? { registry: o.registry } : {}),
    ...(o.ca ? { caFile: o.ca } : {}),
    ...(o.username ? { username: o.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(o.insecureRegistry?.length ? { insecureRegistries: o.insecureRegistry } : {}),
    ...(o.dockerHost ? { dockerHost: o.dockerHost } : {}),
    ...(o.set?.length ? { params: parseSets(o.set) } : {}),
    ...(o.gitlabCa ? { gitlabCaFile: o.gitlabCa } : {}),
    ...(o.gpu ? { gpu: o.gpu as 'require' | 'none' } : {}),
    egress: { outside: o.egressOutside ?? [], ...(o.egressInternal?.length ? { internal: o.egressInternal } : {}) },
    ...(timeout !== undefined ? { healthTimeout: timeout } : {}),
    ...(o.allow?.length ? { allow: o.allow } : {}),
  };
}

function planText(v: InstallView): string {
  const lines = [`Install ${v.installId}: ${v.recipe.title} ${v.recipe.version} (bundle ${v.bundleId})`, ''];
  v.steps.forEach((s, i) => {
    lines.push(`${i + 1}. ${s.id} — ${s.title} [${s.state}]${s.undoable ? ' (undoable)' : ''}`, `   ${s.description}`);
    for (const c of s.command.split('\n')) lines.push(`   $ ${c}`);
    lines.push('');
  });
  return lines.join('\n');
}

function resultText(v: InstallView): string {
  const lines = [`Install ${v.installId}: ${v.recipe.title} ${v.recipe.version} (bundle ${v.bundleId})`];
  for (const s of v.steps) {
    const summary = s.error ? s.error.message : (s.log[s.log.length - 1] ?? '');
    lines.push(`  ${MARK[s.state] ?? '?'} ${s.id.padEnd(24)} ${s.state.padEnd(8)} ${summary}`);
  }
  if (v.outputs.length > 0) {
    lines.push('', 'GitLab values:');
    for (const o of v.outputs) lines.push(`  ${o.label}: ${o.value}`);
  }
  const agent = v.steps.find((s) => s.id === 'agent-config' && s.state === 'done');
  if (agent?.result?.path) lines.push('', `Agent config: ${String(agent.result.path)}`);
  return lines.join('\n');
}

/** Runs (or undoes) through install:run / install:undo with the progress line; a failed step names itself and what to fix. */
async function runJob(cli: Cli, installId: string, what: { stepId?: string; undo?: string; removeVolumes?: boolean; password?: string }): Promise<InstallView> {
  const started = what.undo
    ? await cli.handlers['install:undo']({ installId, stepId: what.undo, ...(what.removeVolumes ? { removeVolumes: true } : {}) })
    : await cli.handlers['install:run']({ installId, ...(what.stepId ? { stepId: what.stepId } : {}), ...(what.password !== undefined ? { password: what.password } : {}) });
  const job = await followJob(cli, started);
  if (job.state === 'succeeded') return job.result as InstallView;
  const view = await cli.handlers['install:get']({ installId });
  const failed = view.steps.find((s) => s.state === 'failed');
  if (!cli.json) process.stdout.write(`${resultText(view)}\n`);
  for (const line of failed?.log.slice(-15) ?? []) process.stderr.write(`  | ${line}\n`);
  try {
    jobResult(job);
  } catch (err) {
    const e = err as FerryError;
    if (failed) throw new FerryError(`Install ${installId}: step "${failed.id}" failed: ${e.message}`, e.hint ?? `Fix the cause, then run "ferry install --resume ${installId}".`, e.name);
    throw err;
  }
  return view;
}

function listCommand(): Command {
  return withCommon(new Command('list'))
    .description('list the guided installs on this station')
    .action(async (_o: CommonOptions, cmd: Command) => {
      // --json / --data-dir may be parsed by `install` itself: take them from either.
      await withServices(cmd.optsWithGlobals<CommonOptions>(), async (cli) => {
        const all = await cli.handlers['install:list']({});
        print(cli, all, () =>
          all.length === 0
            ? 'No installs.'
            : all.map((v) => `${v.installId}  ${v.recipe.id} ${v.recipe.version}  ${v.steps.filter((s) => s.state === 'done' || s.state === 'skipped').length}/${v.steps.length} steps done  ${v.updatedAt}`).join('\n'),
        );
      });
    });
}

function showCommand(): Command {
  return withCommon(new Command('show'))
    .description('show an install: every step with its command, state and result')
    .argument('<id>', 'install id')
    .action(async (id: string, _o: CommonOptions, cmd: Command) => {
      await withServices(cmd.optsWithGlobals<CommonOptions>(), async (cli) => {
        const v = await cli.handlers['install:get']({ installId: id });
        print(cli, v, () => `${planText(v)}\n${resultText(v)}`);
      });
    });
}

function removeCommand(): Command {
  return withSigning(withCommon(new Command('remove')))
    .description('remove an install record that was planned but never run (or fully undone); nothing on the host is touched')
    .argument('<id>', 'install id')
    .action(async (id: string, _o: CommonOptions, cmd: Command) => {
      await withServices(cmd.optsWithGlobals<CommonOptions>(), async (cli) => {
        const r = await cli.handlers['install:remove']({ installId: id });
        print(cli, r, () => `Removed install ${r.installId}.`);
      });
    });
}

export function installCommand(): Command {
  const cmd = withSigning(withCommon(new Command('install')))
    .description('guided install of a recipe bundle on the offline host: verify, push, place weights, keys, containers, health, egress, GitLab values')
    .argument('[sources...]', 'bundle directory, or the volume directories of a bundle on media (any order)')
    .option('--models-dir <dir>', 'directory to place model weights in (<dir>/<org>/<name>)')
    .option('--registry <host[:port]/prefix>', 'internal registry to push images to (default: load into the engine)')
    .option('--ca <file>', 'CA certificate file of a registry with a private CA')
    .option('--username <user>', 'registry user')
    .option('--password-stdin', 'read the registry password from stdin (never stored)')
    .addOption(new Option('--insecure-registry <host>', 'allow plain HTTP to this non-loopback registry (repeatable)').argParser(collect))
    .option('--docker-host <url>', 'Docker or Podman socket (unix:///run/podman/podman.sock; default $DOCKER_HOST)')
    .addOption(new Option('--set <name=value>', 'install parameter, e.g. --set gitlab_domain=gitlab.example.com (repeatable)').argParser(collect))
    .option('--gitlab-ca <file>', 'private CA bundle GitLab\'s certificate chains to (mounted in the AI Gateway)')
    .option('--gpu <mode>', 'require (default) or none (no GPUs: stand-ins, CPU-only hosts)')
    .addOption(new Option('--egress-outside <host:port>', 'a target outside the air gap that must be unreachable from every container (repeatable)').argParser(collect))
    .addOption(new Option('--egress-internal <target>', 'host:port or URL that must be reachable from every container (repeatable)').argParser(collect))
    .option('--health-timeout <seconds>', 'seconds to wait for each container\'s health checks (default 600)')
    .addOption(new Option('--allow <allowance>', 'allow exactly this reach beyond the stack, e.g. mount:/srv/data or target:10.0.0.5:443 (repeatable; recorded in custody)').argParser(collect))
    .option('--plan', 'print every step with its equivalent command and exit')
    .option('--step <id>', 'run only this step (e.g. container:vllm)')
    .option('--undo <id>', 'undo a step (stop and remove its container); needs --resume')
    .option('--remove-volumes', 'with --undo: also remove the container\'s named volumes (their data is lost)')
    .option('--resume <install-id>', 'continue an install from its first step not done')
    .action(async (sources: string[], o: Opts) => {
      if (o.passwordStdin && !o.username && !o.resume) throw new UsageError('--password-stdin needs --username (or --resume, which keeps the install\'s user name).');
      if (o.removeVolumes && !o.undo) throw new UsageError('--remove-volumes only goes with --undo STEP.');
      if (o.undo && !o.resume) throw new UsageError('--undo needs --resume INSTALL_ID.', 'List installs with "ferry install list".');
      if (o.resume && sources.length > 0) throw new UsageError('Give either the bundle (to plan a new install) or --resume INSTALL_ID, not both.');
      if (!o.resume && sources.length === 0) throw new UsageError('No bundle given.', 'Give the bundle folder or the volume mount paths, or --resume INSTALL_ID.');
      const password = o.passwordStdin ? await readStdin() : undefined;
      await withServices(o, async (cli) => {
        const installId = o.resume ?? (await cli.handlers['install:plan'](await request(sources, o, password))).installId;
        if (o.plan) {
          const v = await cli.handlers['install:get']({ installId });
          print(cli, v, () => planText(v));
          return;
        }
        const v = await runJob(cli, installId, { ...(o.step ? { stepId: o.step } : {}), ...(o.undo ? { undo: o.undo } : {}), ...(o.removeVolumes ? { removeVolumes: true } : {}), ...(password !== undefined ? { password } : {}) });
        print(cli, v, () => resultText(v));
      });
    });
  cmd.addCommand(listCommand());
  cmd.addCommand(showCommand());
  cmd.addCommand(exportComposeCommand());
  cmd.addCommand(removeCommand());
  return cmd;
}
