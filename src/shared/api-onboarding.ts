// Onboarding and station administration in the app: first launch (station name, location,
// first admin identity), then what an admin does in Settings (identities, station, approval
// policy) and exporting a public key. The same service functions back `ferry identity …` and
// `ferry trust policy` (src/main/identity/station-admin.ts).
import type { IdentityView } from './api-review';

export interface StationView {
  /** Configured name (Settings or `ferry identity station`). */
  name?: string;
  location?: string;
  /** What custody records carry now: FERRY_STATION, else the configured name, else the host name. */
  effective: string;
  /** FERRY_STATION is set for this process and wins over the configured name. */
  fromEnvironment: boolean;
}

export interface PolicyView {
  /** Whether import refuses a bundle without enough verified approvals. */
  requireApprovals: boolean;
  /** Distinct pinned reviewers needed (1 or 2). */
  requiredApprovals: number;
  /** on / off: set explicitly; auto: required once any key has been pinned. */
  mode: 'on' | 'off' | 'auto';
}

export interface OnboardingStatus {
  /** First launch: no identity and no station name yet. The app shows the setup form. */
  needsSetup: boolean;
  /** The station has no admin identity yet: `onboarding:setup` may create the first one. */
  canCreateFirstAdmin: boolean;
  identities: number;
  hasAdmin: boolean;
  station: StationView;
  policy: PolicyView;
}

export interface SetupRequest {
  stationName: string;
  location?: string;
  /** The first identity's name; it is always an admin. */
  name: string;
  passphrase: string;
}

/** An identity as created: its fingerprint grouped for reading aloud too. */
export interface CreatedIdentity extends IdentityView {
  /** `SHA256:ab12 cd34 …` */
  display: string;
}

export interface SetupResult {
  identity: CreatedIdentity;
  station: StationView;
}

export interface CreateIdentityRequest {
  name: string;
  role: 'operator' | 'reviewer' | 'admin' | 'auditor';
  passphrase: string;
}

/** A public key file as `ferry identity export-public` writes it, and its fingerprint to read aloud. */
export interface PublicKeyExport {
  name: string;
  role: string;
  /** sha256 hex */
  fingerprint: string;
  /** `SHA256:ab12 cd34 …`, the form people compare */
  display: string;
  /** Suggested file name, e.g. rita.pub */
  fileName: string;
  /** The file's content, byte for byte what the CLI writes. */
  text: string;
}

export interface SetPolicyRequest {
  requiredApprovals?: 1 | 2;
  requireApprovals?: 'on' | 'off' | 'auto';
}

export interface OnboardingInvokeApi {
  'onboarding:status': (arg: Record<string, never>) => Promise<OnboardingStatus>;
  'onboarding:setup': (arg: SetupRequest) => Promise<SetupResult>;
  'station:set': (arg: { name?: string; location?: string }) => Promise<StationView>;
  'identity:create': (arg: CreateIdentityRequest) => Promise<CreatedIdentity>;
  'identity:publickey': (arg: { name: string }) => Promise<PublicKeyExport>;
  'policy:set': (arg: SetPolicyRequest) => Promise<PolicyView>;
}

export const ONBOARDING_CHANNELS = [
  'onboarding:status',
  'onboarding:setup',
  'station:set',
  'identity:create',
  'identity:publickey',
  'policy:set',
] as const satisfies readonly (keyof OnboardingInvokeApi)[];
