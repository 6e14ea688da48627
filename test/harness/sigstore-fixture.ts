/**
 * A private Sigstore, generated for tests with node:crypto: a Fulcio-like CA, a Rekor-like
 * transparency log (inclusion promise + inclusion proof with a signed checkpoint), a CT log
 * (SCT embedded in the leaf certificate), and a timestamp authority (RFC 3161 tokens made by
 * `openssl ts`). `trustedRoot()` is the matching trusted root JSON (version 0.1).
 *
 * Everything follows the formats @sigstore/verify checks, so the verifier under test does all of
 * its real work: chain building, SCT over the precertificate, SET, Merkle proof, checkpoint.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bits,
  bool,
  certificate,
  extension,
  implicit,
  int,
  keyId,
  name,
  octets,
  oid,
  pem,
  seq,
  spki,
  tbsCertificate,
  utf8,
} from './sigstore-der';
import { tempDir } from './temp';

export const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
export const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';
const BUNDLE_V03 = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface SignOptions {
  /** SAN identity: an e-mail (rfc822Name) or, when it contains "://", a URI. */
  subject: string;
  /** OIDC issuer written into the Fulcio extension. */
  issuer: string;
  /** Which Fulcio issuer extension to write (default v2, 1.3.6.1.4.1.57264.1.8). */
  issuerOid?: 'v1' | 'v2';
  /** Record the signature in the Rekor-like log (default true). */
  tlog?: boolean;
  /** Embed an SCT from the CT log in the leaf (default true). */
  sct?: boolean;
  /** Add an RFC 3161 timestamp from the TSA (default false). */
  tsa?: boolean;
  /** Flip a bit of the signature before it is logged and bundled (log and bundle agree, the signature is bad). */
  corruptSignature?: boolean;
}

const b64 = (b: Buffer): string => b.toString('base64');
const sha256 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const ecKey = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'P-256' });

