import { z } from 'zod';
import { isSafePath } from '../bundle/safe-path';

// What the offline side already holds, exported as a small signed file (`ferry inventory
// export`) and carried to the connected side so a bundle can leave that content out.

export const INVENTORY_FORMAT = 'ferry.inventory.v1';
/** An inventory file larger than this is refused before it is parsed. */
export const MAX_INVENTORY_BYTES = 64 << 20;

const hex64 = z.string().regex(/^[a-f0-9]{64}$/, 'must be 64 lowercase hex characters');
const digest = z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be sha256:<64 hex>');
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const InventoryBlobSchema = z.strictObject({ digest, size });

/** One image manifest the registry serves: its config and layers. */
export const InventoryManifestSchema = z.strictObject({
  digest,
  mediaType: z.string().max(255),
  config: InventoryBlobSchema,
  layers: z.array(InventoryBlobSchema).max(1000),
});

export const InventoryRepositorySchema = z.strictObject({
  /** Repository path inside the registry, e.g. `duo/ai-gateway`. */
  name: z.string().min(1).max(255),
  tags: z.array(z.strictObject({ tag: z.string().min(1).max(128), digest })).max(100_000),
  manifests: z.array(InventoryManifestSchema).max(100_000),
});

export const InventoryModelSchema = z.strictObject({
  /** ORG/NAME: the folder under the models directory. */
  repo: z.string().min(1).max(255),
  files: z.array(z.strictObject({ path: z.string().min(1).max(4096).refine(isSafePath, 'must be a safe relative path'), size, sha256: hex64 })).max(100_000),
});

export const InventorySchema = z.strictObject({
  format: z.literal(INVENTORY_FORMAT),
  station: z.string().max(255),
  createdAt: z.string().max(64),
  /** HOST[:PORT][/PREFIX] the images were listed from. */
  registry: z.string().max(1024).optional(),
  repositories: z.array(InventoryRepositorySchema).max(100_000),
  /** The models directory the files were listed from, and what it holds. */
  modelsDir: z.string().max(4096).optional(),
  models: z.array(InventoryModelSchema).max(100_000),
  signer: z.strictObject({ name: z.string().min(1).max(128), role: z.string().max(32), fingerprint: hex64 }),
});
export type Inventory = z.infer<typeof InventorySchema>;
export type InventoryManifest = z.infer<typeof InventoryManifestSchema>;
export type InventoryRepository = z.infer<typeof InventoryRepositorySchema>;
export type InventoryModel = z.infer<typeof InventoryModelSchema>;

/** On media: the inventory, the signer's public key, and a detached signature over the inventory's canonical JSON. */
export const SignedInventorySchema = z.strictObject({
  inventory: InventorySchema,
  publicKey: z.string().max(64),
  signature: z.string().max(128),
});
export type SignedInventory = z.infer<typeof SignedInventorySchema>;
