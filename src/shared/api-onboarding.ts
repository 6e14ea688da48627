// Onboarding and station administration in the app: first launch (station name, location,
// first admin identity), then what an admin does in Settings (identities, station, approval
// policy) and exporting a public key. The same service functions back `ferry identity …` and
// `ferry trust policy` (src/main/identity/station-admin.ts).
import type { z } from 'zod';
import type { IdentityView } from './api-review';
import type { ApiOf } from './contract';
import type { ONBOARDING_CHANNELS } from './channels/onboarding';

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

export type SetupRequest = z.input<(typeof ONBOARDING_CHANNELS)['onboarding:setup']['arg']>;

/** An identity as created: its fingerprint grouped for reading aloud too. */
export interface CreatedIdentity extends IdentityView {
  /** `SHA256:ab12 cd34 …` */
  display: string;
}

export interface SetupResult {
  identity: CreatedIdentity;
  station: StationView;
}

export type CreateIdentityRequest = z.input<(typeof ONBOARDING_CHANNELS)['identity:create']['arg']>;

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

export type SetPolicyRequest = z.input<(typeof ONBOARDING_CHANNELS)['policy:set']['arg']>;

export type OnboardingInvokeApi = ApiOf<typeof ONBOARDING_CHANNELS>;
