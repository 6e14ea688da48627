import { describe, expect, it } from 'vitest';
import { estimateGpuMemory } from '../../src/main/scan/gpu-estimate';
import { parseModelCardLicence } from '../../src/main/scan/model-card';

const GIB = 2 ** 30;

describe('GPU memory estimate', () => {
  it('weights + KV cache from config.json (GQA, context capped at 8192) + overhead', () => {
    // Mistral-7B-like: 32 layers, 32 heads, 8 KV heads, hidden 4096 → head_dim 128, bf16
    const config = { num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, hidden_size: 4096, max_position_embeddings: 32768, torch_dtype: 'bfloat16' };
    const g = estimateGpuMemory({ weightsBytes: 14 * GIB, config });
    expect(g.kvCacheBytes).toBe(2 * 32 * 8 * 128 * 8192 * 2); // 1 GiB
    expect(g.kvCacheBytes).toBe(GIB);
    expect(g.overheadBytes).toBe(GIB + Math.round(1.4 * GIB));
    expect(g.totalBytes).toBe(g.weightsBytes + g.kvCacheBytes + g.overheadBytes);
    expect(g.assumptions.join('\n')).toMatch(/2 × 32 layers × 8 KV heads × 128 head dim × 8192 tokens of context × batch 1 × 2 bytes \(bfloat16\) = 1\.00 GiB/);
  });

  it('uses text_config, head_dim, a shorter max context and float32', () => {
    const config = { text_config: { num_hidden_layers: 2, num_attention_heads: 4, head_dim: 16, max_position_embeddings: 1024 }, torch_dtype: 'float32' };
    expect(estimateGpuMemory({ weightsBytes: 1000, config }).kvCacheBytes).toBe(2 * 2 * 4 * 16 * 1024 * 4);
    expect(estimateGpuMemory({ weightsBytes: 1000, config, contextLength: 10, batchSize: 3 }).kvCacheBytes).toBe(2 * 2 * 4 * 16 * 10 * 3 * 4);
  });

  it('falls back to a stated 20 % of the weights without a usable config', () => {
    for (const config of [undefined, {}, { num_hidden_layers: 'x' }, { num_hidden_layers: 2, num_attention_heads: 3, hidden_size: 10 }]) {
      const g = estimateGpuMemory({ weightsBytes: 1000, config });
      expect(g.kvCacheBytes).toBe(200);
      expect(g.assumptions[1]).toMatch(/20% of the weights/);
    }
  });
});

describe('licence from the model card', () => {
  it('reads license, license_name and license_link from the front matter', () => {
    const card = '---\nlanguage:\n- en\nlicense: other\nlicense_name: "llama3.1"   \nlicense_link: https://license.example.org/llama3_1 # link\ntags: [a]\n---\n# Model\nlicense: mit\n';
    expect(parseModelCardLicence(card)).toEqual({ id: 'other', name: 'llama3.1', link: 'https://license.example.org/llama3_1', source: 'README.md front matter' });
    expect(parseModelCardLicence('\uFEFF---\r\nlicense: apache-2.0\r\n---\r\n').id).toBe('apache-2.0');
    expect(parseModelCardLicence("---\nlicense: 'mit'\n---").id).toBe('mit');
    expect(parseModelCardLicence('---\nlicense:\n  - mit\n  - apache-2.0\n---').id).toBe('mit OR apache-2.0');
    expect(parseModelCardLicence('---\nlicense: [mit, cc-by-4.0]\n---').id).toBe('mit OR cc-by-4.0');
  });

  it('says unknown, and why, when there is no licence', () => {
    expect(parseModelCardLicence('# Just a title\nlicense: mit')).toEqual({ id: 'unknown', source: 'README.md has no YAML front matter' });
    expect(parseModelCardLicence('---\ntags: [x]\n---\n')).toEqual({ id: 'unknown', source: 'README.md front matter has no license' });
    expect(parseModelCardLicence('---\nlicense: mit\n')).toEqual({ id: 'unknown', source: 'README.md front matter is not closed' });
    expect(parseModelCardLicence('---\n  license: mit\n---').id).toBe('unknown'); // nested keys are not the model's licence
  });
});
