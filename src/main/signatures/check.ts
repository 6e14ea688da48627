import { FerryError } from '../../shared/errors';
import type { LockSignatureArtifact, LockSignatures } from '../recipes/lock-schema';
import type { RegistryClient } from '../registry/registry-client';
import { manifestLayers, SIGSTORE_BUNDLE_TYPES, verifyCosignKey, type BlobReader, type CheckVerdict, type SignatureArtifact } from './cosign';
import { discoverSignatures } from './discover';
import { decide, hasPolicy, type SignaturePolicy } from './policy';
import { verifySigstoreBundle } from './sigstore-bundle';
import type { SigstoreLogPolicy } from './sigstore-log-policy';

// One place that decides whether an image's signatures satisfy the policy: at resolve (with what
// the source registry holds) and at the offline verify (with what the bundle carries, no network).

const asArtifacts = (list: LockSignatureArtifact[]): SignatureArtifact[] =>
  list.map((a) => ({ digest: a.digest, mediaType: a.mediaType, ...(a.tag ? { tag: a.tag } : {}), ...(a.artifactType ? { artifactType: a.artifactType } : {}), manifest: Buffer.from(a.manifest, 'base64') }));

/** Reads blobs from the lock's inline copies (checked against their digests by the verifiers). */
export function inlineBlobs(list: LockSignatureArtifact[]): BlobReader {
  const byDigest = new Map<string, Buffer>();
  for (const a of list) for (const b of a.blobs) if (b.data) byDigest.set(b.digest, Buffer.from(b.data, 'base64'));
  return async (digest) => byDigest.get(digest);
}

/** Sigstore bundles among the artifacts, each verified for the image digest against identity and trusted root. */
export async function verifySigstoreArtifacts(artifacts: SignatureArtifact[], imageDigest: string, want: { identity: string; issuer: string; trustedRoot: string; logs?: SigstoreLogPolicy }, blob: BlobReader): Promise<CheckVerdict> {
  let trustedRoot: unknown;
  try {
    trustedRoot = JSON.parse(want.trustedRoot);
  } catch {
    return { ok: false, reason: 'the trusted root recorded with the policy is not JSON' };
  }
  const reasons: string[] = [];
  let candidates = 0;
  for (const a of artifacts) {
    const m = manifestLayers(a.manifest);
    const typed = a.artifactType !== undefined && SIGSTORE_BUNDLE_TYPES.includes(a.artifactType);
    for (const l of m?.layers ?? []) {
      if (!SIGSTORE_BUNDLE_TYPES.includes(l.mediaType) && !typed) continue;
      candidates++;
      const bytes = await blob(l.digest, l.size);
      let bundle: unknown;
      try {
        bundle = JSON.parse(bytes?.toString('utf8') ?? '');
      } catch {
        reasons.push(`bundle ${l.digest} is missing or not JSON`);
        continue;
      }
      const v = verifySigstoreBundle({ bundle, artifact: { digest: imageDigest }, identity: { subject: want.identity, issuer: want.issuer }, trustedRoot, ...(want.logs ? { logs: want.logs } : {}) });
      if (v.ok) return { ok: true, signer: v.signer, detail: `sigstore bundle in ${a.tag ?? a.digest}` };
      reasons.push(v.reason);
    }
  }
  if (candidates === 0) return { ok: false, reason: 'no Sigstore bundle found among the image\'s referrers' };
  return { ok: false, reason: `${candidates} Sigstore bundle(s) found, none valid for ${want.identity} (${want.issuer}): ${[...new Set(reasons)].join('; ')}` };
}

/** Re-checks a recorded verdict against the artifacts (resolve: inline blobs; offline: the bundle's layout). */
export async function checkRecorded(s: LockSignatures, imageDigest: string, blob: BlobReader): Promise<CheckVerdict> {
  if (s.verdict === 'not-required') return { ok: true, signer: 'none', detail: 'not required by the policy' };
  const artifacts = asArtifacts(s.artifacts);
  if (s.kind === 'cosign-key') {
    if (!s.publicKey) return { ok: false, reason: 'the recorded policy has no public key' };
    return verifyCosignKey(artifacts, imageDigest, s.publicKey, blob);
  }
  if (s.kind === 'sigstore-bundle') {
    if (!s.identity || !s.issuer || !s.trustedRoot) return { ok: false, reason: 'the recorded policy lacks identity, issuer or trusted root' };
    return verifySigstoreArtifacts(artifacts, imageDigest, { identity: s.identity, issuer: s.issuer, trustedRoot: s.trustedRoot, ...(s.logs ? { logs: s.logs } : {}) }, blob);
  }
  return { ok: false, reason: 'the recorded verdict names no signature kind' };
}

