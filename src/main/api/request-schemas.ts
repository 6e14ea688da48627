import { z } from 'zod';
import type { InvokeChannel } from '../../shared/api';
import { REVIEW_SCHEMAS } from '../review/review-schemas';

// Every request that crosses a transport is validated here before a service sees it.
const text = (max = 4096) => z.string().max(max);
const list = z.array(text(1024)).max(1000);

export const REQUEST_SCHEMAS: Record<InvokeChannel, z.ZodType> = {
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
  }),
  'job:list': z.object({}),
  'job:get': z.strictObject({ id: z.uuid() }),
  'job:cancel': z.strictObject({ id: z.uuid() }),
  'custody:list': z.strictObject({ bundleId: text(64).optional(), limit: z.number().int().min(1).max(10_000).optional() }),
  ...REVIEW_SCHEMAS,
  'media:detect': z.object({}),
  'media:plan': z.strictObject({ dir: text().min(1), volumeSize: text(256).min(1), fs: text(16).optional() }),
  'media:write': z.strictObject({ dir: text().min(1), targets: list.min(1), volumeSize: text(256).optional(), fs: text(16).optional() }),
  'media:verify': z.strictObject({ dirs: list.min(1) }),
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
