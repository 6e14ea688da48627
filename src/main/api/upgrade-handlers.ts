import type { Services } from '../core/services';
import type { Handlers } from './handlers';
import { FerryError } from '../../shared/errors';

// Stub: replaced by the handlers of upgrade:run.
export function upgradeHandlers(_s: Services): Pick<Handlers, 'upgrade:run'> {
  const todo = async (): Promise<never> => { throw new FerryError('Not available yet'); };
  return { 'upgrade:run': todo };
}
