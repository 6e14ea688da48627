import { z } from 'zod';
import type { InvokeChannel } from '../../shared/api';

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
};
