import type { Services } from '../core/services';
import type { Handlers } from './handlers';
import { FerryError } from '../../shared/errors';

// Stub: replaced by the handlers of custody:import,custody:record,custody:report.
export function custodyAdminHandlers(_s: Services): Pick<Handlers, 'custody:import' | 'custody:record' | 'custody:report'> {
  const todo = async (): Promise<never> => { throw new FerryError('Not available yet'); };
  return { 'custody:import': todo, 'custody:record': todo, 'custody:report': todo };
}
