import type { Services } from '../core/services';
import { assembleMedia } from '../media/media-service';
import { actingIfAny, asCaller } from './call-context';
import type { Handlers } from './handlers';

/** `media:assemble`: a split bundle's volumes (any order) joined back into one bundle folder, every part and file hashed on the way; a job of its caller. */
export function mediaAssembleHandlers(s: Services): Pick<Handlers, 'media:assemble'> {
  return {
    'media:assemble': async ({ volumes, outDir }, ctx) => {
      const acting = actingIfAny(ctx, ['operator', 'reviewer', 'admin']);
      const as = acting ? { ...s, custody: s.custody.signedBy(asCaller(acting).as) } : s;
      return s.jobs.start('media.assemble', `Assemble ${volumes.length} volume(s) into ${outDir}`, { dirs: volumes, out: outDir, ...(acting ? { by: acting.name } : {}) }, (job) => assembleMedia(volumes, outDir, as, job));
    },
  };
}
