import { z } from 'zod';
import { channel } from '../contract';
import type { JobInfo } from '../api';
import type { GpuPreflightView, InstallInspectView, InstallView } from '../api-install';
import { list, none, secret, text } from './fields';

// The offline side's guided install: a recipe's install steps, run one by one, each showing the
// equivalent command first. The registry password is length-checked only, never echoed or stored.

/** A bundle folder, or the mounted volumes of a split bundle (any order): exactly one. */
const installSource = { dir: text().min(1).optional(), volumes: list.min(1).optional() };
const hasSource = (r: { dir?: string; volumes?: string[] }): boolean => Boolean(r.dir) !== Boolean(r.volumes?.length);
const SOURCE_MESSAGE = { message: 'or volumes must be given, not both (a bundle folder, or the mounted volumes of a split bundle)', path: ['dir'] };
const installId = text(64).min(1);

export const installPlanRequest = z
  .strictObject({
    ...installSource,
    /** Internal registry and prefix, e.g. registry.internal.example.com/duo. Absent: images are loaded into the engine. */
    registry: text(1024).optional(),
    caFile: text().optional(),
    username: text(256).optional(),
    password: secret().optional(),
    insecureRegistries: list.optional(),
    /** Docker or Podman socket (unix:///run/podman/podman.sock); default DOCKER_HOST or the local socket. */
    dockerHost: text(1024).optional(),
    /** Where model weights are placed, e.g. /data/models. */
    modelsDir: text().min(1),
    /** Install-stage parameters (gitlab_domain, ai_gateway_host, …) and overrides. */
    params: z.record(text(64), z.union([text(1024), z.boolean()])).optional(),
    /** A private CA bundle GitLab's certificate chains to: mounted and set as REQUESTS_CA_BUNDLE / SSL_CERT_FILE. */
    gitlabCaFile: text().optional(),
    /** GPU use: 'require' (default; refuses without GPUs) or 'none' (stand-ins and CPU-only tests: no device requests). */
    gpu: z.enum(['require', 'none']).optional(),
    egress: z.strictObject({
      /** host:port targets that must be unreachable from every container (no default in tests: always set). */
      outside: z.array(text(1024)).max(100),
      /** host:port or http(s) URLs that must be reachable from every container. */
      internal: z.array(text(1024)).max(100).optional(),
    }),
    /** Agent Platform flow execution (GitLab Duo recipe): optional setup_script and cache for agent-config.yml. */
    agentConfig: z
      .strictObject({
        setupScript: z.array(text(4096)).max(100).optional(),
        cache: z
          .strictObject({
            key: z.union([text(1024), z.strictObject({ files: z.array(text(1024)).min(1).max(2), prefix: text(256).optional() })]).optional(),
            paths: z.array(text(1024)).min(1).max(100),
          })
          .optional(),
      })
      .optional(),
    /** Seconds to wait for each container's health checks (default 600: vLLM loads weights for minutes). */
    healthTimeout: z.number().int().min(1).max(86_400).optional(),
    /** The admin's exact allowances for what reaches beyond the stack (`mount:/path`, `target:host:port`); recorded in custody. */
    allow: z.array(text(1024)).max(100).optional(),
  })
  .refine(hasSource, SOURCE_MESSAGE);

export const INSTALL_CHANNELS = {
  /** Reads the bundle's recipe (recipe.yaml, checked against lock.json) and lists the parameters to fill in. */
  'install:inspect': channel(z.strictObject(installSource).refine(hasSource, SOURCE_MESSAGE)).returns<InstallInspectView>(),
  /** Reads the bundle's recipe and lock and lays out the steps (nothing runs); missing required parameters are named. */
  'install:plan': channel(installPlanRequest).returns<InstallView>(),
  'install:get': channel(z.strictObject({ installId })).returns<InstallView>(),
  'install:list': channel(none).returns<InstallView[]>(),
  /** Runs one step, or (no stepId) every step from the first not done, stopping at a failure. */
  'install:run': channel(z.strictObject({ installId, stepId: text(128).min(1).optional(), password: secret().optional() })).returns<JobInfo>(),
  /** removeVolumes: also remove the container's named volumes (their data is lost). */
  'install:undo': channel(z.strictObject({ installId, stepId: text(128).min(1), removeVolumes: z.boolean().optional() })).returns<JobInfo>(),
  'install:preflight': channel(z.strictObject({ dockerHost: text(1024).optional(), neededBytes: z.number().int().min(0).optional() })).returns<GpuPreflightView>(),
};
