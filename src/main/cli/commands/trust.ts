import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { EXIT, print, withCommon, withServices, type CommonOptions } from '../context';
import { withSigning, type SigningOptions } from './identity';

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
          const r = await cli.handlers['trust:add']({ path: file, ...(o.confirm ? { confirm: o.confirm } : {}), ...(o.name ? { name: o.name } : {}), ...(o.role ? { role: o.role } : {}) });
          if (!r.pinned) {
            const key = r.candidate;
            throw new UsageError(
              `Not pinned: the key of ${key.name} (${key.role}) has fingerprint ${key.display}.`,
              `Compare it with ${key.name} over a trusted channel, then repeat with --confirm "<fingerprint>".`,
            );
          }
          print(cli, r.key, () => `Pinned ${r.key.name} (${r.key.role}) ${r.key.display}`);
        }),
      ),
  );
  trust.addCommand(
    withCommon(new Command('list'))
      .description('list pinned keys (revoked ones too)')
      .action(async (o: CommonOptions) =>
        withServices(o, async (cli) => {
          const keys = await cli.handlers['trust:list']({});
          print(cli, keys, () =>
            keys.length === 0
              ? 'No pinned keys.'
              : keys.map((k) => `${k.name.padEnd(20)} ${k.role.padEnd(9)} ${k.display}  pinned ${k.pinnedAt ?? ''} by ${k.pinnedBy ?? ''}${k.revokedAt ? `  REVOKED ${k.revokedAt}: ${k.revokeReason ?? ''}` : ''}`).join('\n'),
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
          const k = await cli.handlers['trust:revoke']({ fingerprint: fp, reason: o.reason });
          print(cli, k, () => `Revoked ${k.name} ${k.display}`);
        }),
      ),
  );
  trust.addCommand(
    withCommon(new Command('check'))
      .description("check a bundle's approvals against the pinned keys and the policy; exit 1 with the reasons when they fall short")
      .argument('<dir>', 'bundle directory')
      .action(async (dir: string, o: CommonOptions) =>
        withServices(o, async (cli) => {
          const v = await cli.handlers['trust:check']({ dir });
          print(cli, v, () =>
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
          if (o.requireCleanAntivirus !== undefined && !['on', 'off'].includes(o.requireCleanAntivirus)) throw new UsageError('--require-clean-antivirus must be on or off.');
          const p = await cli.handlers['trust:policy']({
            ...(o.requiredApprovals !== undefined ? { requiredApprovals: o.requiredApprovals } : {}),
            ...(o.requireApprovals !== undefined ? { requireApprovals: o.requireApprovals } : {}),
            ...(o.requireCleanAntivirus !== undefined ? { requireCleanAntivirus: o.requireCleanAntivirus === 'on' } : {}),
          });
          print(cli, p, () => `Approvals ${p.requireApprovals ? 'required' : 'not required'} for import (${p.source}); ${p.requiredApprovals} distinct pinned reviewer(s); approval ${p.requireCleanAntivirus ? 'needs' : 'does not need'} a clean antivirus result (requireCleanAntivirus)`);
        }),
      ),
  );
  return trust;
}
