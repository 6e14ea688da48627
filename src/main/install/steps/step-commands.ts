import { dirname, join } from 'node:path';
import { IMAGES_DIR } from '../../bundle/manifest-schema';
import type { ContainerSpec, VerifySpec } from '../../recipes/recipe-schema';
import { whenHolds } from '../../recipes/template';
import { AGENT_CONFIG_PATH } from '../plan/agent-config';
import { healthChecksFor, healthCommand, LABEL_INSTALL, planContainer } from '../engine/container-spec';
import { containerName, filesDir, imageRef, installDir, modelDir, networkName, secretsDir, templateContext, volumeName } from '../plan/install-refs';
import { expandInstall, shellQuote } from '../plan/install-template';
import { orderContainers, type LayoutInput } from '../plan/install-plan';
import { namedVolumesOf } from '../engine/stack-resources';
import { expandVerify } from './step-verify-stack';

// The equivalent shell commands shown to the admin before each step runs (display only:
// secrets appear as $(cat FILE), the registry password never).

const GENRSA: Record<string, string> = {
  'rsa-2048': 'openssl genrsa -out FILE 2048',
  'rsa-4096': 'openssl genrsa -out FILE 4096',
  'hex-32': 'openssl rand -hex 32 > FILE',
  password: 'openssl rand -base64 24 > FILE',
};

/** Placeholder values so a container's display command can be laid out before the keys exist. */
export function placeholderSecrets(c: LayoutInput): Record<string, string> {
  return Object.fromEntries((c.plan.recipe.install?.secrets ?? []).map((s) => [s.name, `<${s.name}>`]));
}

