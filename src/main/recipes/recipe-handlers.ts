import type { InvokeArg, InvokeResult } from '../../shared/api';
import { parseMirrors } from '../acquire/mirrors';
import { RegistryPool } from '../acquire/registry-pool';
import { sourceDefaults } from '../settings/defaults';
import type { Services } from '../core/services';
import { dockerFromEnv } from '../docker/docker-loader';
import { storedCredentials } from '../credentials/credential-store';
import { effectiveMirrors } from '../settings/station-settings';
import { stationSignaturePolicy } from '../settings/signature-policy';
import { getRecipe, listRecipes } from './recipe-catalog';
import { lockId } from './lock-store';
import { assertLockable, lockEntries, lockForRequest, recipeInfo } from './request';

type H<C extends 'recipe:list' | 'recipe:show' | 'recipe:resolve'> = (arg: InvokeArg<C>) => Promise<InvokeResult<C>>;

/** `recipe:list`, `recipe:show`, `recipe:resolve`: the recipe picker and the lock preview. */
export function recipeHandlers(s: Pick<Services, 'dataDir' | 'db'>): { 'recipe:list': H<'recipe:list'>; 'recipe:show': H<'recipe:show'>; 'recipe:resolve': H<'recipe:resolve'> } {
  return {
    'recipe:list': async () => (await listRecipes(s.dataDir)).map((l) => recipeInfo(l)),
    'recipe:show': async ({ id }) => recipeInfo(await getRecipe(id, s.dataDir), true),
    'recipe:resolve': async (req) => {
      const registries = new RegistryPool({ mirrors: parseMirrors(effectiveMirrors(s.db, req.mirrors)), insecure: req.insecureRegistries ?? [], credentials: storedCredentials(s.db, s.dataDir) });
      try {
        const lock = await lockForRequest(
          { recipe: req.recipe, params: req.params ?? {} },
          {
            dataDir: s.dataDir,
            ...sourceDefaults(req),
            hfCache: req.hfCache,
            ollamaDir: req.ollamaDir,
            registries,
            docker: () => dockerFromEnv(),
            signatures: stationSignaturePolicy(s.db),
          },
        );
        assertLockable(lock);
        return { lockId: lockId(lock), entries: lockEntries(lock), totalBytes: lock.totalBytes, lock };
      } finally {
        await registries.close();
      }
    },
  };
}
