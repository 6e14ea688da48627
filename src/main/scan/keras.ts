import type { ReadableFile } from './file-source';
import { readRange } from './file-source';
import { printable } from './pickle-strings';
import { finding } from './rules';
import type { Finding } from './types';

/** A Keras config holding a Lambda layer or a serialized Python function (Keras 2 and 3 forms). */
export function kerasConfigFindings(text: string, file: string, part?: string): Finding[] {
  const at = part ? `${part}: ` : '';
  let root: unknown;
  try {
    root = JSON.parse(text) as unknown;
  } catch (err) {
    return [finding(file, 'keras.bad-config', `${at}not JSON: ${(err as Error).message}`)];
  }
  const out: Finding[] = [];
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > 200 || out.length >= 20 || typeof v !== 'object' || v === null) return;
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
    const o = v as Record<string, unknown>;
    const cls = typeof o.class_name === 'string' ? o.class_name : undefined;
    const isFunction = cls === '__lambda__' || (cls === 'function' && o.module === 'builtins') || o.function_type === 'lambda';
    if (cls === 'Lambda' || isFunction) {
      const cfg = (o.config ?? {}) as Record<string, unknown>;
      const name = typeof cfg.name === 'string' ? ` '${printable(cfg.name, 80)}'` : '';
      out.push(finding(file, 'keras.lambda', `${at}${cls === 'Lambda' ? 'Lambda layer' : 'serialized function'}${name} at ${path || '/'}: ${printable(JSON.stringify(o.config ?? o.function ?? o), 600)}`));
      return;
    }
    for (const [k, x] of Object.entries(o)) walk(x, `${path}/${k}`, depth + 1);
  };
  walk(root, '', 0);
  return out;
}

const LAMBDA_TEXT = /"class_name"\s*:\s*"(Lambda|__lambda__)"|"function_type"\s*:\s*"lambda"/;

/**
 * A Keras .h5 (HDF5) file: the model_config attribute is JSON text stored uncompressed among the
 * HDF5 metadata. The whole file is searched in overlapping windows for a Lambda layer or a
 * serialized function; weights are data.
 */
export async function scanHdf5(file: ReadableFile, rel: string, signal?: AbortSignal): Promise<Finding[]> {
  let carry = '';
  let sawConfig = false;
  let pos = 0;
  for await (const chunk of readRange(file, 0, file.size, signal)) {
    const text = carry + chunk.toString('latin1');
    sawConfig ||= text.includes('"class_name"');
    const m = LAMBDA_TEXT.exec(text);
    if (m) {
      const start = Math.max(0, m.index - 200);
      return [finding(rel, 'keras.lambda', `model_config near byte ${pos - carry.length + m.index}: ${printable(text.slice(start, m.index + 600), 800)}`)];
    }
    carry = text.slice(-256);
    pos += chunk.length;
  }
  return [finding(rel, 'hdf5.model-config', sawConfig ? 'model_config holds no Lambda layer or serialized function' : 'no Keras model_config found; HDF5 datasets are data')];
}
