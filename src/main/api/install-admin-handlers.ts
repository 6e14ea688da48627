import type { Services } from '../core/services';
import type { Handlers } from './handlers';
import { FerryError } from '../../shared/errors';

// Stub: replaced by the handlers of install:export-compose.
export function installAdminHandlers(_s: Services): Pick<Handlers, 'install:export-compose'> {
  const todo = async (): Promise<never> => { throw new FerryError('Not available yet'); };
  return { 'install:export-compose': todo };
}
