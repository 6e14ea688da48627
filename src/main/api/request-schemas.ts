import { z } from 'zod';
import type { InvokeChannel } from '../../shared/api';
import type { InstallInvokeApi } from '../../shared/api-install';
import { OVERRIDE_SCHEMAS, REVIEW_SCHEMAS } from '../review/review-schemas';
import { ONBOARDING_SCHEMAS } from './onboarding-handlers';
import { CHANNELS } from '../../shared/channels';
import { schemasOf } from '../../shared/contract';

// Every request that crosses a transport is validated here before a service sees it.
const text = (max = 4096) => z.string().max(max);
const list = z.array(text(1024)).max(1000);

// Install channels (src/shared/api-install.ts). The registry password is length-checked only, never echoed.
const installSource = { dir: text().min(1).optional(), volumes: list.min(1).optional() };
const hasSource = (r: { dir?: string; volumes?: string[] }): boolean => Boolean(r.dir) !== Boolean(r.volumes?.length);
const SOURCE_MESSAGE = { message: 'or volumes must be given, not both (a bundle folder, or the mounted volumes of a split bundle)', path: ['dir'] };
const INSTALL_SCHEMAS = {
  'install:inspect': z.strictObject(installSource).refine(hasSource, SOURCE_MESSAGE),
  'install:plan': z
    .strictObject({
      ...installSource,
      registry: text(1024).optional(),
      caFile: text().optional(),
      username: text(256).optional(),
      password: z.string().max(4096, 'is too long').optional(),
      insecureRegistries: list.optional(),
      dockerHost: text(1024).optional(),
      modelsDir: text().min(1),
      params: z.record(text(64), z.union([text(1024), z.boolean()])).optional(),
      gitlabCaFile: text().optional(),
      gpu: z.enum(['require', 'none']).optional(),
      egress: z.strictObject({ outside: z.array(text(1024)).max(100), internal: z.array(text(1024)).max(100).optional() }),
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
      healthTimeout: z.number().int().min(1).max(86_400).optional(),
      allow: z.array(text(1024)).max(100).optional(),
    })
    .refine(hasSource, SOURCE_MESSAGE),
  'install:get': z.strictObject({ installId: text(64).min(1) }),
  'install:list': z.object({}),
  'install:run': z.strictObject({ installId: text(64).min(1), stepId: text(128).min(1).optional(), password: z.string().max(4096, 'is too long').optional() }),
  'install:undo': z.strictObject({ installId: text(64).min(1), stepId: text(128).min(1) }),
  'install:preflight': z.strictObject({ dockerHost: text(1024).optional(), neededBytes: z.number().int().min(0).optional() }),
} satisfies Record<keyof InstallInvokeApi, z.ZodType>;

export const REQUEST_SCHEMAS: Record<InvokeChannel, z.ZodType> = {
  ...schemasOf(CHANNELS),
  'app:info': z.object({}),
  'bundle:create': z.strictObject({
    images: list,
    models: list,
    outDir: text().min(1),
    hubUrl: text(1024).optional(),
    platform: text(64).optional(),
    insecureRegistries: list.optional(),
    recipe: text(1024).optional(),
    params: z.record(text(64), text(1024)).optional(),
    mirrors: list.optional(),
    lockFile: text().optional(),
    ollama: list.optional(),
    files: list.optional(),
    hfCache: text().optional(),
    ollamaDir: text().optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    inventory: text().optional(),
    releaseNotes: text().optional(),
    migrationGuide: text().optional(),
  }),
  'bundle:verify': z.strictObject({ dir: text().min(1) }),
  'bundle:import': z.strictObject({
    dir: text().min(1),
    registry: text(1024).optional(),
    caFile: text().optional(),
    username: text(256).optional(),
    password: text(4096).optional(),
    insecureRegistries: list.optional(),
    docker: z.boolean().optional(),
    dockerHost: text(1024).optional(),
    modelsDir: text().optional(),
    ollamaModels: text().optional(),
    ollamaUrl: text(1024).optional(),
  }),
  'job:list': z.object({}),
  'job:get': z.strictObject({ id: z.uuid() }),
  'job:cancel': z.strictObject({ id: z.uuid() }),
  'custody:list': z.strictObject({ bundleId: text(64).optional(), limit: z.number().int().min(1).max(10_000).optional() }),
  ...REVIEW_SCHEMAS,
  ...OVERRIDE_SCHEMAS,
  ...INSTALL_SCHEMAS,
  ...ONBOARDING_SCHEMAS,
  'media:detect': z.object({}),
  'media:plan': z.strictObject({ dir: text().min(1), volumeSize: text(256).min(1), fs: text(16).optional(), kit: z.boolean().optional(), kitDir: text().min(1).optional() }),
  'media:write': z.strictObject({ dir: text().min(1), targets: list.min(1), volumeSize: text(256).optional(), fs: text(16).optional(), unapprovedReason: text(2000).optional(), kit: z.boolean().optional(), kitDir: text().min(1).optional() }),
  'media:verify': z.strictObject({ dirs: list.min(1) }),
  'settings:get': z.object({}),
  'settings:set': z.strictObject({ mirrors: list.max(100).optional(), requireCleanAntivirus: z.boolean().optional() }),
  'credentials:list': z.object({}),
  'credentials:set': z.strictObject({ registry: text(255).min(1), username: text(256).min(1), password: z.string().min(1, 'is empty').max(4096, 'is too long') }),
  'credentials:remove': z.strictObject({ registry: text(255).min(1) }),
  'recipe:list': z.object({}),
  'recipe:show': z.strictObject({ id: text(1024).min(1) }),
  'recipe:resolve': z.strictObject({
    recipe: text(1024).min(1),
    params: z.record(text(64), text(1024)).optional(),
    platform: text(64).optional(),
    hubUrl: text(1024).optional(),
    mirrors: list.optional(),
    insecureRegistries: list.optional(),
    hfCache: text().optional(),
    ollamaDir: text().optional(),
  }),
};
