import type { Services } from '../core/services';
import type { Handlers } from './handlers';
import { FerryError } from '../../shared/errors';

// Stub: replaced by the handlers of install:remove.
export function installRecordHandlers(_s: Services): Pick<Handlers, 'install:remove'> {
  const todo = async (): Promise<never> => { throw new FerryError('Not available yet'); };
  return { 'install:remove': todo };
}
