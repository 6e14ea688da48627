import type { Services } from '../core/services';
import type { Handlers } from './handlers';
import { FerryError } from '../../shared/errors';

// Stub: replaced by the handlers of media:assemble.
export function mediaAssembleHandlers(_s: Services): Pick<Handlers, 'media:assemble'> {
  const todo = async (): Promise<never> => { throw new FerryError('Not available yet'); };
  return { 'media:assemble': todo };
}
