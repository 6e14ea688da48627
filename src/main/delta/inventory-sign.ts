import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { parseMediaJson, readMediaFile } from '../io/media-file';
import { FerryError, UsageError } from '../../shared/errors';
import { canonicalJson } from '../bundle/canonical-json';
import type { ActingIdentity } from '../identity/identity-store';
import { fingerprintOf, formatFingerprint, verifyWith } from '../identity/keys';
import type { TrustLookup } from '../identity/trust-store';
import { MAX_INVENTORY_BYTES, SignedInventorySchema, type Inventory, type SignedInventory } from './inventory-schema';

/** Signature context for inventories: a signature made for anything else never verifies here. */
export const INVENTORY_SIG = 'ferry.delta.inventory.v1';

export function signInventory(inventory: Inventory, acting: ActingIdentity): SignedInventory {
  if (inventory.signer.fingerprint !== acting.fingerprint) throw new FerryError(`The inventory names signer ${inventory.signer.name}, not ${acting.name}.`);
  return { inventory, publicKey: acting.publicKey, signature: acting.sign(INVENTORY_SIG, canonicalJson(inventory)) };
}

/** The file as written: canonical JSON and a newline. */
export function inventoryFileBytes(signed: SignedInventory): Buffer {
  return Buffer.from(`${canonicalJson(signed)}\n`);
}

export interface ReadInventory {
  signed: SignedInventory;
  /** sha256 (hex) of the file's bytes, recorded in the delta bundle's manifest. */
  sha256: string;
}

/** Reads an inventory file as hostile input: a regular file, bounded, JSON, schema-checked. */
export async function readInventoryFile(path: string): Promise<ReadInventory> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) throw new UsageError(`Inventory ${path} does not exist.`, 'Export it on the offline side with "ferry inventory export" and bring it over after review.');
  if (!st.isFile()) throw new FerryError(`Inventory ${path} is not a regular file.`);
  if (st.size > MAX_INVENTORY_BYTES) throw new FerryError(`Inventory ${path} is ${st.size} bytes, over the ${MAX_INVENTORY_BYTES}-byte limit.`);
  const bytes = await readMediaFile(dirname(path), basename(path), 'inventory', { label: path });
  let json: unknown;
  try {
    json = parseMediaJson(bytes, path);
  } catch {
    throw new FerryError(`Inventory ${path} is not valid JSON.`, 'Use the file "ferry inventory export" wrote, unchanged.');
  }
  const parsed = SignedInventorySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FerryError(`Inventory ${path} is not a Ferry inventory (field ${issue.path.join('.') || '(root)'}: ${issue.message}).`, 'Use the file "ferry inventory export" wrote, unchanged.');
  }
  return { signed: parsed.data, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Why the signature is not acceptable on this station, or undefined when it is. */
export function inventorySignatureProblem(signed: SignedInventory, trust: TrustLookup): string | undefined {
  const { signer } = signed.inventory;
  if (fingerprintOf(signed.publicKey) !== signer.fingerprint) return `bad signature: the enclosed key is not the fingerprint of signer ${signer.name}`;
  if (!verifyWith(signed.publicKey, INVENTORY_SIG, canonicalJson(signed.inventory), signed.signature)) return 'bad signature: the signature does not verify (the inventory was changed after it was signed)';
  const pinned = trust(signer.fingerprint);
  if (!pinned) return `signed by ${signer.name} (${formatFingerprint(signer.fingerprint)}), whose key is not pinned on this station`;
  if (pinned.revokedAt) return `signed by ${signer.name} (${formatFingerprint(signer.fingerprint)}), whose key was revoked on ${pinned.revokedAt}`;
  if (pinned.publicKey !== signed.publicKey) return `bad signature: the enclosed key differs from the pinned key of ${pinned.name}`;
  return undefined;
}

/** Reads and checks an inventory against the pinned keys; refuses with the reason. */
export async function readTrustedInventory(path: string, trust: TrustLookup, consequence = 'nothing was bundled'): Promise<ReadInventory> {
  const read = await readInventoryFile(path);
  const problem = inventorySignatureProblem(read.signed, trust);
  if (problem) {
    const unpinned = problem.includes('not pinned');
    throw new FerryError(
      `Inventory ${path} refused: ${problem}; ${consequence}.`,
      unpinned
        ? 'Pin the offline signer\'s key with "ferry trust add KEYFILE --confirm FINGERPRINT" after comparing the fingerprint with its owner.'
        : 'Export the inventory again on the offline side and carry the file unchanged.',
      'InventoryRefused',
    );
  }
  return read;
}
