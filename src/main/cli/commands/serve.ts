import { Command } from 'commander';
import { join } from 'node:path';
import { withCommon, withServices, type CommonOptions } from '../context';

interface Opts extends CommonOptions {
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function serveCommand(): Command {
  return withCommon(new Command('serve'))
    .description('headless mode: serve the Ferry UI and API on loopback, protected by a per-run token')
    .option('--host <addr>', 'address to bind (non-loopback needs --tls-cert/--tls-key)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', '0')
    .option('--tls-cert <file>', 'TLS certificate (PEM)')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .action(async (o: Opts) =>
      withServices(o, async (cli) => {
        const { startHeadlessServer } = await import('../../server/headless-server');
        const srv = await startHeadlessServer(cli.services, cli.api, {
          host: o.host,
          port: Number.parseInt(o.port, 10),
          staticDir: (await import('../../kit/running-kit')).kitRendererDir() ?? join(__dirname, '..', 'renderer'),
          tlsCert: o.tlsCert,
          tlsKey: o.tlsKey,
        });
        if (cli.json) process.stdout.write(`${JSON.stringify({ url: srv.url })}\n`);
        else process.stdout.write(`Ferry is serving on ${srv.url}\nOpen that URL in a browser (it carries the access token). Ctrl-C stops.\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await srv.close();
      }),
    );
}