export interface SignedImage {
  source: string;
  registry: string;
  repository: string;
  digest: string;
}

/**
 * Applies the policy to one resolved image: finds its signatures in the source registry (through
 * `client`/`repo`, which may be a mirror), verifies what the policy requires, and returns the lock
 * record. A required signature that is missing or wrong throws, naming the image and the reason.
 */
export async function resolveSignatures(img: SignedImage, policy: SignaturePolicy | undefined, from: { client: RegistryClient; repository: string } | undefined, signal?: AbortSignal): Promise<LockSignatures | undefined> {
  if (!hasPolicy(policy)) return undefined;
  const d = decide(policy, img.registry, img.repository);
  const name = `${img.source} (${img.digest})`;
  if (d.require === 'refuse') {
    throw new FerryError(`Image ${name}: no signature policy rule matches ${img.registry}/${img.repository}, and this station refuses images no rule covers`, 'Add a rule for it (ferry signature-policy add, or signatures: in the recipe), with require: none where no signature is expected.');
  }
  const found = from ? await discoverSignatures(from.client, from.repository, img.digest, signal) : { artifacts: [], skipped: [] };
  if (d.require === 'none') return { policy: d.policy, verdict: 'not-required', artifacts: found.artifacts };
  const record: LockSignatures =
    d.require === 'cosign-key'
      ? { policy: d.policy, verdict: 'verified', kind: 'cosign-key', keyFingerprint: d.rule.keyFingerprint, publicKey: d.rule.publicKey, artifacts: found.artifacts }
      : { policy: d.policy, verdict: 'verified', kind: 'sigstore-bundle', identity: d.rule.identity, issuer: d.rule.issuer, trustedRoot: d.rule.trustedRoot, ...(d.rule.logs ? { logs: d.rule.logs } : {}), artifacts: found.artifacts };
  const v = from ? await checkRecorded(record, img.digest, inlineBlobs(found.artifacts)) : { ok: false as const, reason: 'a local image source carries no registry signatures' };
  if (!v.ok) throw new FerryError(`Image ${name}: the signature policy (${d.policy}) is not met: ${v.reason}`, 'Check that the image is signed with the expected key or identity, or change the signature policy for its repository.');
  return { ...record, signer: v.signer };
}

/**
 * A lock given as a file (`--lock`) was resolved elsewhere: its images must still meet the station's
 * rules. Each image a station rule requires a signature for must carry a verified record of that kind
 * (same key, or same identity and issuer) whose signatures check again here from the lock's own copies.
 */
export async function checkLockAgainstStation(images: (SignedImage & { from: string; signatures?: LockSignatures })[], station: SignaturePolicy['station'], unmatched: SignaturePolicy['unmatched']): Promise<void> {
  if (station.length === 0) return;
  const refused: string[] = [];
  for (const img of images) {
    const d = decide({ station, recipe: [], unmatched }, img.registry, img.repository);
    const s = img.signatures;
    const name = `Image ${img.source} (${img.digest})`;
    if (d.require === 'none') continue;
    if (d.require === 'refuse') {
      if (!s) refused.push(`${name}: no station rule covers it and the lock records no signature verdict`);
      continue;
    }
    const same = d.require === 'cosign-key' ? s?.kind === 'cosign-key' && s.keyFingerprint === d.rule.keyFingerprint : s?.kind === 'sigstore-bundle' && s.identity === d.rule.identity && s.issuer === d.rule.issuer;
    if (!s || s.verdict !== 'verified' || !same) {
      refused.push(`${name}: the lock does not record the signature the station requires (${d.policy})`);
      continue;
    }
    const v = await checkRecorded(s, img.digest, inlineBlobs(s.artifacts));
    if (!v.ok) refused.push(`${name}: ${v.reason}`);
  }
  if (refused.length > 0) throw new FerryError(`The lock does not meet this station's signature policy: ${refused.join(' | ')}`, 'Resolve the recipe again on this station, or change the station\'s signature policy.');
}
