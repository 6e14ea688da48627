import type { Services } from '../core/services';
import type { Handlers } from './handlers';
import { FerryError } from '../../shared/errors';

// Stub: replaced by the handlers of fs:browse,bundle:recent,job:rerun.
export function operatorHandlers(_s: Services): Pick<Handlers, 'fs:browse' | 'bundle:recent' | 'job:rerun'> {
  const todo = async (): Promise<never> => { throw new FerryError('Not available yet'); };
  return { 'fs:browse': todo, 'bundle:recent': todo, 'job:rerun': todo };
}
