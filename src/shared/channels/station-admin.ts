import { z } from 'zod';
import { channel } from '../contract';

// Station administration beyond onboarding: the station's name and location, the approval and
// antivirus policies, the image signature policy, syslog forwarding of the custody log. Changes
// need an admin once the station has one (stationAdmin, src/main/api/station-admin-access.ts).

export interface StationNameView {
  name?: string;
  location?: string;
  /** What custody records carry now: FERRY_STATION, else the configured name, else the host name. */
  effective: string;
}

export interface TrustPolicyView {
  requireApprovals: boolean;
  requiredApprovals: number;
  /** Where requireApprovals came from: an explicit setting, or the default (required once a key is pinned). */
  source: 'setting' | 'default';
  requireCleanAntivirus: boolean;
}

export interface SignatureRuleView {
  match: string;
  require: 'none' | 'cosign-key' | 'sigstore';
  keyFingerprint?: string;
  /** cosign-key: the PEM. */
  publicKey?: string;
  identity?: string;
  issuer?: string;
  /** sigstore: the trusted root JSON. */
  trustedRoot?: string;
  logs?: { tlogThreshold: number; ctlogThreshold: number };
}

export interface SignaturePolicyView {
  rules: SignatureRuleView[];
  /** What images no rule matches get while any rule is set (here or in the recipe). */
  unmatched: 'refuse' | 'none';
  /** Whether `unmatched` was set on this station (else the default). */
  unmatchedSet: boolean;
}

export interface SyslogView {
  /** tcp://HOST:PORT or tls://HOST:PORT; null when forwarding is off. */
  target: string | null;
  /** Events sent by this call (sendAll). */
  sent: number;
}

const text = (max = 4096) => z.string().max(max);
const ruleInput = z.strictObject({
  match: text(255).min(1),
  require: z.enum(['none', 'cosign-key', 'sigstore']),
  /** cosign-key: the PEM text. */
  publicKey: text(64 * 1024).optional(),
  identity: text(1024).optional(),
  issuer: text(1024).optional(),
  /** sigstore: the trusted root JSON text. */
  trustedRoot: z.string().max(4 << 20).optional(),
  logs: z.strictObject({ tlogThreshold: z.number().int().min(0).max(8), ctlogThreshold: z.number().int().min(0).max(8) }).optional(),
});

export const STATION_ADMIN_CHANNELS = {
  /** Show the station's name and location; with either given, set it (an admin). */
  'station:configure': channel(z.strictObject({ name: text(200).optional(), location: text(200).optional() })).returns<StationNameView>(),
  /** Show the approval and antivirus policies; with a field given, change it (an admin). */
  'trust:policy': channel(
    z.strictObject({
      /** 1 or 2 (checked with its own message by the handler: checkPolicyRequest). */
      requiredApprovals: z.union([text(8), z.number().int()]).optional(),
      /** on | off | auto */
      requireApprovals: text(8).optional(),
      requireCleanAntivirus: z.boolean().optional(),
    }),
  ).returns<TrustPolicyView>(),
  'signature-policy:show': channel(z.strictObject({})).returns<SignaturePolicyView>(),
  /** Exactly one change: add (or replace) the rule of a prefix, remove one, or set what unmatched images get. */
  'signature-policy:change': channel(
    z
      .strictObject({ add: ruleInput.optional(), remove: text(255).min(1).optional(), unmatched: z.enum(['refuse', 'none']).optional() })
      .refine((r) => [r.add, r.remove, r.unmatched].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of add, remove, unmatched', path: ['add'] }),
  ).returns<SignaturePolicyView>(),
  /** Show syslog forwarding; set or stop it (an admin); sendAll sends the whole log once to the configured collector. */
  'custody:syslog': channel(
    z
      .strictObject({ target: text(1024).min(1).optional(), caFile: text().min(1).optional(), off: z.boolean().optional(), sendAll: z.boolean().optional() })
      .refine((r) => !(r.target && r.off), { message: 'and off cannot both be given', path: ['target'] }),
  ).returns<SyslogView>(),
};
