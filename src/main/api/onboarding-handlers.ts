import type { CreatedIdentity, OnboardingInvokeApi } from '../../shared/api-onboarding';
import { ONBOARDING_CHANNELS } from '../../shared/channels/onboarding';
import { schemasOf } from '../../shared/contract';
import type { Services } from '../core/services';
import { IdentityStore, type IdentityInfo } from '../identity/identity-store';
import { formatFingerprint } from '../identity/keys';
import { onboardingStatus, refreshStation, setupStation, stationView } from '../identity/onboarding';
import { adminRoles, configureStation, createIdentity, policyMode, publicKeyFileText, setApprovalPolicy } from '../identity/station-admin';
import { stationAdmin } from './station-admin-access';
import { requireActing, type CallContext } from './call-context';

// First launch and station administration in the app (src/shared/api-onboarding.ts). Acting
// channels need a signed-in admin (any signed-in identity while the station has no admin yet);
// the caller signs the custody event. Status and exporting a public key are reading.

type C = keyof OnboardingInvokeApi;
type Fn<K extends C> = (arg: Parameters<OnboardingInvokeApi[K]>[0], ctx: CallContext) => ReturnType<OnboardingInvokeApi[K]>;

/** The requests' schemas (declared in src/shared/channels/onboarding.ts). */
export const ONBOARDING_SCHEMAS = schemasOf(ONBOARDING_CHANNELS);

const created = (i: IdentityInfo): CreatedIdentity => ({ name: i.name, role: i.role, fingerprint: i.fingerprint, createdAt: i.createdAt, display: formatFingerprint(i.fingerprint) });

export function onboardingHandlers(s: Services): { [K in C]: Fn<K> } {
  return {
    'onboarding:status': async () => onboardingStatus(s),
    'onboarding:setup': async (req, ctx) => {
      const identity = setupStation(s, ctx.acting, req);
      refreshStation(s);
      return { identity: created(identity), station: stationView(s) };
    },
    'station:set': async (req, ctx) => {
      configureStation(s, stationAdmin(ctx, s.db, 'changing the station name or location'), req); // the one admin rule (station-admin-access.ts)
      refreshStation(s);
      return stationView(s);
    },
    'identity:create': async (req, ctx) => created(createIdentity(s, requireActing(ctx, adminRoles(s.db)), req).identity),
    'identity:publickey': async ({ name }) => {
      const file = new IdentityStore(s.db).exportPublic(name);
      const id = new IdentityStore(s.db).get(name);
      return { name: file.name, role: file.role, fingerprint: id.fingerprint, display: formatFingerprint(id.fingerprint), fileName: `${file.name}.pub`, text: publicKeyFileText(file) };
    },
    'policy:set': async (req, ctx) => {
      const p = setApprovalPolicy(s, requireActing(ctx, adminRoles(s.db)), req);
      return { requireApprovals: p.requireApprovals, requiredApprovals: p.requiredApprovals, mode: policyMode(p) };
    },
  };
}
