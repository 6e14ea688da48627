import type { SignaturePolicyView, SyslogView } from '../../shared/channels/station-admin';
import { FerryError, UsageError } from '../../shared/errors';
import type { Services } from '../core/services';
import { parseSyslogTarget, SyslogForwarder } from '../custody/syslog';
import type { Db } from '../db/database';
import { approvalPolicy, getSetting, setSetting, stationInfo } from '../identity/station';
import { refreshStation } from '../identity/onboarding';
import { checkPolicyRequest, configureStation, setApprovalPolicy } from '../identity/station-admin';
import { requireCleanAntivirus } from '../settings/antivirus-policy';
import { changeSignaturePolicy, stationSignaturePolicy } from '../settings/signature-policy';
import { saveAntivirusPolicy } from '../settings/station-settings';
import { DEFAULT_UNMATCHED, makeRule } from '../signatures/policy';
import type { Handlers } from './handlers';
import { asCaller } from './call-context';
import { stationAdmin } from './station-admin-access';

type C = 'station:configure' | 'trust:policy' | 'signature-policy:show' | 'signature-policy:change' | 'custody:syslog';

const signaturePolicyView = (db: Db): SignaturePolicyView => {
  const p = stationSignaturePolicy(db);
  return { rules: p.rules, unmatched: p.unmatched ?? DEFAULT_UNMATCHED, unmatchedSet: p.unmatched !== undefined };
};

const syslogTarget = (db: Db): { url: string; caFile?: string } | undefined => {
  const raw = getSetting(db, 'syslog.target');
  return raw ? (JSON.parse(raw) as { url: string; caFile?: string }) : undefined;
};

/** Station administration (src/shared/channels/station-admin.ts): reading is open; every change is an admin's (stationAdmin) and a custody event signed by them. */
export function stationAdminHandlers(s: Services): Pick<Handlers, C> {
  /** The custody log as `acting` writes it (the station's own when nobody acts: the CLI's owner). */
  const custodyOf = (acting: ReturnType<typeof stationAdmin>) => (acting ? s.custody.signedBy(asCaller(acting).as) : s.custody);
  return {
    'station:configure': async ({ name, location }, ctx) => {
      if (name !== undefined || location !== undefined) {
        const acting = stationAdmin(ctx, s.db, 'changing the station name or location');
        configureStation(s, acting, { name, location });
        refreshStation(s); // later custody events carry the new name
      }
      return { ...stationInfo(s.db), effective: s.identity.station };
    },
    'trust:policy': async ({ requiredApprovals, requireApprovals, requireCleanAntivirus: clean }, ctx) => {
      if (requiredApprovals !== undefined || requireApprovals !== undefined) {
        const req = { requiredApprovals, requireApprovals };
        checkPolicyRequest(req); // before anyone is asked to sign it
        const acting = stationAdmin(ctx, s.db, 'changing the approval policy');
        setApprovalPolicy(s, acting, req);
      }
      if (clean !== undefined) {
        const acting = stationAdmin(ctx, s.db, 'changing the antivirus approval policy');
        saveAntivirusPolicy(s, acting, clean);
      }
      return { ...approvalPolicy(s.db), requireCleanAntivirus: requireCleanAntivirus(s.db) };
    },
    'signature-policy:show': async () => signaturePolicyView(s.db),
    'signature-policy:change': async ({ add, remove, unmatched }, ctx) => {
      const rule = add ? makeRule(add, 'signature-policy add') : undefined; // checked before anyone signs
      const acting = stationAdmin(ctx, s.db, 'changing the signature policy');
      const change = rule ? { add: rule } : remove !== undefined ? { remove } : { unmatched: unmatched! };
      changeSignaturePolicy(s, acting, change);
      return signaturePolicyView(s.db);
    },
    'custody:syslog': async ({ target, caFile, off, sendAll }, ctx): Promise<SyslogView> => {
      if (target || off) {
        if (target) parseSyslogTarget(target, caFile);
        const acting = stationAdmin(ctx, s.db, 'configuring syslog forwarding');
        setSetting(s.db, 'syslog.target', off ? undefined : JSON.stringify({ url: target, ...(caFile ? { caFile } : {}) }));
        custodyOf(acting).append({ type: 'syslog-configured', role: 'admin', details: { target: off ? null : target } });
      }
      const conf = syslogTarget(s.db);
      let sent = 0;
      if (sendAll) {
        if (!conf) throw new UsageError('No syslog target is configured.', 'Set one with --target tcp://HOST:PORT.');
        const f = new SyslogForwarder(parseSyslogTarget(conf.url, conf.caFile));
        for (const e of s.custody.list({ limit: 10_000 }).reverse()) await f.send(e);
        await f.close();
        if (f.lastError) throw new FerryError(`Syslog forwarding failed: ${f.lastError.message}`, 'Check that the collector is listening and reachable from this station.');
        sent = f.sent;
      }
      return { target: conf?.url ?? null, sent };
    },
  };
}
