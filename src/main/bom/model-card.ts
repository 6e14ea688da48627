import type { ModelArtifact } from '../bundle/manifest-schema';
import { readMediaFile, readMediaJson } from '../io/media-file';

// CycloneDX 1.6 `modelCard` for a model component, from what Ferry knows about the model: the scan
// report (parameters by dtype, GPU memory estimate, licence from the card) and two small files of
// the model as carried in the bundle — config.json (architecture) and the README.md front matter
// (pipeline_tag, datasets). Both are read through the media reader; a missing or unreadable one
// just leaves its fields out.

const MAX_CONFIG_BYTES = 1 << 20;
const MAX_README_BYTES = 256 << 10;
const MAX_TEXT = 256;

export interface ModelInfo {
  task?: string;
  architectureFamily?: string;
  modelArchitecture?: string;
  datasets?: string[];
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() && v.length <= MAX_TEXT && !/[\x00-\x1f\x7f]/.test(v) ? v.trim() : undefined);

/** Reads config.json and README.md of a model from the bundle at `dir` (never throws). */
export async function readModelInfo(dir: string, a: ModelArtifact): Promise<ModelInfo> {
  const has = (p: string): boolean => a.files.some((f) => f.path === p);
  const info: ModelInfo = {};
  if (has('config.json')) {
    const cfg = await readMediaJson(dir, `${a.dir}/config.json`, 'config', { maxBytes: MAX_CONFIG_BYTES }).then((r) => r.value, () => undefined);
    if (cfg && typeof cfg === 'object' && !Array.isArray(cfg)) {
      const c = cfg as Record<string, unknown>;
      info.architectureFamily = text(c.model_type);
      info.modelArchitecture = Array.isArray(c.architectures) ? text(c.architectures[0]) : undefined;
    }
  }
  if (has('README.md')) {
    const bytes = await readMediaFile(dir, `${a.dir}/README.md`, 'notes', { maxBytes: MAX_README_BYTES }).catch(() => undefined);
    if (bytes) Object.assign(info, frontMatter(bytes.toString('utf8')));
  }
  return Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined)) as ModelInfo;
}

/** pipeline_tag and datasets from a model card's YAML front matter: plain scalars and simple lists only. */
export function frontMatter(md: string): Pick<ModelInfo, 'task' | 'datasets'> {
  const lines = md.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines[0]?.trim() !== '---') return {};
  const end = lines.findIndex((l, i) => i > 0 && (l.trim() === '---' || l.trim() === '...'));
  if (end < 0) return {};
  const out: Pick<ModelInfo, 'task' | 'datasets'> = {};
  for (let i = 1; i < end; i++) {
    const m = /^(pipeline_tag|datasets)\s*:(.*)$/.exec(lines[i]!);
    if (!m) continue;
    const raw = m[2]!.replace(/\s+#.*$/, '').trim();
    let values: string[];
    if (raw === '') {
      values = [];
      while (i + 1 < end && /^\s*-\s+/.test(lines[i + 1]!)) values.push(unquote(lines[++i]!.replace(/^\s*-\s+/, '')));
    } else if (raw.startsWith('[') && raw.endsWith(']')) values = raw.slice(1, -1).split(',').map(unquote);
    else values = [unquote(raw)];
    const clean = values.map(text).filter((v): v is string => v !== undefined).slice(0, 50);
    if (m[1] === 'pipeline_tag' && clean[0]) out.task = clean[0];
    if (m[1] === 'datasets' && clean.length) out.datasets = clean;
  }
  return out;
}

function unquote(s: string): string {
  const t = s.trim();
  return (t.startsWith('"') && t.endsWith('"')) || (t.startsWith("'") && t.endsWith("'")) ? t.slice(1, -1) : t;
}

/** The modelCard object (CycloneDX 1.6 JSON) for a model; undefined when nothing is known. */
export function modelCardJson(a: ModelArtifact, info: ModelInfo): Record<string, unknown> | undefined {
  const params: Record<string, unknown> = {
    ...(info.task ? { task: info.task } : {}),
    ...(info.architectureFamily ? { architectureFamily: info.architectureFamily } : {}),
    ...(info.modelArchitecture ? { modelArchitecture: info.modelArchitecture } : {}),
    ...(info.datasets?.length ? { datasets: info.datasets.map((name) => ({ type: 'dataset', name })) } : {}),
  };
  const s = a.scan;
  const properties: { name: string; value: string }[] = [];
  if (s?.parameters) {
    properties.push({ name: 'ferry:parameters:total', value: String(s.parameters.total) });
    for (const [dtype, n] of Object.entries(s.parameters.byDtype).sort(([x], [y]) => (x < y ? -1 : 1))) properties.push({ name: `ferry:parameters:${dtype}`, value: String(n) });
  }
  if (s?.gpuMemory) {
    properties.push({ name: 'ferry:gpu-memory:weights-bytes', value: String(s.gpuMemory.weightsBytes) });
    properties.push({ name: 'ferry:gpu-memory:kv-cache-bytes', value: String(s.gpuMemory.kvCacheBytes) });
    properties.push({ name: 'ferry:gpu-memory:total-bytes', value: String(s.gpuMemory.totalBytes) });
  }
  if (s?.licence && s.licence.id !== 'unknown') properties.push({ name: 'ferry:model-card:license', value: s.licence.id });
  if (!Object.keys(params).length && !properties.length) return undefined;
  return { ...(Object.keys(params).length ? { modelParameters: params } : {}), ...(properties.length ? { properties } : {}) };
}
