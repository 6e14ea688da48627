import { Command, Option } from 'commander';
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { FerryError } from '../../../shared/errors';
import type { DoctorReport } from '../../db/doctor';
import { EXIT, print, withCommon, type CommonOptions } from '../context';

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
      const [{ examineDatabase, recoverAndExamine }, { defaultDataDir }] = await Promise.all([import('../../db/doctor'), import('../../core/paths')]);
      const file = join(resolve(o.dataDir ?? defaultDataDir()), 'ferry.db');
      if (!existsSync(file)) throw new FerryError(`No station database at ${file}`, 'Check --data-dir (or $FERRY_HOME).');
      let report = examineDatabase(file);
      if (o.recover && !report.healthy) report = recoverAndExamine(file);
      else if (!report.healthy) report.problems.push(`Run "ferry doctor --recover${o.dataDir ? ` --data-dir ${o.dataDir}` : ''}" to copy what can be read into a new database.`);
      print({ json: !!o.json }, report, () => human(report));
      if (!report.healthy) process.exitCode = EXIT.failed;
    });
}
