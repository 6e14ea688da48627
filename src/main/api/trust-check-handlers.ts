import type { Services } from '../core/services';
import { approvalPolicy } from '../identity/station';
import { TrustStore } from '../identity/trust-store';
import { verifyApprovals } from '../review/verify-approvals';
import type { Handlers } from './handlers';

/** `trust:check`: whether a bundle's approvals meet this station's policy with the keys pinned here (reading). */
export function trustCheckHandlers(s: Services): Pick<Handlers, 'trust:check'> {
  return {
    'trust:check': async ({ dir }) => {
      const policy = approvalPolicy(s.db);
      const v = await verifyApprovals(dir, new TrustStore(s.db).lookup(), policy);
      return { ...v, policy };
    },
  };
}
