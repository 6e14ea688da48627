import type { Services } from '../core/services';
import { exportCustody } from '../custody/custody-export';
import { verifyImported } from '../custody/custody-import';
import { asCaller } from './call-context';
import type { Handlers } from './handlers';

/** `custody:chain` (reading) and `custody:export-log`: the bundle's events beside it, the head signed by the caller when one acts. */
export function custodyLogHandlers(s: Services): Pick<Handlers, 'custody:chain' | 'custody:export-log'> {
  return {
    'custody:chain': async () => ({ ...s.custody.verifyChain(), imported: verifyImported(s.db) }),
    'custody:export-log': async ({ dir }, ctx) => {
      const acting = ctx.acting;
      const custody = acting ? s.custody.signedBy(asCaller(acting).as) : s.custody;
      return exportCustody(dir, custody, s.db, acting && { fingerprint: acting.fingerprint, sign: acting.sign });
    },
  };
}
