import { z } from 'zod';
import { isSafePath } from '../bundle/safe-path';

/** The offline kit: a folder that runs Ferry on a Linux host with nothing installed (docs/offline-kit.md). */
export const KIT_FORMAT = 'ferry.kit.v1';
/** kit.json: the kit's own manifest, at the kit's root; its sha256 is "the kit's digest". */
export const KIT_FILE = 'kit.json';
/** Where a media set carries the kit: `<volume 1>/ferry/` (so `<volume>/ferry/ferry verify …` runs it). */
export const KIT_DIR = 'ferry';
/** The launcher inside the kit folder. */
export const KIT_LAUNCHER = 'ferry';
export const KIT_PLATFORMS = ['linux/amd64', 'linux/arm64'] as const;
export type KitPlatform = (typeof KIT_PLATFORMS)[number];
/** A kit.json larger than this is refused before it is read. */
export const MAX_KIT_JSON_BYTES = 4 << 20;

const sha256Hex = z.string().regex(/^[a-f0-9]{64}$/, 'must be 64 lowercase hex characters');
const size = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const KitFileSchema = z.strictObject({
  /** Relative to the kit folder, e.g. `node/bin/node`, `app/cli.cjs`, `LICENSES/node.txt`. */
  path: z.string().refine(isSafePath, 'must be a relative path without .., absolute parts or characters FAT/NTFS reject'),
  size,
  sha256: sha256Hex,
  /** True for the launcher and the node binary. */
  executable: z.boolean().optional(),
});

export const KitManifestSchema = z.strictObject({
  format: z.literal(KIT_FORMAT),
  ferry: z.strictObject({ version: z.string().max(64), commit: z.string().max(64) }),
  platform: z.enum(KIT_PLATFORMS),
  node: z.strictObject({ version: z.string().max(32), source: z.string().max(255) }),
  builtAt: z.string().max(64),
  /** The JavaScript file the launcher starts (checks the kit, then loads the CLI). */
  entry: z.string().refine(isSafePath),
  files: z.array(KitFileSchema).min(1).max(10_000),
});

export type KitFile = z.infer<typeof KitFileSchema>;
export type KitManifest = z.infer<typeof KitManifestSchema>;

/** What the rest of Ferry shows about a kit (review document, volume label, `ferry --version`). */
export interface KitSummary {
  version: string;
  commit: string;
  platform: KitPlatform;
  nodeVersion: string;
  /** sha256 (hex) of kit.json's bytes. */
  sha256: string;
  files: number;
  bytes: number;
}
