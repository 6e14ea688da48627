import { Command } from 'commander';
import type { EngineStatusView } from '../../../shared/channels/engine';
import { EXIT, print, withCommon, withServices, type CommonOptions } from '../context';
import { withSigning } from './identity';

interface Opts extends CommonOptions {
  dockerHost?: string;
}

/** The status as lines for a person: engine, version, socket, GPU plumbing; or what is wrong and how to start one. */
export function engineStatusText(v: EngineStatusView): string {
  const from = v.source === 'argument' ? '--docker-host' : v.source === 'DOCKER_HOST' ? 'DOCKER_HOST' : 'the default socket';
  if (!v.reachable) {
    return [`No container engine reachable at ${v.address} (${from})`, `  ${v.problem ?? 'it does not answer'}`, 'Start one:', ...(v.start ?? []).map((c) => `  ${c}`)].join('\n');
  }
  const g = v.gpu;
  const lines = [
    `Engine:  ${v.kind === 'podman' ? 'Podman' : 'Docker'} ${v.version ?? ''}${v.apiVersion ? ` (API ${v.apiVersion})` : ''}`,
    `Socket:  ${v.address} (${from})`,
  ];
  if (g) {
    const have = [g.nvidiaRuntime ? 'nvidia runtime' : '', g.cdiDevices.length ? `CDI ${g.cdiDevices.join(', ')}${g.cdiSource === 'spec-files' ? ' (spec files)' : ''}` : ''].filter(Boolean);
    lines.push(`GPU:     ${have.length ? have.join('; ') : `none (no nvidia runtime${v.kind === 'podman' ? '' : ','} no CDI nvidia.com/gpu devices)`}`);
    lines.push(`         ${g.request.text}`);
  }
  return lines.join('\n');
}

/** `ferry engine status [--docker-host URL] [--json]`: which engine Ferry will use. Exit 1 when none answers. */
export function engineCommand(): Command {
  const engine = new Command('engine').description('the container engine Ferry uses (Docker or Podman)');
  engine.addCommand(
    withSigning(withCommon(new Command('status')))
      .description('which engine Ferry will use: Docker or Podman, socket, version, GPU runtime / CDI devices; or how to start one')
      .option('--docker-host <url>', 'engine socket or address (unix:///run/podman/podman.sock, tcp://HOST:PORT; default $DOCKER_HOST)')
      .action(async (_o: Opts, cmd: Command) => {
        const o = cmd.optsWithGlobals<Opts>();
        await withServices(o, async (cli) => {
          const view = await cli.handlers['engine:status'](o.dockerHost ? { dockerHost: o.dockerHost } : {});
          print(cli, view, () => engineStatusText(view));
          if (!view.reachable) process.exitCode = EXIT.failed;
        });
      }),
  );
  return engine;
}
