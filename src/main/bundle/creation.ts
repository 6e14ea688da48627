import { hostname, userInfo } from 'node:os';
import { UsageError } from '../../shared/errors';
import { fingerprintOf, formatFingerprint, verifyWith } from '../identity/keys';
import { canonicalJson } from './canonical-json';
import type { BundleManifest } from './manifest-schema';

/** Signature context of a bundle's creation (Ed25519 over the manifest's canonical JSON without the signature). */
export const CREATION_SIG = 'ferry.bundle.creation.v1';

/** Who creates: an unlocked identity (name, role, key). */
export interface Creator {
  name: string;
  role: string;
  fingerprint: string;
  publicKey: string;
  sign(context: string, message: Buffer | string): string;
}

export type CreationVerdict =
  | { signed: true; name: string; role: string; fingerprint: string }
  | { signed: false; reason: string };

/** The OS user and host that ran Ferry: context only, never who acted. */
export function hostContext(): { osUser: string; host: string } {
  let osUser = 'unknown';
  try {
    osUser = userInfo().username;
  } catch {
    /* no passwd entry */
  }
  return { osUser, host: hostname() };
}

/** manifest.createdBy for `creator` at `station` (unsigned until signCreation). */
export function createdByOf(creator: Creator | undefined, station: string, context = hostContext()): BundleManifest['createdBy'] {
  if (!creator) return { actor: context.osUser, station, context };
  return { actor: creator.name, station, role: creator.role, creatorFingerprint: creator.fingerprint, publicKey: creator.publicKey, context };
}

function signedBytes(manifest: BundleManifest): string {
  const { signature: _sig, ...createdBy } = manifest.createdBy;
  return canonicalJson({ ...manifest, createdBy });
}

/** Returns the manifest with createdBy.signature: the creator's Ed25519 signature over everything else in it. */
export function signCreation(manifest: BundleManifest, creator: Creator): BundleManifest {
  if (manifest.createdBy.creatorFingerprint !== creator.fingerprint) throw new Error('signCreation: createdBy does not name this creator');
  return { ...manifest, createdBy: { ...manifest.createdBy, signature: creator.sign(CREATION_SIG, signedBytes(manifest)) } };
}

/** Whether a named identity signed this manifest as its creator, and if not, why. */
export function creationVerdict(manifest: BundleManifest): CreationVerdict {
  const c = manifest.createdBy;
  if (!c.signature || !c.publicKey || !c.creatorFingerprint) {
    const who = c.context ? `OS user ${c.context.osUser} on ${c.context.host}` : `"${c.actor}"`;
    return { signed: false, reason: `created without an identity (${who}); its creation is not signed` };
  }
  if (fingerprintOf(c.publicKey) !== c.creatorFingerprint) return { signed: false, reason: "the creator's public key does not match the creator fingerprint in the manifest" };
  if (!verifyWith(c.publicKey, CREATION_SIG, signedBytes(manifest), c.signature)) {
    return { signed: false, reason: 'the creation signature does not verify: the manifest was changed after it was created' };
  }
  return { signed: true, name: c.actor, role: c.role ?? 'operator', fingerprint: c.creatorFingerprint };
}

const RECREATE = 'Create the bundle again as a named identity: sign in in the app and create it, or run "ferry bundle create --as NAME …".';

/**
 * The two-person rule, by key: refuses when the creation is not signed by an identity, or
 * when the approver's key is the creator's. Names are never compared.
 */
export function assertMayApprove(manifest: BundleManifest, approver: { name: string; fingerprint: string }): CreationVerdict & { signed: true } {
  const v = creationVerdict(manifest);
  if (!v.signed) {
    throw new UsageError(`Bundle ${manifest.bundleId} cannot be approved: ${v.reason}, so the two-person rule cannot be checked.`, RECREATE);
  }
  if (v.fingerprint === approver.fingerprint) {
    throw new UsageError(
      `two-person rule: ${v.name} created this bundle and cannot approve it (the approving key ${formatFingerprint(v.fingerprint).slice(0, 26)}… is the creator's).`,
      'Another reviewer, signed in with their own identity, must approve it.',
    );
  }
  return v;
}

/** Why an approval by `fingerprint` does not count against this manifest's creation, or undefined when it may count. */
export function approvalProblem(manifest: BundleManifest, fingerprint: string): string | undefined {
  const v = creationVerdict(manifest);
  if (!v.signed) return `the bundle's creation is not signed by an identity (${v.reason}); no approval counts`;
  if (v.fingerprint === fingerprint) return `creator self-approval: ${v.name} created this bundle with this key (two-person rule)`;
  return undefined;
}
