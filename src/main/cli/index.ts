import { existsSync, readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { FerryError, UsageError } from '../../shared/errors';
import { versionLine } from '../kit/running-kit';
import { bundleCommand } from './commands/bundle-create';
import { recipeCommands } from './commands/recipe';
import { credentialsCommand } from './commands/credentials';
import { custodyCommand } from './commands/custody';
import { identityCommand } from './commands/identity';
import { reportCommand } from './commands/report';
import { reviewCommand } from './commands/review';
import { trustCommand } from './commands/trust';
import { importCommand } from './commands/import';
import { installCommand } from './commands/install';
import { inventoryCommand } from './commands/inventory';
import { upgradeCommand } from './commands/upgrade';
import { mediaCommand } from './commands/media';
import { scanCommand } from './commands/scan';
import { serveCommand } from './commands/serve';
import { verifyCommand } from './commands/verify';
import { doctorCommand } from './commands/doctor';
import { signaturePolicyCommand } from './commands/signature-policy';
import { kitCommand } from './commands/kit';
import { bomCommand } from './commands/bom';
import { engineCommand } from './commands/engine';
import { EXIT } from './context';

// Start-up: every command module here defines names, options and help only; its action loads
// what it runs with import() (rollup splits those into chunks). `ferry --version` and
// `ferry --help` load no service (test/unit/cli-lazy.test.ts asserts it; `npm run bench` times it).

export function buildProgram(): Command {
  const program = new Command('ferry')
    .description('Move self-hosted AI stacks across an air gap, with a verifiable chain of custody')
    .version(versionLine())
    .showHelpAfterError()
    .exitOverride();
  for (const c of [bundleCommand(), verifyCommand(), importCommand(), mediaCommand(), scanCommand(), custodyCommand(), serveCommand()]) program.addCommand(c);
  for (const c of [identityCommand(), reviewCommand(), trustCommand(), reportCommand()]) program.addCommand(c);
  for (const c of recipeCommands()) program.addCommand(c);
  program.addCommand(credentialsCommand());
  program.addCommand(installCommand());
  program.addCommand(inventoryCommand());
  program.addCommand(upgradeCommand());
  program.addCommand(doctorCommand());
  program.addCommand(signaturePolicyCommand());
  program.addCommand(kitCommand());
  program.addCommand(bomCommand());
  program.addCommand(engineCommand());
  const override = (cmd: Command): void => {
    cmd.exitOverride();
    cmd.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 operation failed, 2 bad usage. */
export async function main(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.ok : EXIT.usage;
    }
    const json = argv.includes('--json');
    const e = err instanceof Error ? err : new Error(String(err));
    const hint = err instanceof FerryError ? err.hint : undefined;
    if (json) process.stdout.write(`${JSON.stringify({ error: { name: e.name, message: e.message, ...(hint ? { hint } : {}) } })}\n`);
    process.stderr.write(`ferry: ${e.message}\n${hint ? `  → ${hint}\n` : ''}`);
    if (err instanceof UsageError || e.name === 'UsageError') return EXIT.usage;
    if (e.name === 'CanceledError') return EXIT.interrupted;
    return EXIT.failed;
  }
}

/** For the benchmark: FERRY_PRINT_PEAK_RSS=1 prints this process's peak resident memory at exit. */
if (process.env.FERRY_PRINT_PEAK_RSS === '1') {
  // VmHWM is this process's own peak; getrusage's maxRSS also counts the parent's peak at fork time.
  const peak = (): number => Number(/VmHWM:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? process.resourceUsage().maxRSS);
  process.once('exit', () => process.stderr.write(`ferry-peak-rss-kib: ${existsSync('/proc/self/status') ? peak() : process.resourceUsage().maxRSS}\n`));
}

if (require.main === module) {
  void main(process.argv).then((code) => process.exit(code));
}