export function stepCommands(input: LayoutInput) {
  const { plan, request, dataDir, installId, engine } = input;
  const q = shellQuote;
  const bundle = plan.bundleDir;
  const ctx = templateContext({ ...plan, steps: [] }, request, dataDir, installId, placeholderSecrets(input));
  const containers = orderContainers(plan.recipe, plan.params);
  return {
    verify: (): string =>
      request.volumes?.length ? `ferry media verify ${request.volumes.map(q).join(' ')}\nferry media assemble ${request.volumes.map(q).join(' ')} --out ${q(bundle)}` : `ferry verify ${q(bundle)}`,
    push: (): string =>
      plan.images
        .map((img) => {
          const src = `oci:${join(bundle, IMAGES_DIR)}:${img.name}`;
          if (!request.registry) return `skopeo copy ${q(src)} ${q(`docker-daemon:${imageRef(img, undefined)}`)}`;
          const flags = [
            '--preserve-digests',
            ...(request.caFile ? [`--dest-cert-dir ${q(dirname(request.caFile))}`] : []),
            ...(request.username ? [`--dest-creds ${q(request.username)}`] : []),
            ...((request.insecureRegistries ?? []).length ? ['--dest-tls-verify=false'] : []),
          ];
          return `skopeo copy ${flags.join(' ')} ${q(src)} ${q(`docker://${imageRef(img, request.registry)}`)}`;
        })
        .join('\n'),
    models: (): string =>
      plan.models
        .map((m) => {
          const dest = modelDir(request.modelsDir, m.repo);
          return `mkdir -p ${q(dest)} && cp -a ${q(join(bundle, m.dir))}/. ${q(dest)}/ && (cd ${q(dest)} && sha256sum --check)`;
        })
        .join('\n'),
    preflight: (): string =>
      `${engine} info --format '{{json .Runtimes}}'\nnvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free --format=csv,noheader,nounits`,
    secrets: (): string => {
      const dir = secretsDir(dataDir, installId);
      const lines = (plan.recipe.install?.secrets ?? []).map((s) => {
        const file = q(join(dir, `${s.name}.key`));
        return `${GENRSA[s.kind]!.replace('FILE', file)} && chmod 600 ${file}`;
      });
      return [`install -d -m 0700 ${q(dir)}`, ...lines].join('\n');
    },
    files: (): string =>
      (plan.files ?? [])
        .map((f) => {
          const dest = filesDir(dataDir, installId, f.id);
          return `mkdir -p ${q(dest)} && cp -a ${q(join(bundle, f.dir))}/. ${q(dest)}/ && (cd ${q(dest)} && sha256sum --check)`;
        })
        .join('\n'),
    container: (c: ContainerSpec): string => {
      const img = plan.images.find((i) => i.id === c.image);
      const image = img ? imageRef(img, request.registry) : c.image;
      const network = networkName(plan.recipe.id);
      const volume = (v: string): string => volumeName(plan.recipe.id, v);
      const run = planContainer({ container: c, image, name: containerName(c.name), installId, ctx, engine, gpu: request.gpu ?? 'require', caFile: request.gitlabCaFile, network, namedVolume: volume }).command;
      const login = request.registry && request.username ? `${engine} login ${q(image.split('/')[0]!)} --username ${q(request.username)} --password-stdin\n` : '';
      const label = `--label ${LABEL_INSTALL}=${q(installId)}`;
      const prep = [
        `${engine} network inspect ${q(network)} >/dev/null 2>&1 || ${engine} network create ${label} ${q(network)}`,
        ...namedVolumesOf(c, ctx).map((v) => `${engine} volume create ${label} ${q(volume(v))}`),
        ...(c.dependsOn ?? []).flatMap((d) => {
          const dep = containers.find((x) => x.name === d);
          return dep?.health ? [`# wait until ${d} is healthy:\n${healthCommand(healthChecksFor(dep, ctx), containerName(d), engine).split('\n').map((l) => `until ${l} >/dev/null; do sleep 2; done`).join('\n')}`] : [];
        }),
      ];
      return `${login}${request.registry ? `${engine} pull ${q(image)}\n` : ''}${prep.join('\n')}\n${run}`;
    },
    health: (containers: ContainerSpec[]): string =>
      containers
        .flatMap((c) =>
          healthChecksFor(c, ctx).map((h) =>
            h.http ? `curl --fail --silent ${q(h.http)}${h.expectBody ? ` | grep --fixed-strings ${q(h.expectBody)}` : ''}` : `${engine} exec ${q(containerName(c.name))} ${(h.cmd ?? []).map(q).join(' ')}`,
          ),
        )
        .join('\n'),
    verifyStack: (checks: VerifySpec[]): string =>
      checks
        .map((v) => {
          const c = expandVerify(v, ctx);
          return `curl --fail --silent${c.method !== 'GET' ? ` -X ${c.method}` : ''}${c.body !== undefined ? ` -H 'Content-Type: application/json' -d ${q(c.body)}` : ''} ${q(c.url)}${c.expectBody ? ` | grep --fixed-strings ${q(c.expectBody)}` : ''}`;
        })
        .join('\n'),
    egress: (containers: ContainerSpec[]): string =>
      containers
        .flatMap((c) => [
          ...request.egress.outside.map((t) => `! ${engine} exec ${q(containerName(c.name))} nc -z -w 3 ${t.replace(/:(\d+)$/, ' $1')}   # must fail`),
          ...(request.egress.internal ?? []).map((t) => `${engine} exec ${q(containerName(c.name))} nc -z -w 3 ${hostPort(t).replace(/:(\d+)$/, ' $1')}   # must connect`),
        ])
        .join('\n'),
    outputs: (): string =>
      (plan.recipe.install?.outputs ?? [])
        .filter((o) => whenHolds(o.when, plan.params))
        .map((o) => `# ${o.label}: ${expandInstall(o.value, ctx, `install.outputs[${o.label}]`, 'display')}`)
        .join('\n'),
    agentConfig: (): string => {
      const path = join(installDir(dataDir, installId), AGENT_CONFIG_PATH);
      return `mkdir -p ${q(dirname(path))} && cat > ${q(path)}   # image: the executor in ${request.registry ?? 'the engine'}`;
    },
  };
}

/** `host:port` of a target given as host:port or an http(s) URL. */
export function hostPort(target: string): string {
  if (!/^https?:\/\//.test(target)) return target;
  const u = new URL(target);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}
