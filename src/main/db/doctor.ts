import { CustodyStore } from '../custody/custody-store';
import type { ChainVerdict } from '../custody/custody-verify';
import { CorruptDatabaseError, openDatabase, type Db } from './database';
import { recoverDatabase, type DatabaseRecovery } from './recover';

// `ferry doctor`: the station database checked (and recovered) without the services, which
// cannot open a damaged file. The command is wiring (cli/commands/doctor.ts); this is the logic.

export interface DoctorReport {
  database: string;
  healthy: boolean;
  problems: string[];
  custody?: { events: number; chain: ChainVerdict };
  recovery?: DatabaseRecovery;
}

function chainOf(db: Db): { events: number; chain: ChainVerdict } {
  const chain = new CustodyStore(db, { actor: 'ferry-doctor', station: 'ferry-doctor' }).verifyChain();
  return { events: db.prepare('SELECT count(*) FROM custody_events').pluck().get() as number, chain };
}

/** Opens, fully checks (PRAGMA integrity_check) and verifies the custody chain; problems are listed. */
export function examineDatabase(file: string): DoctorReport {
  let db: Db;
  try {
    db = openDatabase(file);
  } catch (err) {
    if (err instanceof CorruptDatabaseError) return { database: file, healthy: false, problems: [err.message] };
    throw err;
  }
  try {
    const problems = (db.pragma('integrity_check(20)') as { integrity_check: string }[]).map((r) => r.integrity_check).filter((r) => r !== 'ok');
    const custody = chainOf(db);
    if (!custody.chain.ok) problems.push(`custody chain breaks at event #${custody.chain.seq}: ${custody.chain.reason}`);
    return { database: file, healthy: problems.length === 0, problems, custody };
  } finally {
    db.close();
  }
}

/** Copies every readable row of a damaged database into a new one (the damaged file kept beside it), then examines the result. */
export function recoverAndExamine(file: string): DoctorReport {
  const recovery = recoverDatabase(file);
  const after = examineDatabase(file);
  const problems = [...after.problems];
  if (recovery.unreadable) problems.unshift(`the damaged file could not be read: ${recovery.unreadable}`);
  if (recovery.custody.missingSeqs.length) problems.unshift(`${recovery.custody.missingSeqs.length} custody event(s) could not be recovered: #${recovery.custody.missingSeqs.join(', #')} (kept in ${recovery.keptAs})`);
  return { ...after, healthy: problems.length === 0, problems, recovery };
}
