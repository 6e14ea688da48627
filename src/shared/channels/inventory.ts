import { z } from 'zod';
import { channel } from '../contract';

// Delta bundles: the offline side lists what it holds as a signed inventory file; the connected
// side checks it against its pinned keys before leaving that content out of a bundle.

export interface InventorySigner {
  name: string;
  role: string;
  fingerprint: string;
}

export interface InventoryExportView {
  /** The file written (absolute). */
  out: string;
  /** Size of the file written. */
  bytes: number;
  sha256: string;
  repositories: number;
  manifests: number;
  models: number;
  modelFiles: number;
  signer: InventorySigner;
}

export interface InventoryCheckView {
  sha256: string;
  station: string;
  createdAt: string;
  signer: InventorySigner;
  registry?: string;
  repositories: { name: string; tags: number; manifests: number }[];
  models: { repo: string; files: number }[];
}

const text = (max = 4096) => z.string().max(max);

export const INVENTORY_CHANNELS = {
  /** List the internal registry (under a prefix) and/or a models folder, signed by the caller, into the file `out`. */
  'inventory:export': channel(
    z
      .strictObject({
        registry: text(1024).min(1).optional(),
        caFile: text().min(1).optional(),
        username: text(256).optional(),
        /** For this export only (never stored). */
        password: z.string().max(4096, 'is too long').optional(),
        insecureRegistries: z.array(text(1024)).max(100).optional(),
        modelsDir: text().min(1).optional(),
        out: text().min(1),
      })
      .refine((r) => Boolean(r.registry || r.modelsDir), { message: 'or modelsDir must be given: nothing to list', path: ['registry'] }),
  ).returns<InventoryExportView>(),
  /** Check an inventory's signature against the keys pinned here, and summarise it. */
  'inventory:check': channel(z.strictObject({ file: text().min(1) })).returns<InventoryCheckView>(),
};
