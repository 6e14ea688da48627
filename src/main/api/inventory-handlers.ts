import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { InventoryCheckView, InventoryExportView } from '../../shared/channels/inventory';
import { UsageError } from '../../shared/errors';
import { parseRegistryTarget } from '../bundle/registry-target';
import type { Services } from '../core/services';
import { storedCredentials } from '../credentials/credential-store';
import { exportInventory } from '../delta/inventory-export';
import { inventoryFileBytes, readTrustedInventory, signInventory } from '../delta/inventory-sign';
import { TrustStore } from '../identity/trust-store';
import { RegistryClient } from '../registry/registry-client';
import { asCaller } from './call-context';
import type { Handlers } from './handlers';
import { writeFileAtomic } from '../io/atomic-write';

/**
 * `inventory:export`: what the offline side holds (registry under a prefix, models on disk),
 * signed by the caller, written to `out` and recorded in custody. `inventory:check` reads one
 * as hostile input and checks its signature against the keys pinned here.
 */
export function inventoryHandlers(s: Services): Pick<Handlers, 'inventory:export' | 'inventory:check'> {
  return {
    'inventory:export': async (req, ctx): Promise<InventoryExportView> => {
      const acting = ctx.acting;
      if (!acting) throw new UsageError('An inventory must be signed: nobody is acting.', 'Give --as NAME (an identity on this station), or set FERRY_AS and FERRY_PASSPHRASE; in the app, sign in.');
      const target = req.registry ? parseRegistryTarget(req.registry) : undefined;
      const client = target
        ? new RegistryClient({
            registry: target.registry,
            insecure: (req.insecureRegistries ?? []).includes(target.registry),
            caFile: req.caFile,
            credentials: req.username ? { username: req.username, password: req.password ?? '' } : storedCredentials(s.db, s.dataDir)(target.registry),
          })
        : undefined;
      try {
        const inv = await exportInventory({
          client,
          registry: req.registry,
          prefix: target?.prefix,
          modelsDir: req.modelsDir,
          pool: s.pool,
          station: s.identity.station,
          signer: { name: acting.name, role: acting.role, fingerprint: acting.fingerprint },
        });
        const bytes = inventoryFileBytes(signInventory(inv, acting));
        const out = resolve(req.out);
        await writeFileAtomic(out, bytes);
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const manifests = inv.repositories.reduce((n, r) => n + r.manifests.length, 0);
        const modelFiles = inv.models.reduce((n, m) => n + m.files.length, 0);
        s.custody.signedBy(asCaller(acting).as).append({
          type: 'inventory-exported',
          role: 'admin',
          details: { out, sha256, registry: req.registry, repositories: inv.repositories.length, manifests, modelsDir: inv.modelsDir, models: inv.models.length, modelFiles },
        });
        return { out, bytes: bytes.length, sha256, repositories: inv.repositories.length, manifests, models: inv.models.length, modelFiles, signer: inv.signer };
      } finally {
        await client?.close();
      }
    },
    'inventory:check': async ({ file }): Promise<InventoryCheckView> => {
      const { signed, sha256 } = await readTrustedInventory(file, new TrustStore(s.db).lookup(), 'do not use it');
      const inv = signed.inventory;
      return {
        sha256,
        station: inv.station,
        createdAt: inv.createdAt,
        signer: inv.signer,
        ...(inv.registry ? { registry: inv.registry } : {}),
        repositories: inv.repositories.map((r) => ({ name: r.name, tags: r.tags.length, manifests: r.manifests.length })),
        models: inv.models.map((m) => ({ repo: m.repo, files: m.files.length })),
      };
    },
  };
}
