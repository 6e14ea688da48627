import { createPublicKey, verify } from 'node:crypto';
import { dsse } from '@sigstore/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { publicKeyPem, SIG, verifyWith } from '../../src/main/identity/keys';
import { INTOTO_PAYLOAD_TYPE, openEnvelope, pae, signEnvelope } from '../../src/main/review/dsse';
import { PASS, station, temp, type Station } from './custody-fixtures';

let t: ReturnType<typeof temp>;
let s: Station;
beforeEach(() => {
  t = temp();
  s = station(t.path, 'low');
  s.ids.create('rita', 'reviewer', PASS);
  s.ids.create('ray', 'reviewer', PASS);
});
afterEach(() => {
  s.close();
  t.cleanup();
});

const payload = Buffer.from('{"_type":"https://in-toto.io/Statement/v1"}');

describe('DSSE envelopes signed with an identity key', () => {
  it('builds the PAE of the DSSE v1 spec, lengths in bytes', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    expect(pae('t/ü', Buffer.from('é')).toString()).toBe('DSSEv1 4 t/ü 2 é');
    expect(pae('', Buffer.alloc(0)).toString()).toBe('DSSEv1 0  0 ');
    // and agrees with Sigstore's own implementation byte for byte
    for (const [type, body] of [[INTOTO_PAYLOAD_TYPE, payload], ['t/ü', Buffer.from('é')]] as const) expect(pae(type, body).equals(dsse.preAuthEncoding(type, body))).toBe(true);
  });

  it('signs the PAE bytes as they are: a plain Ed25519 verify over the PAE accepts the signature', () => {
    const rita = s.ids.unlock('rita', PASS);
    const env = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, rita);
    expect(env).toEqual({ payloadType: INTOTO_PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid: rita.fingerprint, sig: expect.any(String) }] });
    const key = createPublicKey(publicKeyPem(rita.publicKey));
    expect(verify(null, pae(INTOTO_PAYLOAD_TYPE, payload), key, Buffer.from(env.signatures[0]!.sig, 'base64'))).toBe(true);
    expect(openEnvelope(env, rita)).toEqual({ payload });
  });

  it('names what is wrong: changed payload, payload type, another key, no signature for the key', () => {
    const rita = s.ids.unlock('rita', PASS);
    const ray = s.ids.unlock('ray', PASS);
    const env = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, rita);
    const other = Buffer.from(payload.toString().replace('v1', 'v2'));
    expect(openEnvelope({ ...env, payload: other.toString('base64') }, rita)).toEqual({ problem: 'the DSSE signature does not verify' });
    expect(openEnvelope({ ...env, payloadType: 'application/json' }, rita)).toEqual({ problem: 'the DSSE signature does not verify' });
    const byRay = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, ray);
    expect(openEnvelope({ ...env, signatures: [{ keyid: rita.fingerprint, sig: byRay.signatures[0]!.sig }] }, rita)).toEqual({ problem: 'the DSSE signature does not verify' });
    expect(openEnvelope(byRay, rita)).toEqual({ problem: expect.stringMatching(/^no signature with keyid [a-f0-9]{16}…$/) });
    expect(openEnvelope({ ...env, payload: `${env.payload}\n` }, rita)).toEqual({ problem: 'the payload is not canonical base64' });
  });

  it('keeps DSSE and Ferry\'s framed signatures apart: neither verifies as the other, and only a real PAE is signed bare', () => {
    const rita = s.ids.unlock('rita', PASS);
    const bytes = pae(INTOTO_PAYLOAD_TYPE, payload);
    const framed = rita.sign(SIG.statement, bytes);
    const bare = rita.sign(SIG.dssePae, bytes);
    expect(verifyWith(rita.publicKey, SIG.dssePae, bytes, framed)).toBe(false);
    expect(verifyWith(rita.publicKey, SIG.statement, bytes, bare)).toBe(false);
    expect(verifyWith(rita.publicKey, SIG.dssePae, bytes, bare)).toBe(true);
    expect(() => rita.sign(SIG.dssePae, '{"decision":"approve"}')).toThrow(/Not a DSSE v1 pre-authentication encoding/);
    expect(() => rita.sign(SIG.dssePae, Buffer.concat([bytes, Buffer.from('x')]))).toThrow(/Not a DSSE v1/);
    expect(() => rita.sign(SIG.dssePae, 'DSSEv1 99 a 1 b')).toThrow(/Not a DSSE v1/);
  });
});
