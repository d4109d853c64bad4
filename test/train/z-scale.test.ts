import { describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { createParams, type ModelShape, type Params } from '../../src/model/vhe.js';
import { priorScale } from '../../src/train/z-scale.js';
import { clusterDimWeights } from '../../src/train/cluster-weights.js';
import { resolveConfig } from '../../src/config.js';
import { Rng } from '../../src/util/rng.js';

const shape: ModelShape = { mode: 'uvhe', pixels: 4, hidden: 6, zDim: 3, cDim: 2, logStdBound: 5 };

/** The prior p(z|c) at one c, written out: ReLU layer [2H], then the block-diagonal heads, then the bound. */
function priorAt(p: Record<string, Float32Array>, c: number[]): { mu: number[]; s: number[] } {
  const H = shape.hidden, H2 = 2 * H, dz = shape.zDim, dc = shape.cDim, L = shape.logStdBound;
  const h: number[] = [];
  for (let r = 0; r < H2; r++) {
    let t = p['prior/b1']![r]!;
    for (let j = 0; j < dc; j++) t += p['prior/W1']![r * dc + j]! * c[j]!;
    h.push(Math.max(0, t));
  }
  const mu: number[] = [], s: number[] = [];
  for (let j = 0; j < dz; j++) {
    let m = p['prior/bhead']![j]!, q = p['prior/bhead']![dz + j]!;
    for (let r = 0; r < H; r++) { m += p['prior/Whead']![j * H2 + r]! * h[r]!; q += p['prior/Whead']![(dz + j) * H2 + H + r]! * h[H + r]!; }
    mu.push(m); s.push(L * Math.tanh(q / L));
  }
  return { mu, s };
}

const host = (p: Params): Record<string, Float32Array> => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.dataSync() as Float32Array]));

/** n stored codes [z ‖ c] with random values. */
function store(n: number, seed: number): Float32Array {
  return new Rng(seed).fillNormal(new Float32Array(n * (shape.zDim + shape.cDim)));
}

describe('z scale under a learned prior', () => {
  it('is the std of the aggregate prior over the stored class codes (every ⌈n/4096⌉-th row), as written out', async () => {
    await initBackend('cpu');
    const params = createParams(shape, 7);
    const p = host(params);
    const n = 10_000, codes = store(n, 3), d = shape.zDim + shape.cDim;
    const got = priorScale({ shape, params, codes, n });
    const step = Math.ceil(n / 4096);
    const rows: Array<{ mu: number[]; s: number[] }> = [];
    for (let i = 0; i < n; i += step) rows.push(priorAt(p, Array.from(codes.subarray(i * d + shape.zDim, (i + 1) * d))));
    for (let j = 0; j < shape.zDim; j++) {
      const mean = rows.reduce((a, r) => a + r.mu[j]!, 0) / rows.length;
      const v = rows.reduce((a, r) => a + (r.mu[j]! - mean) ** 2 + Math.exp(2 * r.s[j]!), 0) / rows.length;
      expect(got[j]).toBeCloseTo(Math.sqrt(v), 4);
    }
  });

  it('is 1 for an N(0, I) prior, and follows a rescaled prior mean', async () => {
    await initBackend('cpu');
    const params = createParams(shape, 7);
    for (const k of ['prior/W1', 'prior/b1', 'prior/bhead', 'prior/Whead']) params[k]!.assign(tf.zerosLike(params[k]!));
    expect(Array.from(priorScale({ shape, params, codes: store(500, 1), n: 500 }))).toEqual([1, 1, 1]);
    // μ_p = 3·c₀ along z dimension 1, σ_p = 1: scale² = 9·Var(c₀) + 1
    const W1 = new Float32Array(2 * shape.hidden * shape.cDim); W1[0] = 1; // hidden unit 0 = relu(c₀)
    const Wh = new Float32Array(2 * shape.zDim * 2 * shape.hidden); Wh[1 * 2 * shape.hidden] = 3;
    const b1 = new Float32Array(2 * shape.hidden); b1[0] = 100; // keeps unit 0 in ReLU's linear part: 100 + c₀
    params['prior/W1']!.assign(tf.tensor2d(W1, params['prior/W1']!.shape as [number, number]));
    params['prior/b1']!.assign(tf.tensor2d(b1, [b1.length, 1]));
    params['prior/Whead']!.assign(tf.tensor2d(Wh, params['prior/Whead']!.shape as [number, number]));
    const codes = store(4000, 2), d = shape.zDim + shape.cDim;
    let m = 0, m2 = 0;
    for (let i = 0; i < 4000; i++) { const c0 = codes[i * d + shape.zDim]!; m += c0; m2 += c0 * c0; }
    const varC0 = m2 / 4000 - (m / 4000) ** 2;
    const got = priorScale({ shape, params, codes, n: 4000 });
    expect(got[0]).toBe(1);
    expect(got[1]).toBeCloseTo(Math.sqrt(9 * varC0 + 1), 3);
    expect(got[2]).toBe(1);
  });

  it('divides the z weights of the relabel distance by the scale squared, and leaves c\'s', () => {
    const cfg = resolveConfig({ cluster: { weights: { z: 2, c: 0.5 } } });
    const w = clusterDimWeights(cfg.cluster, 3, 2, Float32Array.from([1, 2, 0.5])).w;
    expect(Array.from(w)).toEqual([2, 0.5, 8, 0.5, 0.5]);
    expect(Array.from(clusterDimWeights(cfg.cluster, 3, 2).w)).toEqual([2, 2, 2, 0.5, 0.5]);
  });
});
