import { Command } from 'commander';
import type { ImportResult } from '../../../shared/api';
import { UsageError } from '../../../shared/errors';
import { rm, rmdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { followJob, jobResult, print, withCommon, withServices, type Cli, type CommonOptions } from '../context';
import { readStdin } from '../stdin';
import { assembleVolumes } from './media';
import { withSigning } from './identity';

interface Opts extends CommonOptions {
  registry?: string;
  ca?: string;
  username?: string;
  passwordStdin?: boolean;
  insecureRegistry?: string[];
  docker?: boolean;
  dockerHost?: string;
  modelsDir?: string;
  ollamaModels?: string;
  ollamaUrl?: string;
}

/** Removes a staging folder this command created (and its `.partial`), then `staging/` itself when empty. */
async function removeStaging(out: string): Promise<void> {
  await rm(out, { recursive: true, force: true });
  await rm(`${out}.partial`, { recursive: true, force: true });
  await rmdir(dirname(out)).catch(() => undefined); // only when empty
}

export function importCommand(): Command {
  return withSigning(withCommon(new Command('import')))
    .description('verify a bundle, then push its images to a registry and/or load them into Docker, and place its models')
    .argument('<dir...>', 'bundle directory, or the volume directories of a bundle on media (any order)')
    .option('--registry <host[:port][/prefix]>', 'internal registry to push images to')
    .option('--ca <file>', 'CA certificate file for a registry with a private CA')
    .option('--username <user>', 'registry user')
    .option('--password-stdin', 'read the registry password from stdin')
    .option('--insecure-registry <host...>', 'allow plain HTTP to this non-loopback registry')
    .option('--docker', 'load the images into the Docker engine')
    .option('--docker-host <url>', 'Docker engine (unix:///path or tcp://host:port; default $DOCKER_HOST)')
    .option('--models-dir <dir>', 'directory to place model weights in (<dir>/<org>/<name>)')
    .option('--ollama-models <dir>', 'restore the Ollama models into this folder (what Ollama reads as OLLAMA_MODELS)')
    .option('--ollama-url <url>', 'then confirm through this Ollama server\'s API that it lists them (e.g. http://127.0.0.1:11434)')
    .action(async (dirs: string[], o: Opts) => {
      if (o.passwordStdin && !o.username) throw new UsageError('--password-stdin needs --username');
      const password = o.passwordStdin ? await readStdin() : undefined;
      await withServices(o, async (cli) => {
        const [{ isVolumeDir }, { randomUUID }] = await Promise.all([import('../../media/label'), import('node:crypto')]);
        const staging = dirs.length > 1 || isVolumeDir(dirs[0]!) ? join(cli.services.dataDir, 'staging', randomUUID()) : undefined;
        let r: ImportResult;
        try {
          const dir = staging ? (await assembleVolumes(cli, dirs, staging)).dir : dirs[0]!; // joined into a staging bundle, every part and file hashed on the way
          await showOverrides(cli, dir);
          const started = await cli.handlers['bundle:import']({
            dir,
            registry: o.registry,
            caFile: o.ca,
            username: o.username,
            password,
            insecureRegistries: o.insecureRegistry,
            docker: o.docker,
            dockerHost: o.dockerHost,
            modelsDir: o.modelsDir,
            ollamaModels: o.ollamaModels,
            ollamaUrl: o.ollamaUrl,
          });
          r = jobResult<ImportResult>(await followJob(cli, started));
        } finally {
          // Refused or not: the staging copy is Ferry's own (a fresh uuid folder it assembled); nothing else is removed.
          if (staging) await removeStaging(staging);
        }
        print(cli, r, () =>
          [
            `Imported bundle ${r.bundleId}`,
            ...r.registry.map((i) => `  pushed  ${i.target}  ${i.digest}  (${i.blobsUploaded} uploaded, ${i.blobsSkipped} already there)`),
            ...r.docker.map((d) => `  loaded  ${d.tag}  ${d.imageId}`),
            ...r.models.map((m) => `  placed  ${m.repo} → ${m.dir} (${m.files} files)`),
            ...(r.ollama ?? []).map((m) => `  ollama  ${m.name}  ${m.digest}  → ${m.manifest} (${m.blobsWritten} blobs written, ${m.blobsSkipped} already there)`),
            ...(r.ollamaConfirmed ? [`  listed by Ollama ${r.ollamaConfirmed.version ?? ''} at ${r.ollamaConfirmed.url}`] : []),
          ].join('\n'),
        );
      });
    });
}

/** Before anything is imported, the offline admin sees again every finding a reviewer overrode (on stderr; stdout stays the result). */
async function showOverrides(cli: Cli, dir: string): Promise<void> {
  const { formatFingerprint } = await import('../../identity/keys');
  const state = await cli.handlers['bundle:approval']({ dir }).catch(() => undefined); // an unreadable bundle is refused by the import itself
  if (!state || state.overrides.length === 0) return;
  const lines = state.overrides.map((o) => `  OVERRIDDEN ${o.file}  ${o.rule}  ${o.detail}\n    accepted by ${o.by.name} (${formatFingerprint(o.by.fingerprint)}) at ${o.at}: ${o.reason}`);
  process.stderr.write(`Bundle ${state.bundleId} carries ${state.overrides.length} override(s) of blocking scan findings:\n${lines.join('\n')}\n`);
}
