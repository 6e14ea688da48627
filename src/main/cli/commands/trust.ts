import { Command } from 'commander';
import { readFile, stat } from 'node:fs/promises';
import { UsageError } from '../../../shared/errors';
import { EXIT, print, withCommon, withServices, type CommonOptions } from '../context';
import { actAsAdmin, withSigning, type SigningOptions } from './identity';

export function trustCommand(): Command {
  const trust = new Command('trust').description('reviewer keys pinned on this station, and the approval policy');
  trust.addCommand(
    withSigning(withCommon(new Command('add')))
      .description('pin a reviewer public key; shows its fingerprint and pins only with --confirm FINGERPRINT')
      .argument('<file>', 'key file from "ferry identity export-public" (or an Ed25519 SPKI PEM)')
      .option('--confirm <fingerprint>', 'the fingerprint, compared with its owner over a trusted channel')
      .option('--name <name>', 'owner name (for a PEM key)')
      .option('--role <role>', 'role to pin it with (default: the file\'s, else reviewer)')
      .action(async (file: string, o: SigningOptions & { confirm?: string; name?: string; role?: string }) =>
        withServices(o, async (cli) => {
          const [{ formatFingerprint }, { parseKeyFile, TrustStore }] = await Promise.all([import('../../identity/keys'), import('../../identity/trust-store')]);
          const st = await stat(file);
          if (st.size > 64 * 1024) throw new UsageError(`${file} is too large to be a key file.`);
          const key = parseKeyFile(await readFile(file, 'utf8'), { name: o.name, role: o.role });
          if (!o.confirm) {
            throw new UsageError(
              `Not pinned: the key of ${key.name} (${key.role}) has fingerprint ${formatFingerprint(key.fingerprint)}.`,
              `Compare it with ${key.name} over a trusted channel, then repeat with --confirm "<fingerprint>".`,
            );
          }
          await actAsAdmin(cli, o, 'pinning keys');
          const pinned = new TrustStore(cli.services.db).add(key, o.confirm, cli.services.custody.acting.actor);
          cli.services.custody.append({ type: 'key-pinned', role: 'admin', details: { name: pinned.name, role: pinned.role, fingerprint: pinned.fingerprint } });
          print(cli, pinned, () => `Pinned ${pinned.name} (${pinned.role}) ${formatFingerprint(pinned.fingerprint)}`);
        }),
      ),
  );
  trust.addCommand(
    withCommon(new Command('list'))
      .description('list pinned keys (revoked ones too)')
      .action(async (o: CommonOptions) =>
        withServices(o, async (cli) => {
          const [{ formatFingerprint }, { TrustStore }] = await Promise.all([import('../../identity/keys'), import('../../identity/trust-store')]);
          const keys = new TrustStore(cli.services.db).list();
          print(cli, keys, () =>
            keys.length === 0
              ? 'No pinned keys.'
              : keys.map((k) => `${k.name.padEnd(20)} ${k.role.padEnd(9)} ${formatFingerprint(k.fingerprint)}  pinned ${k.pinnedAt} by ${k.pinnedBy}${k.revokedAt ? `  REVOKED ${k.revokedAt}: ${k.revokeReason ?? ''}` : ''}`).join('\n'),
          );
        }),
      ),
  );
  trust.addCommand(
    withSigning(withCommon(new Command('revoke')))
      .description('revoke a pinned key: its approvals no longer count, and a bundle carrying one is refused')
      .argument('<fingerprint>', 'fingerprint (or a unique prefix of 8+ hex characters)')
      .option('--reason <text>', 'why', '')
      .action(async (fp: string, o: SigningOptions & { reason: string }) =>
        withServices(o, async (cli) => {
          const [{ formatFingerprint }, { TrustStore }] = await Promise.all([import('../../identity/keys'), import('../../identity/trust-store')]);
          await actAsAdmin(cli, o, 'revoking keys');
          const k = new TrustStore(cli.services.db).revoke(fp, o.reason);
          cli.services.custody.append({ type: 'key-revoked', role: 'admin', details: { name: k.name, fingerprint: k.fingerprint, reason: o.reason } });
          print(cli, k, () => `Revoked ${k.name} ${formatFingerprint(k.fingerprint)}`);
        }),
      ),
  );
  trust.addCommand(
    withCommon(new Command('check'))
      .description("check a bundle's approvals against the pinned keys and the policy; exit 1 with the reasons when they fall short")
      .argument('<dir>', 'bundle directory')
      .action(async (dir: string, o: CommonOptions) =>
        withServices(o, async (cli) => {
          const [{ approvalPolicy }, { TrustStore }, { verifyApprovals }] = await Promise.all([import('../../identity/station'), import('../../identity/trust-store'), import('../../review/verify-approvals')]);
          const policy = approvalPolicy(cli.services.db);
          const v = await verifyApprovals(dir, new TrustStore(cli.services.db).lookup(), policy);
          print(cli, { ...v, policy }, () =>
            v.ok
              ? [`OK: approved by ${v.approvedBy.map((a) => a.name).join(', ')} (${v.approvedBy.length} of ${v.required} required)`, ...v.notes.map((n) => `  note: ${n}`)].join('\n')
              : [`REFUSED: bundle ${v.bundleId}`, ...v.reasons.map((r) => `  ${r}`)].join('\n'),
          );
          if (!v.ok) process.exitCode = EXIT.failed;
        }),
      ),
  );
  trust.addCommand(
    withSigning(withCommon(new Command('policy')))
      .description('show or set the approval policy')
      .option('--required-approvals <n>', 'distinct pinned reviewers needed (1 or 2)')
      .option('--require-approvals <mode>', 'on | off | auto (auto: on once any key has been pinned)')
      .option('--require-clean-antivirus <mode>', 'on | off: whether approving a bundle needs a clean antivirus result (default on)')
      .action(async (o: SigningOptions & { requiredApprovals?: string; requireApprovals?: string; requireCleanAntivirus?: string }) =>
        withServices(o, async (cli) => {
          const [{ approvalPolicy }, { checkPolicyRequest, setApprovalPolicy }, { requireCleanAntivirus }, { saveAntivirusPolicy }] = await Promise.all([
            import('../../identity/station'),
            import('../../identity/station-admin'),
            import('../../settings/antivirus-policy'),
            import('../../settings/station-settings'),
          ]);
          const db = cli.services.db;
          if (o.requiredApprovals !== undefined || o.requireApprovals !== undefined) {
            const req = { requiredApprovals: o.requiredApprovals, requireApprovals: o.requireApprovals };
            checkPolicyRequest(req);
            setApprovalPolicy(cli.services, await actAsAdmin(cli, o, 'changing the approval policy'), req);
          }
          if (o.requireCleanAntivirus !== undefined) {
            if (!['on', 'off'].includes(o.requireCleanAntivirus)) throw new UsageError('--require-clean-antivirus must be on or off.');
            saveAntivirusPolicy(cli.services, await actAsAdmin(cli, o, 'changing the antivirus approval policy'), o.requireCleanAntivirus === 'on');
          }
          const p = { ...approvalPolicy(db), requireCleanAntivirus: requireCleanAntivirus(db) };
          print(cli, p, () => `Approvals ${p.requireApprovals ? 'required' : 'not required'} for import (${p.source}); ${p.requiredApprovals} distinct pinned reviewer(s); approval ${p.requireCleanAntivirus ? 'needs' : 'does not need'} a clean antivirus result (requireCleanAntivirus)`);
        }),
      ),
  );
  return trust;
}
