import { z } from 'zod';
import { channel } from '../contract';
import type { CreatedIdentity, OnboardingStatus, PolicyView, PublicKeyExport, SetupResult, StationView } from '../api-onboarding';
import { none, passphrase, text } from './fields';

// First launch and station administration in the app (src/main/api/onboarding-handlers.ts).

const ROLE = z.enum(['operator', 'reviewer', 'admin', 'auditor']);

export const ONBOARDING_CHANNELS = {
  'onboarding:status': channel(none).returns<OnboardingStatus>(),
  'onboarding:setup': channel(
    z.strictObject({
      stationName: text(200).min(1),
      location: text(200).optional(),
      /** The first identity's name; it is always an admin. */
      name: text(128).min(1),
      passphrase,
    }),
  ).returns<SetupResult>(),
  'station:set': channel(z.strictObject({ name: text(200).optional(), location: text(200).optional() })).returns<StationView>(),
  'identity:create': channel(z.strictObject({ name: text(128).min(1), role: ROLE, passphrase })).returns<CreatedIdentity>(),
  'identity:publickey': channel(z.strictObject({ name: text(128).min(1) })).returns<PublicKeyExport>(),
  'policy:set': channel(
    z.strictObject({ requiredApprovals: z.union([z.literal(1), z.literal(2)]).optional(), requireApprovals: z.enum(['on', 'off', 'auto']).optional() }),
  ).returns<PolicyView>(),
};
