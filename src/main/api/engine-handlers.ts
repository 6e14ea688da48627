import type { Services } from '../core/services';
import { actingIfAny, type CallContext } from './call-context';
import type { Handlers } from './handlers';

/**
 * `engine:status`: which container engine Ferry will use, or that none answers and how to start
 * one. Reading the default engine (DOCKER_HOST or the platform socket) is open to every caller;
 * asking about another address makes this process connect there, so it needs a signed-in
 * operator or admin (the CLI before any identity exists runs as the OS user).
 */
export function engineHandlers(_s: Services): Pick<Handlers, 'engine:status'> {
  return {
    'engine:status': async (arg, ctx: CallContext) => {
      if (arg.dockerHost) actingIfAny(ctx, ['operator', 'admin']);
      const { engineStatus } = await import('../install/engine/engine-status');
      return engineStatus(arg.dockerHost ? { dockerHost: arg.dockerHost } : {});
    },
  };
}
