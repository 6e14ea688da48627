import type { OverrideInvokeApi } from '../../shared/api-overrides';
import type { Services } from '../core/services';
import { approvalState } from '../review/approval-state';
import { OVERRIDE_ROLES, recordOverride } from '../review/overrides';
import { requireActing, type CallContext } from './call-context';

type C = keyof OverrideInvokeApi;
type Fns = { [K in C]: (arg: Parameters<OverrideInvokeApi[K]>[0], ctx: CallContext) => ReturnType<OverrideInvokeApi[K]> };

/** `review:override` (a signed, reasoned decision on one blocking finding) and `bundle:approval` (reading). */
export function overrideHandlers(s: Pick<Services, 'db' | 'custody'>): Fns {
  return {
    'review:override': async (req, ctx) => {
      const acting = requireActing(ctx, OVERRIDE_ROLES);
      const r = await recordOverride(req, { db: s.db, custody: s.custody, acting });
      return { bundleId: r.bundleId, manifestSha256: r.manifestSha256, overrideFile: r.overrideFile, custodySeq: r.custodySeq, override: r.override, unresolved: r.unresolved };
    },
    'bundle:approval': async ({ dir }) => approvalState(dir, s.db),
  };
}
