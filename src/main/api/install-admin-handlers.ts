import type { Services } from '../core/services';
import { InstallStore } from '../install/install-store';
import { composeFiles } from '../install/plan/compose-export';
import type { Handlers } from './handlers';

/**
 * `install:export-compose`: docker-compose.yml and .env (the generated secrets: mode 0600) of an
 * install, returned for download; the station writes them nowhere (the CLI writes them to --out).
 */
export function installAdminHandlers(s: Services): Pick<Handlers, 'install:export-compose'> {
  return {
    'install:export-compose': async ({ installId }) => {
      const r = await composeFiles(new InstallStore(s.db).get(installId), s.dataDir);
      return {
        installId,
        project: r.project,
        command: r.command,
        files: [
          { name: 'docker-compose.yml', content: r.compose, mode: 0o644 },
          { name: '.env', content: r.env, mode: 0o600 },
        ],
      };
    },
  };
}
