import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { FerryError } from '../../../shared/errors';
import type { ChainVerdict } from '../../custody/custody-verify';
import type { Db } from '../../db/database';
import type { DatabaseRecovery } from '../../db/recover';
import { EXIT, print, withCommon, type CommonOptions } from '../context';

interface DoctorReport {
  database: string;
  healthy: boolean;
  problems: string[];
  custody?: { events: number; chain: ChainVerdict };
  recovery?: DatabaseRecovery;
}

/** What the doctor needs, loaded when it runs (start-up: nothing of the database at definition). */
async function loadDoctor() {
  const [{ CustodyStore }, { CorruptDatabaseError, openDatabase }, { recoverDatabase }, { defaultDataDir }] = await Promise.all([
    import('../../custody/custody-store'),
    import('../../db/database'),
    import('../../db/recover'),
    import('../../core/paths'),
  ]);
  return { CustodyStore, CorruptDatabaseError, openDatabase, recoverDatabase, defaultDataDir };
}
type Doctor = Awaited<ReturnType<typeof loadDoctor>>;

function chainOf({ CustodyStore }: Doctor, db: Db): { events: number; chain: ChainVerdict } {
  const chain = new CustodyStore(db, { actor: 'ferry-doctor', station: 'ferry-doctor' }).verifyChain();
  return { events: db.prepare('SELECT count(*) FROM custody_events').pluck().get() as number, chain };
}

/** Opens, fully checks (PRAGMA integrity_check) and verifies the custody chain; problems are listed. */
function examine(d: Doctor, file: string): DoctorReport {
  const { CorruptDatabaseError, openDatabase } = d;
  let db: Db;
  try {
    db = openDatabase(file);
  } catch (err) {
    if (err instanceof CorruptDatabaseError) return { database: file, healthy: false, problems: [err.message] };
    throw err;
  }
  try {
    const problems = (db.pragma('integrity_check(20)') as { integrity_check: string }[]).map((r) => r.integrity_check).filter((r) => r !== 'ok');
    const custody = chainOf(d, db);
    if (!custody.chain.ok) problems.push(`custody chain breaks at event #${custody.chain.seq}: ${custody.chain.reason}`);
    return { database: file, healthy: problems.length === 0, problems, custody };
  } finally {
    db.close();
  }
}

function human(r: DoctorReport): string {
  const lines = [`Database: ${r.database}`];
  if (r.recovery) {
    const rc = r.recovery;
    lines.push(`Recovered into a new database; the damaged file is kept as ${rc.keptAs}`);
    if (rc.unreadable) lines.push(`  The damaged file could not be read at all: ${rc.unreadable}`);
    for (const t of rc.tables) lines.push(`  ${t.table.padEnd(18)} ${String(t.rows).padStart(7)} rows${t.unreadable ? '  (some rows unreadable)' : ''}`);
    lines.push(`Custody events recovered: ${rc.custody.recovered}${rc.custody.highestSeq !== undefined ? ` of ${rc.custody.highestSeq}` : ''}`);
    if (rc.custody.missingSeqs.length) lines.push(`  NOT recovered: events #${rc.custody.missingSeqs.join(', #')} — report this to your security office with the kept file`);
  }
  if (r.custody) lines.push(`Custody chain: ${r.custody.chain.ok ? `verifies (${r.custody.events} events)` : `BROKEN at event #${r.custody.chain.seq}: ${r.custody.chain.reason}`}`);
  lines.push(r.healthy ? 'OK' : `PROBLEMS:\n${r.problems.map((p) => `  ${p}`).join('\n')}`);
  return lines.join('\n');
}

export function doctorCommand(): Command {
  return withCommon(new Command('doctor'))
    .description('check the station database (integrity, custody chain); --recover copies a damaged one into a new database')
    .addOption(new Option('--recover', 'copy every readable row into a new database, keep the damaged file beside it, and verify the custody chain'))
    .action(async (o: CommonOptions & { recover?: boolean }) => {
      const d = await loadDoctor();
      const { defaultDataDir, recoverDatabase } = d;
      const file = join(resolve(o.dataDir ?? defaultDataDir()), 'ferry.db');
      if (!existsSync(file)) throw new FerryError(`No station database at ${file}`, 'Check --data-dir (or $FERRY_HOME).');
      let report = examine(d, file);
      if (o.recover && !report.healthy) {
        const recovery = recoverDatabase(file);
        const after = examine(d, file);
        const problems = [...after.problems];
        if (recovery.unreadable) problems.unshift(`the damaged file could not be read: ${recovery.unreadable}`);
        if (recovery.custody.missingSeqs.length) problems.unshift(`${recovery.custody.missingSeqs.length} custody event(s) could not be recovered: #${recovery.custody.missingSeqs.join(', #')} (kept in ${recovery.keptAs})`);
        report = { ...after, healthy: problems.length === 0, problems, recovery };
      } else if (!report.healthy) {
        report.problems.push(`Run "ferry doctor --recover${o.dataDir ? ` --data-dir ${o.dataDir}` : ''}" to copy what can be read into a new database.`);
      }
      print({ json: !!o.json }, report, () => human(report));
      if (!report.healthy) process.exitCode = EXIT.failed;
    });
}
