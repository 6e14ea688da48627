import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import { freePort } from './ports';
import { requireTool } from './require-tool';
import { tempDir } from './temp';

export interface StartRegistryOptions {
  /** Serve HTTPS with a freshly generated self-signed CA; the CA is returned as `caFile`. */
  tls?: boolean;
  /** Require htpasswd (bcrypt) basic auth. */
  auth?: { username: string; password: string };
}

export interface TestRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  /** PEM of the CA that signed the server certificate (TLS only). */
  caFile?: string;
  /** The registry's storage and config directory. */
  dir: string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;

function makeCerts(dir: string): { caFile: string; cert: string; key: string } {
  const openssl = requireTool('openssl', 'openssl');
  const f = (name: string) => join(dir, name);
  const run = (args: string[]) => execFileSync(openssl, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '2',
    '-subj', '/CN=Ferry Test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=127.0.0.1']);
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  run(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.crt'), '-days', '2', '-extfile', f('server.ext')]);
  return { caFile: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

/** GET /v2/ once; resolves with the status, or undefined when nothing answers yet. */
function probe(url: string, ca?: Buffer): Promise<number | undefined> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const req = get(url, ca ? { ca } : {}, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Starts Debian's docker-registry (distribution reference server) on 127.0.0.1:<free port>. */
export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  const bin = requireTool('docker-registry', 'docker-registry');
  const tmp = tempDir('ferry-registry-');
  const dir = tmp.path;
  mkdirSync(join(dir, 'data'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;

  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
  ];
  let caFile: string | undefined;
  if (opts.tls) {
    const certs = makeCerts(dir);
    caFile = certs.caFile;
    lines.push('  tls:', `    certificate: ${certs.cert}`, `    key: ${certs.key}`);
  }
  if (opts.auth) {
    const htpasswd = requireTool('htpasswd', 'apache2-utils');
    const entry = execFileSync(htpasswd, ['-BbnC', '4', opts.auth.username, opts.auth.password], { encoding: 'utf8' }).trim();
    writeFileSync(join(dir, 'htpasswd'), `${entry}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: ferry-test', `    path: ${join(dir, 'htpasswd')}`);
  }
  writeFileSync(join(dir, 'config.yml'), `${lines.join('\n')}\n`);

  const child: ChildProcess = spawn(bin, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited: string | undefined;
  const exitedP = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited with ${code ?? signal}`;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (exited === undefined) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedP;
      clearTimeout(timer);
    }
    tmp.cleanup();
  };

  const url = `${opts.tls ? 'https' : 'http'}://${host}/v2/`;
  const ca = caFile ? readFileSync(caFile) : undefined;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (exited !== undefined) {
      await stop();
      throw new Error(`docker-registry ${exited} before becoming ready:\n${stderr}`);
    }
    const status = await probe(url, ca);
    if (status === 200 || status === 401) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry on ${host} not ready after ${READY_TIMEOUT_MS} ms (last status ${status ?? 'none'}):\n${stderr}`);
    }
    await new Promise<void>((r) => setTimeout(r, 25)); // poll interval, not a timing assumption
  }
  return { host, ...(caFile ? { caFile } : {}), dir, stop };
}
