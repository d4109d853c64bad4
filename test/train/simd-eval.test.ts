// Evaluation on the CPU trainer against the tfjs path (the oracle), on the same weights, batches and noise: test
// nats and their terms, the latent-gradient norms, uvhe's test clusters, and a vae's means for the final rule.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.js';
import { createParams, disposeParams, type Mode, type ModelShape } from '../../src/model/vhe.js';
import { setGradientMode } from '../../src/model/layers.js';
import { Adam } from '../../src/train/adam.js';
import { BatchBuilder } from '../../src/train/batch.js';
import { evaluate, tfjsEvalExec, type EvalInput } from '../../src/train/evaluate.js';
import { encodeMeans } from '../../src/eval/final.js';
import { SimdTrainer } from '../../src/train/simd/trainer.js';
import { simdEncodeMeans, simdEvalExec } from '../../src/train/simd/eval-exec.js';
import type { Dataset } from '../../src/data/dataset.js';
import { Rng } from '../../src/util/rng.js';

beforeAll(async () => { await initBackend('wasm'); setGradientMode('custom'); });
const open: SimdTrainer[] = [];
afterAll(async () => { for (const t of open) await t.close(); });

// odd sizes: no dimension is a multiple of the kernels' blocks, and the test split is not a multiple of the batch
const side = 7, P = side * side, K = 3, B = 11, M = 3;
function set(n: number, seed: number, name: string): Dataset {
  const r = new Rng(seed);
  return { n, rows: side, cols: side, images: new Uint8Array(n * P).map(() => r.int(256)), labels: Int32Array.from({ length: n }, (_, i) => i % K), numClasses: K, name };
}
const train = set(40, 1, 'train'), test = set(29, 2, 'test');

function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
  return d / Math.max(s, 1e-6);
}

async function setup(mode: Mode) {
  const shape: ModelShape = { mode, pixels: P, hidden: 19, zDim: 4, cDim: mode === 'vae' ? 0 : 3, logStdBound: 5 };
  const params = createParams(shape, 7);
  const trainer = await SimdTrainer.create({ shape, params, opt: new Adam(params, 1e-3), maxB: B, subsetSize: M, threads: 2, grain: 1 });
  open.push(trainer);
  return { shape, params, trainer };
}

describe('CPU trainer evaluation = tfjs evaluation', () => {
  for (const mode of ['vae', 'vhe', 'uvhe'] as const) {
    it(`${mode}: test nats, every term, gradient norms${mode === 'uvhe' ? ', test clusters' : ''}`, async () => {
      const { shape, params, trainer } = await setup(mode);
      const d = shape.zDim + shape.cDim;
      // stored codes whose K cluster means are the codes of test examples 0..K-1 (so that test clusters differ)
      const probe = mode === 'vae' ? null : tfjsEvalExec({ shape, params, train, test, k: K, trainLabels: null, subsetSize: M, limit: 0, seed: 0, batchSize: K });
      probe?.begin(Int32Array.from({ length: K }, (_, i) => i), new Rng(1));
      const own = probe?.encodeSelf(new Rng(2)) ?? new Float32Array(K * d);
      probe?.dispose();
      const codes = Float32Array.from({ length: train.n * d }, (_, i) => own[(Math.floor(i / d) % K) * d + (i % d)]);
      const e: EvalInput = {
        shape, params, train, test, k: K, trainLabels: mode === 'vae' ? null : train.labels, codes: mode === 'uvhe' ? codes : undefined,
        dimWeights: null, subsetSize: M, limit: 0, seed: 5, batchSize: B,
      };
      const ref = evaluate(e);
      const ours = evaluate(e, simdEvalExec(trainer, { shape, train, test, subsetSize: M }));
      expect(ours.n).toBe(test.n);
      for (const key of ['total', 'bce', 'klZ', 'klC', 'klCWeighted'] as const) expect(Math.abs(ours[key] - ref[key]), key).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref[key])));
      expect(ref.gradZ).toBeGreaterThan(0);
      expect(Math.abs(ours.gradZ - ref.gradZ)).toBeLessThan(1e-4 * ref.gradZ);
      if (mode === 'vae') expect(ours.gradC).toBeNaN();
      else expect(Math.abs(ours.gradC - ref.gradC)).toBeLessThan(1e-4 * ref.gradC);
      if (mode === 'uvhe') {
        expect(new Set(ref.testClusters).size, 'the clusters differ between test examples').toBe(K);
        expect(ours.testClusters).toEqual(ref.testClusters);
      } else expect(ours.testClusters).toBeNull();
      disposeParams(params);
    });
  }

  it.each(['vae', 'uvhe'] as const)('%s: the means of q(z|x) of every training example, and the noise stream left as it was', async (mode) => {
    const { shape, params, trainer } = await setup(mode);
    const builder = new BatchBuilder(train.images, train.n, P, B, M, shape.zDim, shape.cDim);
    const r1 = new Rng(9), r2 = new Rng(9);
    const ref = encodeMeans({ shape, params, builder, n: train.n, B, rng: r1 });
    const ours = simdEncodeMeans(trainer, { builder, n: train.n, rng: r2 });
    expect(ours.length).toBe(train.n * shape.zDim);
    expect(rel(ours, ref)).toBeLessThan(1e-5);
    expect(r2.getState()).toEqual(new Rng(9).getState());
    disposeParams(params);
  });
});
