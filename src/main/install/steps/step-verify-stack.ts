import { request } from 'undici';
import { CanceledError, FerryError } from '../../../shared/errors';
import type { VerifySpec } from '../../recipes/recipe-schema';
import { activeVerify } from '../plan/install-plan';
import { templateContext } from '../plan/install-refs';
import { expandInstall, type InstallTemplateContext } from '../plan/install-template';
import type { StepEnv, StepOutcome } from './step-env';
import { sleep } from '../../core/sleep';

// The recipe's stack-level checks (install.verify), run from the install host once every
// container is healthy: e.g. a chat completion through the gateway to the model. Each is
// retried until it passes or its timeout (default 30 s); the last answer is shown on failure.

const DEFAULT_TIMEOUT_S = 30;
const ATTEMPT_MS = 10_000;
const MAX_BODY = 1 << 20;
const SNIPPET = 300;

export interface VerifyCheck {
  name: string;
  method: string;
  url: string;
  body?: string;
  expectStatus?: number;
  expectBody?: string;
  timeoutMs: number;
}

export interface VerifyResult {
  name: string;
  request: string;
  status: number;
  ms: number;
  body: string;
}

/** The check with `${param}` values filled in (secrets are not allowed in what is shown). */
export function expandVerify(v: VerifySpec, ctx: InstallTemplateContext): VerifyCheck {
  const at = `install.verify[${v.name}]`;
  return {
    name: v.name,
    method: v.method ?? 'GET',
    url: expandInstall(v.http, ctx, `${at}.http`, 'display'),
    ...(v.body !== undefined ? { body: expandInstall(v.body, ctx, `${at}.body`, 'display') } : {}),
    ...(v.expectStatus !== undefined ? { expectStatus: v.expectStatus } : {}),
    ...(v.expectBody !== undefined ? { expectBody: expandInstall(v.expectBody, ctx, `${at}.expectBody`, 'display') } : {}),
    timeoutMs: (v.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
  };
}

async function once(c: VerifyCheck, signal?: AbortSignal): Promise<{ ok: boolean; status: number; body: string; detail: string }> {
  const res = await request(c.url, {
    method: c.method as 'GET' | 'POST' | 'PUT',
    ...(c.body !== undefined ? { body: c.body, headers: { 'content-type': 'application/json' } } : {}),
    headersTimeout: ATTEMPT_MS,
    bodyTimeout: ATTEMPT_MS,
    ...(signal ? { signal } : {}),
  });
  let body = '';
  for await (const chunk of res.body) {
    if (body.length < MAX_BODY) body += (chunk as Buffer).toString('utf8');
  }
  const statusOk = c.expectStatus !== undefined ? res.statusCode === c.expectStatus : res.statusCode >= 200 && res.statusCode < 300;
  const bodyOk = c.expectBody === undefined || body.includes(c.expectBody);
  const detail = !statusOk ? `HTTP ${res.statusCode} (expected ${c.expectStatus ?? '2xx'})` : !bodyOk ? `the answer does not contain ${JSON.stringify(c.expectBody)}` : 'ok';
  return { ok: statusOk && bodyOk, status: res.statusCode, body, detail };
}

/** Runs one check until it passes or its timeout; throws FerryError with the last answer. */
export async function runVerifyCheck(c: VerifyCheck, opts: { signal?: AbortSignal; onAttempt?: (detail: string) => void } = {}): Promise<VerifyResult> {
  const started = Date.now();
  let delay = 250;
  let last = { status: 0, body: '', detail: 'not tried' };
  for (;;) {
    if (opts.signal?.aborted) throw new CanceledError();
    try {
      const r = await once(c, opts.signal);
      if (r.ok) return { name: c.name, request: `${c.method} ${c.url}`, status: r.status, ms: Date.now() - started, body: r.body.slice(0, SNIPPET) };
      last = r;
    } catch (err) {
      if (opts.signal?.aborted) throw new CanceledError();
      last = { status: 0, body: '', detail: (err as Error).message };
    }
    opts.onAttempt?.(last.detail);
    if (Date.now() - started + delay > c.timeoutMs) break;
    await sleep(delay, opts.signal);
    delay = Math.min(delay * 2, 4000);
  }
  throw new FerryError(
    `Stack check "${c.name}" (${c.method} ${c.url}) failed after ${Math.round((Date.now() - started) / 1000)} s: ${last.detail}${last.body ? `; answer: ${last.body.slice(0, SNIPPET)}` : ''}`,
    'Every container is healthy but the stack does not answer as expected: read the logs of the containers on the path (docker logs ferry-NAME), fix the configuration, and run this step again.',
    'VerifyFailed',
  );
}

export async function verifyStackStep(env: StepEnv): Promise<StepOutcome> {
  const { plan, request: req } = env.record;
  const ctx = templateContext(plan, req, env.dataDir, env.installId);
  const results: VerifyResult[] = [];
  for (const v of activeVerify(plan.recipe, plan.params)) {
    const c = expandVerify(v, ctx);
    env.progress.phase(`checking ${c.name}: ${c.method} ${c.url}`);
    const r = await runVerifyCheck(c, { ...(env.progress.signal ? { signal: env.progress.signal } : {}), onAttempt: (d) => env.progress.phase(`checking ${c.name}: ${d}`) });
    env.log(`${r.name}: ${r.request} → HTTP ${r.status} after ${r.ms} ms`);
    results.push(r);
  }
  return { result: { checks: results }, summary: `${results.length} stack check(s) passed: ${results.map((r) => r.name).join(', ')}` };
}
