import type { GpuMemoryEstimate } from './types';

export const DEFAULT_CONTEXT = 8192;
export const DEFAULT_BATCH = 1;
/** KV-cache allowance when config.json does not describe the attention layout. */
export const FALLBACK_KV_FRACTION = 0.2;
/** CUDA context, allocator slack and activations: a fixed part plus a share of the weights. */
export const OVERHEAD_FIXED_BYTES = 1 << 30;
export const OVERHEAD_FRACTION = 0.1;

const GIB = 1 << 30;

export interface GpuEstimateInput {
  /** Tensor bytes from the safetensors headers. */
  weightsBytes: number;
  /** Parsed config.json, if the model has one. */
  config?: unknown;
  contextLength?: number;
  batchSize?: number;
}

interface Attention { layers: number; kvHeads: number; headDim: number; maxPositions?: number; bytes: number; dtype: string }

/**
 * weights + KV cache + overhead, serving one model on one GPU (tensor parallel splits it across GPUs).
 * KV cache = 2 (K and V) × layers × kv_heads × head_dim × context × batch × bytes per element, with the
 * layout from config.json (`text_config` for multimodal models); context = min(default 8192,
 * max_position_embeddings), batch 1, element size from torch_dtype (2 bytes unless float32). Without a
 * usable config.json the allowance is 20 % of the weights. Overhead = 1 GiB + 10 % of the weights.
 */
export function estimateGpuMemory(input: GpuEstimateInput): GpuMemoryEstimate {
  const weightsBytes = Math.max(0, Math.round(input.weightsBytes));
  const batch = input.batchSize ?? DEFAULT_BATCH;
  const assumptions = [`weights: ${gib(weightsBytes)} from the safetensors headers, loaded unquantised as stored`];
  const att = attention(input.config);
  let kvCacheBytes: number;
  if (att) {
    const context = input.contextLength ?? Math.min(DEFAULT_CONTEXT, att.maxPositions ?? DEFAULT_CONTEXT);
    kvCacheBytes = 2 * att.layers * att.kvHeads * att.headDim * context * batch * att.bytes;
    assumptions.push(
      `KV cache: 2 × ${att.layers} layers × ${att.kvHeads} KV heads × ${att.headDim} head dim × ${context} tokens of context × batch ${batch} × ${att.bytes} bytes (${att.dtype}) = ${gib(kvCacheBytes)}`,
    );
  } else {
    kvCacheBytes = Math.round(weightsBytes * FALLBACK_KV_FRACTION);
    assumptions.push(`KV cache: ${FALLBACK_KV_FRACTION * 100}% of the weights (${gib(kvCacheBytes)}); no config.json with num_hidden_layers, num_attention_heads and hidden_size`);
  }
  const overheadBytes = OVERHEAD_FIXED_BYTES + Math.round(weightsBytes * OVERHEAD_FRACTION);
  assumptions.push(`overhead: 1 GiB (CUDA context) + ${OVERHEAD_FRACTION * 100}% of the weights (activations, allocator) = ${gib(overheadBytes)}`);
  assumptions.push('one GPU; servers such as vLLM reserve a fixed share of GPU memory (e.g. --gpu-memory-utilization 0.9) and fill it with KV cache');
  return { weightsBytes, kvCacheBytes, overheadBytes, totalBytes: weightsBytes + kvCacheBytes + overheadBytes, assumptions };
}

function attention(config: unknown): Attention | undefined {
  if (!isObject(config)) return undefined;
  const c = !isInt(config.num_hidden_layers) && isObject(config.text_config) ? config.text_config : config;
  const layers = c.num_hidden_layers;
  const heads = c.num_attention_heads;
  const hidden = c.hidden_size;
  if (!isInt(layers) || !isInt(heads)) return undefined;
  const headDim = isInt(c.head_dim) ? c.head_dim : isInt(hidden) && hidden % heads === 0 ? hidden / heads : undefined;
  if (headDim === undefined) return undefined;
  const kvHeads = isInt(c.num_key_value_heads) ? c.num_key_value_heads : heads;
  const dtype = typeof c.torch_dtype === 'string' ? c.torch_dtype : typeof config.torch_dtype === 'string' ? config.torch_dtype : 'float16';
  const bytes = /float32|^float$/.test(dtype) ? 4 : 2;
  return { layers, kvHeads, headDim, maxPositions: isInt(c.max_position_embeddings) ? c.max_position_embeddings : undefined, bytes, dtype: printableDtype(dtype) };
}

function gib(n: number): string {
  return `${(n / GIB).toFixed(2)} GiB`;
}

function printableDtype(s: string): string {
  return s.replace(/[^\w.-]/g, '').slice(0, 32) || 'unknown';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isInt(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) > 0 && (v as number) <= 1 << 24;
}
