import { dirname } from 'node:path';
import { selfCheckKit } from './kit-self-check';
import { KIT_ENV } from './kit-layout';
import { setRunningKit } from './running-kit';

/**
 * The kit's entry (bundled into app/start.cjs by `ferry kit build`): checks the kit, refuses a modified
 * one naming the file, then loads app/cli.cjs and runs the CLI. Nothing here writes anywhere.
 */
function start(): void {
  const dir = dirname(__dirname); // app/start.cjs → the kit folder
  const { problems, summary } = selfCheckKit(dir);
  if (problems.length > 0 || !summary) {
    const first = problems[0] ?? { path: 'kit.json', problem: 'unreadable' };
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    process.stderr.write(`ferry: this kit was modified: ${first.path} (${first.problem})${more} — do not use it; copy the kit again from the approved media\n`);
    process.exit(1);
  }
  Object.assign(process.env, KIT_ENV);
  setRunningKit({ dir, summary });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cli = require('./cli.cjs') as { main(argv: string[]): Promise<number> };
  void cli.main(process.argv).then((code) => process.exit(code));
}

start();
