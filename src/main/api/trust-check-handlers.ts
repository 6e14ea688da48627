import type { Services } from '../core/services';
import type { Handlers } from './handlers';
import { FerryError } from '../../shared/errors';

// Stub: replaced by the handlers of trust:check.
export function trustCheckHandlers(_s: Services): Pick<Handlers, 'trust:check'> {
  const todo = async (): Promise<never> => { throw new FerryError('Not available yet'); };
  return { 'trust:check': todo };
}
