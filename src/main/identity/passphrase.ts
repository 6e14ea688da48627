import { CanceledError, UsageError } from '../../shared/errors';

export interface PassphraseSource {
  /** Read the passphrase from the first line of stdin. */
  passphraseStdin?: boolean;
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
}

/**
 * Where a passphrase comes from, in order: `--passphrase-stdin`, the FERRY_PASSPHRASE
 * environment variable (automation), else a prompt on the terminal with echo off.
 * The passphrase is never logged or put in any record.
 */
export async function readPassphrase(purpose: string, src: PassphraseSource = {}, confirm = false): Promise<string> {
  const stdin = src.stdin ?? process.stdin;
  const env = src.env ?? process.env;
  if (src.passphraseStdin) return readFirstLine(stdin);
  if (env.FERRY_PASSPHRASE) return env.FERRY_PASSPHRASE;
  if (!stdin.isTTY) {
    throw new UsageError(`A passphrase is needed to ${purpose}.`, 'Pass --passphrase-stdin, set FERRY_PASSPHRASE, or run on a terminal.');
  }
  const err = src.stderr ?? process.stderr;
  const first = await prompt(`Passphrase to ${purpose}: `, stdin, err);
  if (!confirm) return first;
  const again = await prompt('Repeat the passphrase: ', stdin, err);
  if (again !== first) throw new UsageError('The two passphrases differ.');
  return first;
}

async function readFirstLine(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of stdin as AsyncIterable<Buffer>) {
    chunks.push(c);
    total += c.length;
    if (total > 64 * 1024) throw new UsageError('The passphrase on stdin is over 64 KiB.');
  }
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (!line) throw new UsageError('--passphrase-stdin was given but stdin held no passphrase.');
  return line;
}

function prompt(question: string, stdin: NodeJS.ReadStream, out: NodeJS.WriteStream): Promise<string> {
  return new Promise((resolve, reject) => {
    out.write(question);
    let value = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      out.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CanceledError());
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