/** JSON with sorted keys and no whitespace (RFC 8785 for the values used here), as Rekor canonicalizes. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export class SigstoreFixture {
  readonly now = new Date(Math.floor(Date.now() / 1000) * 1000);
  private readonly ca = ecKey();
  private readonly caName: Buffer;
  readonly caCert: Buffer;
  private readonly rekor = ecKey();
  private readonly ctlog = ecKey();
  private readonly tsaRoot = ecKey();
  private readonly tsaLeaf = ecKey();
  private readonly tsaRootCert: Buffer;
  private readonly tsaLeafCert: Buffer;
  private readonly rekorOrigin = 'rekor.ferry.test';
  private serial = 1000n;

  /** `caCommonName` lets a second fixture impersonate the first CA's name with another key. */
  constructor(caCommonName = 'sigstore') {
    const day = 86_400_000;
    this.caName = name(caCommonName, 'sigstore.dev');
    this.caCert = this.caCertificate(this.caName, this.ca, new Date(this.now.getTime() - day), new Date(this.now.getTime() + 365 * day));
    const tsaRootName = name('ferry test TSA root');
    this.tsaRootCert = this.caCertificate(tsaRootName, this.tsaRoot, new Date(this.now.getTime() - day), new Date(this.now.getTime() + 365 * day));
    this.tsaLeafCert = certificate(
      tbsCertificate({
        serial: 77n,
        issuer: tsaRootName,
        subject: name('ferry test TSA'),
        notBefore: new Date(this.now.getTime() - day),
        notAfter: new Date(this.now.getTime() + 365 * day),
        publicKey: this.tsaLeaf.publicKey,
        extensions: [
          extension('2.5.29.15', true, bits(Buffer.from([0x80]), 7)), // digitalSignature
          extension('2.5.29.37', true, seq(oid('1.3.6.1.5.5.7.3.8'))), // timeStamping
          extension('2.5.29.35', false, seq(implicit(0, keyId(this.tsaRoot.publicKey)))),
          extension('2.5.29.14', false, octets(keyId(this.tsaLeaf.publicKey))),
        ],
      }),
      this.tsaRoot.privateKey,
    );
  }

  private caCertificate(subject: Buffer, key: { privateKey: KeyObject; publicKey: KeyObject }, notBefore: Date, notAfter: Date): Buffer {
    return certificate(
      tbsCertificate({
        serial: 1n,
        issuer: subject,
        subject,
        notBefore,
        notAfter,
        publicKey: key.publicKey,
        extensions: [
          extension('2.5.29.19', true, seq(bool(true), int(1))),
          extension('2.5.29.15', true, bits(Buffer.from([0x06]), 1)), // keyCertSign, cRLSign
          extension('2.5.29.14', false, octets(keyId(key.publicKey))),
        ],
      }),
      key.privateKey,
    );
  }

  /** Trusted root JSON (application/vnd.dev.sigstore.trustedroot+json;version=0.1). */
  trustedRoot(opts: { tlog?: boolean; ctlog?: boolean; tsa?: boolean } = {}): Record<string, unknown> {
    const start = new Date(this.now.getTime() - 86_400_000).toISOString();
    const logKey = (key: KeyObject, url: string) => ({
      baseUrl: url,
      hashAlgorithm: 'SHA2_256',
      publicKey: { rawBytes: b64(spki(key)), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
      logId: { keyId: b64(sha256(spki(key))) },
    });
    return {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: opts.tlog === false ? [] : [logKey(this.rekor.publicKey, `https://${this.rekorOrigin}`)],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.dev', commonName: 'sigstore' },
          uri: 'https://fulcio.ferry.test',
          certChain: { certificates: [{ rawBytes: b64(this.caCert) }] },
          validFor: { start },
        },
      ],
      ctlogs: opts.ctlog === false ? [] : [logKey(this.ctlog.publicKey, 'https://ctfe.ferry.test')],
      timestampAuthorities:
        opts.tsa === false
          ? []
          : [
              {
                subject: { organization: 'Ferry test', commonName: 'ferry test TSA' },
                uri: 'https://tsa.ferry.test',
                certChain: { certificates: [{ rawBytes: b64(this.tsaLeafCert) }, { rawBytes: b64(this.tsaRootCert) }] },
                validFor: { start },
              },
            ],
    };
  }

  /** A v0.3 bundle with a message signature over `data` (sha256, ECDSA P-256). */
  signMessage(data: Buffer, o: SignOptions): Record<string, unknown> {
    const { leaf, key } = this.leafCertificate(o);
    const signature = this.maybeCorrupt(sign('sha256', data, key), o);
    const digest = sha256(data);
    const body = {
      apiVersion: '0.0.1',
      kind: 'hashedrekord',
      spec: {
        data: { hash: { algorithm: 'sha256', value: digest.toString('hex') } },
        signature: { content: b64(signature), publicKey: { content: b64(Buffer.from(pem(leaf))) } },
      },
    };
    return {
      mediaType: BUNDLE_V03,
      verificationMaterial: this.verificationMaterial(leaf, signature, body, o),
      messageSignature: { messageDigest: { algorithm: 'SHA2_256', digest: b64(digest) }, signature: b64(signature) },
    };
  }

  /** A v0.3 bundle with a DSSE envelope holding an in-toto Statement v1 about `digestHex` (as cosign signs images). */
  signDsse(digestHex: string, o: SignOptions & { subjectName?: string }): Record<string, unknown> {
    const { leaf, key } = this.leafCertificate(o);
    const payloadType = 'application/vnd.in-toto+json';
    const payload = Buffer.from(
      JSON.stringify({
        _type: 'https://in-toto.io/Statement/v1',
        subject: [{ name: o.subjectName ?? 'registry.ferry.test/app', digest: { sha256: digestHex } }],
        predicateType: 'https://sigstore.dev/cosign/sign/v1',
        predicate: {},
      }),
    );
    const pae = Buffer.concat([
      Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `),
      payload,
    ]);
    const signature = this.maybeCorrupt(sign('sha256', pae, key), o);
    const envelope = { payload: b64(payload), payloadType, signatures: [{ sig: b64(signature), keyid: '' }] };
    const body = {
      apiVersion: '0.0.1',
      kind: 'dsse',
      spec: {
        envelopeHash: { algorithm: 'sha256', value: sha256(Buffer.from(canonical(envelope))).toString('hex') },
        payloadHash: { algorithm: 'sha256', value: sha256(payload).toString('hex') },
        signatures: [{ signature: b64(signature), verifier: b64(Buffer.from(pem(leaf))) }],
      },
    };
    return { mediaType: BUNDLE_V03, verificationMaterial: this.verificationMaterial(leaf, signature, body, o), dsseEnvelope: envelope };
  }

  private maybeCorrupt(signature: Buffer, o: SignOptions): Buffer {
    if (!o.corruptSignature) return signature;
    const bad = Buffer.from(signature);
    bad[bad.length - 3] ^= 0x01;
    return bad;
  }

  private verificationMaterial(leaf: Buffer, signature: Buffer, body: Record<string, unknown>, o: SignOptions): Record<string, unknown> {
    return {
      certificate: { rawBytes: b64(leaf) },
      tlogEntries: o.tlog === false ? [] : [this.logEntry(body)],
      timestampVerificationData: { rfc3161Timestamps: o.tsa ? [{ signedTimestamp: b64(this.timestamp(signature)) }] : [] },
    };
  }

  /** A Fulcio-like short-lived leaf: SAN, code signing, Fulcio issuer extension, optional embedded SCT. */
  private leafCertificate(o: SignOptions): { leaf: Buffer; key: KeyObject } {
    const key = ecKey();
    const issuerExt =
      o.issuerOid === 'v1'
        ? extension(FULCIO_ISSUER_V1, false, Buffer.from(o.issuer, 'ascii'))
        : extension(FULCIO_ISSUER_V2, false, utf8(o.issuer));
    const san = o.subject.includes('://') ? implicit(6, Buffer.from(o.subject, 'ascii')) : implicit(1, Buffer.from(o.subject, 'ascii'));
    const base = {
      serial: this.serial++,
      issuer: this.caName,
      subject: seq(),
      notBefore: new Date(this.now.getTime() - 60_000),
      notAfter: new Date(this.now.getTime() + 600_000),
      publicKey: key.publicKey,
    };
    const extensions = [
      extension('2.5.29.15', true, bits(Buffer.from([0x80]), 7)), // digitalSignature
      extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.3'))), // codeSigning
      extension('2.5.29.14', false, octets(keyId(key.publicKey))),
      extension('2.5.29.35', false, seq(implicit(0, keyId(this.ca.publicKey)))),
      extension('2.5.29.17', true, seq(san)),
      issuerExt,
    ];
    if (o.sct !== false) {
      // RFC 6962 §3.2: the SCT signs the TBS without the SCT extension, with the issuer key's hash.
      const precert = tbsCertificate({ ...base, extensions });
      const timestamp = Buffer.alloc(8);
      timestamp.writeBigUInt64BE(BigInt(this.now.getTime()));
      const lenU24 = Buffer.from([(precert.length >> 16) & 0xff, (precert.length >> 8) & 0xff, precert.length & 0xff]);
      const signed = Buffer.concat([
        Buffer.from([0, 0]),
        timestamp,
        Buffer.from([0, 1]),
        sha256(spki(this.ca.publicKey)),
        lenU24,
        precert,
        Buffer.from([0, 0]),
      ]);
      const sig = sign('sha256', signed, this.ctlog.privateKey);
      const sigLen = Buffer.alloc(2);
      sigLen.writeUInt16BE(sig.length);
      const sct = Buffer.concat([Buffer.from([0]), sha256(spki(this.ctlog.publicKey)), timestamp, Buffer.from([0, 0, 4, 3]), sigLen, sig]);
      const item = Buffer.concat([u16(sct.length), sct]);
      const list = Buffer.concat([u16(item.length), item]);
      extensions.push(extension(SCT_LIST, false, octets(list)));
    }
    return { leaf: certificate(tbsCertificate({ ...base, extensions }), this.ca.privateKey), key: key.privateKey };
  }

  /** A Rekor v1 entry at index 1 of a two-leaf log: inclusion promise (SET) and inclusion proof with a signed checkpoint. */
  private logEntry(body: Record<string, unknown>): Record<string, unknown> {
    const bodyBytes = Buffer.from(canonical(body));
    const logId = sha256(spki(this.rekor.publicKey));
    const integratedTime = Math.floor(this.now.getTime() / 1000);
    const logIndex = 1;
    const set = sign(
      'sha256',
      Buffer.from(canonical({ body: b64(bodyBytes), integratedTime, logIndex, logID: logId.toString('hex') })),
      this.rekor.privateKey,
    );
    const leaf0 = sha256(Buffer.from([0]), Buffer.from('an earlier entry'));
    const leaf1 = sha256(Buffer.from([0]), bodyBytes);
    const root = sha256(Buffer.from([1]), leaf0, leaf1);
    const note = `${this.rekorOrigin} - 1\n2\n${b64(root)}\n`;
    const noteSig = sign('sha256', Buffer.from(note), this.rekor.privateKey);
    const checkpoint = `${note}\n\u2014 ${this.rekorOrigin} ${b64(Buffer.concat([logId.subarray(0, 4), noteSig]))}\n`;
    const kind = body.kind as string;
    return {
      logIndex: String(logIndex),
      logId: { keyId: b64(logId) },
      kindVersion: { kind, version: '0.0.1' },
      integratedTime: String(integratedTime),
      inclusionPromise: { signedEntryTimestamp: b64(set) },
      inclusionProof: { logIndex: String(logIndex), rootHash: b64(root), treeSize: '2', hashes: [b64(leaf0)], checkpoint: { envelope: checkpoint } },
      canonicalizedBody: b64(bodyBytes),
    };
  }

  /** An RFC 3161 TimeStampResp (status + token, as Sigstore bundles carry it) over `signature`, made by `openssl ts -reply` with this fixture's TSA. */
  private timestamp(signature: Buffer): Buffer {
    const dir = tempDir('ferry-tsa-');
    try {
      const p = (f: string) => join(dir.path, f);
      writeFileSync(p('sig'), signature);
      writeFileSync(p('tsa.pem'), pem(this.tsaLeafCert));
      writeFileSync(p('tsa.key'), this.tsaLeaf.privateKey.export({ type: 'pkcs8', format: 'pem' }));
      writeFileSync(p('serial'), '01\n');
      writeFileSync(
        p('ts.cnf'),
        [
          '[ tsa ]',
          'default_tsa = tsa_config',
          '[ tsa_config ]',
          `serial = ${p('serial')}`,
          'default_policy = 1.3.6.1.4.1.57264.2',
          'digests = sha256',
          'signer_digest = sha256',
          'accuracy = secs:1',
          'ess_cert_id_alg = sha256',
          '',
        ].join('\n'),
      );
      execFileSync('openssl', ['ts', '-query', '-data', p('sig'), '-sha256', '-no_nonce', '-out', p('req.tsq')], { stdio: 'pipe' });
      execFileSync('openssl', [
        'ts', '-reply', '-config', p('ts.cnf'), '-queryfile', p('req.tsq'),
        '-signer', p('tsa.pem'), '-inkey', p('tsa.key'), '-out', p('token.der'),
      ], { stdio: 'pipe' });
      return readFileSync(p('token.der'));
    } finally {
      dir.cleanup();
    }
  }
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}
