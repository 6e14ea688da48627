import { readFile, stat } from 'node:fs/promises';
import { Command } from 'commander';
import { UsageError } from '../../../shared/errors';
import { print, withCommon, withServices, type CommonOptions } from '../context';
import { withSigning, type SigningOptions } from './identity';
import type { SignaturePolicyView } from '../../../shared/channels/station-admin';

async function readSmall(file: string, max: number, what: string): Promise<string> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new UsageError(`${what} ${file} does not exist or is not a file`);
  if (st.size > max) throw new UsageError(`${what} ${file} is larger than ${max} bytes`);
  return readFile(file, 'utf8');
}

function describe(p: SignaturePolicyView): string {
  const lines = p.rules.map((r) => `${r.match.padEnd(40)} ${r.require}${r.require === 'cosign-key' ? ` key sha256:${r.keyFingerprint}` : r.require === 'sigstore' ? ` ${r.identity} (${r.issuer})` : ''}`);
  return [...(lines.length ? lines : ['No station rules.']), `Images no rule matches (while any rule is set, here or in the recipe): ${p.unmatched}`].join('\n');
}

/** --tlog-threshold / --ctlog-threshold as log thresholds (each defaults to 1 when only the other is given). */
function thresholds(o: { tlogThreshold?: string; ctlogThreshold?: string }): { logs?: { tlogThreshold: number; ctlogThreshold: number } } {
  if (o.tlogThreshold === undefined && o.ctlogThreshold === undefined) return {};
  const n = (v: string | undefined, flag: string): number => {
    if (v === undefined) return 1;
    if (!/^[0-8]$/.test(v)) throw new UsageError(`${flag} must be a number from 0 to 8`);
    return Number(v);
  };
  return { logs: { tlogThreshold: n(o.tlogThreshold, '--tlog-threshold'), ctlogThreshold: n(o.ctlogThreshold, '--ctlog-threshold') } };
}

/** `ferry signature-policy show|add|remove|unmatched`: the station's signature policy per registry or repository prefix. */
export function signaturePolicyCommand(): Command {
  const cmd = new Command('signature-policy').description('what signature images must carry, per registry or repository prefix (docs/supply-chain.md)');
  cmd.addCommand(
    withCommon(new Command('show')).description('list the station rules').action(async (o: CommonOptions) =>
      withServices(o, async (cli) => {
        const p = await cli.handlers['signature-policy:show']({});
        print(cli, p, () => describe(p));
      }),
    ),
  );
  cmd.addCommand(
    withSigning(withCommon(new Command('add')))
      .description('add (or replace) the rule for a registry or repository prefix; the longest matching rule wins')
      .argument('<match>', 'REGISTRY[/REPOSITORY-PREFIX], e.g. registry.gitlab.com/gitlab-org')
      .option('--cosign-key <file>', 'require a cosign signature by this public key (PEM, ECDSA P-256)')
      .option('--sigstore-identity <san>', 'require a Sigstore bundle for this certificate identity')
      .option('--sigstore-issuer <url>', 'the OIDC issuer of that identity')
      .option('--trusted-root <file>', 'Sigstore trusted_root.json to verify against')
      .option('--tlog-threshold <n>', 'Rekor entries a Sigstore bundle must carry (default 1; 0 for a private Sigstore without a log)')
      .option('--ctlog-threshold <n>', 'SCTs its certificate must embed (default 1)')
      .option('--none', 'require no signature (still carried when found)')
      .action(async (match: string, o: SigningOptions & { cosignKey?: string; sigstoreIdentity?: string; sigstoreIssuer?: string; trustedRoot?: string; tlogThreshold?: string; ctlogThreshold?: string; none?: boolean }) =>
        withServices(o, async (cli) => {
          const kinds = [o.cosignKey, o.sigstoreIdentity, o.none].filter((x) => x !== undefined).length;
          if (kinds !== 1) throw new UsageError('Give exactly one of --cosign-key FILE, --sigstore-identity SAN (with --sigstore-issuer and --trusted-root), --none');
          const add = o.cosignKey
            ? { match, require: 'cosign-key' as const, publicKey: await readSmall(o.cosignKey, 64 * 1024, 'Key file') }
            : o.none
              ? { match, require: 'none' as const }
              : { match, require: 'sigstore' as const, ...(o.sigstoreIdentity ? { identity: o.sigstoreIdentity } : {}), ...(o.sigstoreIssuer ? { issuer: o.sigstoreIssuer } : {}), ...(o.trustedRoot ? { trustedRoot: await readSmall(o.trustedRoot, 4 << 20, 'Trusted root') } : {}), ...thresholds(o) };
          const p = await cli.handlers['signature-policy:change']({ add });
          const rule = p.rules[p.rules.length - 1]!; // the added rule goes last (settings/signature-policy.ts)
          print(cli, p, () => `Rule for ${rule.match}: ${rule.require}${rule.require === 'cosign-key' ? ` (key sha256:${rule.keyFingerprint})` : ''}`);
        }),
      ),
  );
  cmd.addCommand(
    withSigning(withCommon(new Command('remove')))
      .description('remove the rule for a prefix')
      .argument('<match>')
      .action(async (match: string, o: SigningOptions) =>
        withServices(o, async (cli) => {
          print(cli, await cli.handlers['signature-policy:change']({ remove: match }), () => `Removed the rule for ${match}`);
        }),
      ),
  );
  cmd.addCommand(
    withSigning(withCommon(new Command('unmatched')))
      .description('what images no rule matches get while any rule is set: refuse (default) or none')
      .argument('<mode>', 'refuse | none')
      .action(async (mode: string, o: SigningOptions) =>
        withServices(o, async (cli) => {
          if (mode !== 'refuse' && mode !== 'none') throw new UsageError(`Unknown mode "${mode}"`, 'Use refuse or none.');
          print(cli, await cli.handlers['signature-policy:change']({ unmatched: mode }), () => `Images no rule matches: ${mode}`);
        }),
      ),
  );
  return cmd;
}
