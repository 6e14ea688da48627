import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { INVOKE_CHANNELS } from '../../src/shared/api';
import { COMMAND_CHANNELS } from '../../src/main/cli/command-channels';
import { withServices } from '../../src/main/cli/context';
import { buildProgram } from '../../src/main/cli/index';
import { tempDir } from '../harness/temp';

// One contract for every front end: every CLI command calls the API's handlers through the same
// dispatch as Electron IPC and the headless server (or is exempt, with its reason), and no command
// builds a service itself (src/main/cli/context.ts withServices is the one composition root).

const CLI_DIR = resolve(__dirname, '../../src/main/cli');
const COMMANDS_DIR = join(CLI_DIR, 'commands');
const SERVICE_CONSTRUCTION = /new [A-Z][A-Za-z]*(Service|Store|Forwarder)\b|jobs\.start|writeMedia\(/;

const t = tempDir('ferry-cli-channels-');
afterAll(() => t.cleanup());

/** Every command that runs something: leaves, and commands with an action of their own (`ferry install`). */
function runnableCommands(cmd: Command, path: string[] = []): string[] {
  const out: string[] = [];
  for (const sub of cmd.commands) {
    const p = [...path, sub.name()];
    const hasAction = Boolean((sub as unknown as { _actionHandler?: unknown })._actionHandler);
    if (sub.commands.length === 0 || hasAction) out.push(p.join(' '));
    out.push(...runnableCommands(sub, p));
  }
  return out;
}

function sources(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [{ file: join(dir, e.name), text: readFileSync(join(dir, e.name), 'utf8') }] : [],
  );
}

describe('CLI commands and API channels', () => {
  const commands = runnableCommands(buildProgram());

  it('walks the whole command tree', () => {
    expect(commands).toEqual(expect.arrayContaining(['bundle create', 'install', 'install export-compose', 'install remove', 'trust policy', 'upgrade', 'media assemble']));
  });

  it('maps every command to declared channels, or names why it cannot be one', () => {
    const known = new Set<string>(INVOKE_CHANNELS);
    const unmapped = commands.filter((c) => !(c in COMMAND_CHANNELS));
    expect(unmapped, 'add these commands to src/main/cli/command-channels.ts').toEqual([]);
    const stale = Object.keys(COMMAND_CHANNELS).filter((c) => !commands.includes(c));
    expect(stale, 'commands in command-channels.ts that the CLI no longer has').toEqual([]);
    for (const c of commands) {
      const m = COMMAND_CHANNELS[c]!;
      if ('exempt' in m) {
        expect(m.exempt.length, `${c}: the reason it cannot be a channel`).toBeGreaterThan(40);
        continue;
      }
      expect(m.length, c).toBeGreaterThan(0);
      for (const ch of m) expect(known.has(ch), `${c} → ${ch} is not an API channel`).toBe(true);
    }
  });

  it('the CLI calls each mapped channel through its handlers, and no exempt command through them', () => {
    const cli = sources(CLI_DIR).map((s) => s.text).join('\n');
    const called = new Set([...cli.matchAll(/handlers\['([a-z-]+:[a-z-]+)'\]/g)].map((m) => m[1]!));
    const mapped = new Set<string>(Object.values(COMMAND_CHANNELS).flatMap((m) => ('exempt' in m ? [] : [...m])));
    expect([...mapped].filter((ch) => !called.has(ch)), 'mapped but never called').toEqual([]);
    expect([...called].filter((ch) => !mapped.has(ch)), 'called but not in the table').toEqual([]);
  });

  it('no command builds a service, starts a job or writes media itself', () => {
    const offenders = sources(COMMANDS_DIR).flatMap(({ file, text }) =>
      text.split('\n').flatMap((line, i) => (SERVICE_CONSTRUCTION.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(offenders).toEqual([]);
  });

  it('validates a CLI call exactly as dispatch validates an IPC or HTTP call', async () => {
    await withServices({ dataDir: join(t.path, 'station') }, async (cli) => {
      await expect(cli.handlers['trust:check']({} as { dir: string })).rejects.toMatchObject({ name: 'UsageError', message: 'trust:check: field dir Invalid input: expected string, received undefined' });
      await expect(cli.handlers['custody:record']({ type: 'imported' as 'note', bundleId: 'b-1' })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/^custody:record: field type /) });
      await expect(cli.handlers['job:get']({ id: 'not-a-uuid' })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringMatching(/^job:get: field id /) });
    });
  });
});
