// The CPU trainer's step against the tfjs path (the oracle) on the same weights, batch and noise: the loss terms,
// every parameter's gradient, the codes and rates, and the weights after Adam, for vae, vhe and uvhe with D shared
// per class and one D per x; and the same numbers on one and on two threads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { createParams, disposeParams, forward, type Mode, type ModelShape } from '../../src/model/vhe.js';
import { vheLoss } from '../../src/model/loss.js';
import { setGradientMode } from '../../src/model/layers.js';
import { Adam } from '../../src/train/adam.js';
import { BatchBuilder, disposeBatch } from '../../src/train/batch.js';
import { trainStep } from '../../src/train/step.js';
import { SimdTrainer } from '../../src/train/simd/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { buildClusterIndex, sampleSubsets } from '../../src/cluster/sampler.js';

beforeAll(async () => { await initBackend('wasm'); setGradientMode('custom'); });
const open: SimdTrainer[] = [];
afterAll(async () => { for (const t of open) await t.close(); });

// odd sizes everywhere: no dimension is a multiple of the kernels' 4 × 8 blocks
const N = 61, P = 53, K = 4;
function data(seed: number): { images: Uint8Array; labels: Int32Array } {
  const r = new Rng(seed);
  return { images: new Uint8Array(N * P).map(() => r.int(256)), labels: Int32Array.from({ length: N }, (_, i) => i % K) };
}

interface Case { mode: Mode; share: boolean; B: number; m: number; hostGather?: boolean }
function setup(c: Case, seed = 3) {
  const shape: ModelShape = { mode: c.mode, pixels: P, hidden: 21, zDim: 5, cDim: c.mode === 'vae' ? 0 : 3, logStdBound: 5 };
  const { images, labels } = data(seed);
  const rows = Int32Array.from({ length: c.B }, (_, i) => (i * 7 + 2) % N);
  const sub = c.mode === 'vae' ? null : sampleSubsets(rows, labels, buildClusterIndex(labels, K), K, c.m, false, c.share, new Rng(seed + 1));
  return { shape, images, rows, sub };
}

function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, s = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); s = Math.max(s, Math.abs(b[i])); }
  return d / Math.max(s, 1e-6);
}

const cases: Case[] = [
  { mode: 'vae', share: false, B: 13, m: 1 },
  { mode: 'vhe', share: true, B: 13, m: 3 },
  { mode: 'vhe', share: false, B: 11, m: 3, hostGather: true },
  { mode: 'uvhe', share: true, B: 17, m: 5 },
  { mode: 'uvhe', share: false, B: 9, m: 2 },
];

describe('CPU trainer step = tfjs step', () => {
  for (const c of cases) {
    it(`${c.mode}, ${c.share ? 'D shared per class' : 'one D per x'}, B ${c.B}, |D| ${c.m}: loss, every gradient, codes, rates, Adam`, async () => {
      const { shape, images, rows, sub } = setup(c);
      const params = createParams(shape, 5);
      const simdParams = createParams(shape, 5);
      const opt = new Adam(params, 1e-3), simdOpt = new Adam(simdParams, 1e-3);
      const bb = new BatchBuilder(images, N, P, c.B, c.m, shape.zDim, shape.cDim);
      // the team gathers the pixels from its copy of the images, except in the case that checks the main thread's gather
      const trainer = await SimdTrainer.create({ shape, params: simdParams, opt: simdOpt, maxB: c.B, subsetSize: c.m, threads: 1, images: c.hostGather ? undefined : images });
      open.push(trainer);

      // the oracle's loss and gradients
      const batch = bb.build(rows, sub?.subsets ?? null, c.m, sub?.setSize ?? null, new Rng(11));
      const names = Object.keys(params);
      const ref = tf.tidy(() => {
        let loss: number[] = [];
        const { grads } = tf.variableGrads(() => {
          const terms = vheLoss(batch.xT, forward(shape, params, batch), batch.invSetSize);
          loss = [terms.total, terms.bce, terms.klZ, terms.klC, terms.klCWeighted].map((t) => t.dataSync()[0]);
          return terms.total;
        }, names.map((k) => params[k]));
        const g: Record<string, Float32Array> = {};
        names.forEach((k) => { g[k] = grads[params[k].name].dataSync() as Float32Array; });
        return { g, loss };
      });
      const ours = trainer.lossAndGradients(bb, rows, sub?.subsets ?? null, c.m, sub?.setSize ?? null, new Rng(11));
      for (let j = 0; j < 5; j++) expect(Math.abs(ours.loss[j] - ref.loss[j])).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref.loss[j])));
      for (const k of names) expect(rel(ours.grads[k], ref.g[k]), k).toBeLessThan(2e-4);

      // a whole step: loss, codes, rates, then the weights after Adam
      const a = trainStep(shape, params, opt, batch);
      disposeBatch(batch);
      const b = trainer.step(bb, rows, sub?.subsets ?? null, c.m, sub?.setSize ?? null, new Rng(11));
      expect(a.nonFinite).toBeNull(); expect(b.nonFinite).toBeNull();
      expect(rel(b.loss, a.loss)).toBeLessThan(1e-5);
      expect(rel(b.codes, a.codes)).toBeLessThan(1e-5);
      expect(rel(b.rates, a.rates)).toBeLessThan(1e-4);
      expect(rel(b.klCDims, a.klCDims)).toBeLessThan(1e-4);
      trainer.sync();
      for (const k of names) {
        expect(rel(simdParams[k].dataSync(), params[k].dataSync()), k).toBeLessThan(1e-5);
        expect(rel(simdOpt.m[k], opt.m[k]), `m of ${k}`).toBeLessThan(2e-4);
      }
      expect(simdOpt.getState().t).toBe(1);
      disposeParams(params); disposeParams(simdParams);
    });
  }
});

describe('CPU trainer threads', () => {
  it('one thread and two or three worker threads give the same bits (every operation split by rows, never inside a sum)', async () => {
    const c: Case = { mode: 'uvhe', share: false, B: 17, m: 3 };
    const { shape, images, rows, sub } = setup(c, 8);
    const results = [];
    for (const threads of [1, 2, 3]) {
      const params = createParams(shape, 6);
      const opt = new Adam(params, 1e-3);
      const bb = new BatchBuilder(images, N, P, c.B, c.m, shape.zDim, shape.cDim);
      // with 2 and 3 threads the workers run every chunk (this thread only publishes), each operation split 8 or 12 ways
      const t = await SimdTrainer.create({ shape, params, opt, maxB: c.B, subsetSize: c.m, threads, grain: 1, mainTakesPart: threads === 1, images });
      open.push(t);
      const rng = new Rng(4);
      for (let s = 0; s < 3; s++) t.step(bb, rows, sub!.subsets, c.m, sub!.setSize, rng);
      const last = t.lossAndGradients(bb, rows, sub!.subsets, c.m, sub!.setSize, rng);
      results.push(last);
      if (threads > 1) expect(t.chunkCounts.workers, 'chunks run on worker threads').toBe(t.chunkCounts.all);
      await t.close();
      disposeParams(params);
    }
    expect(results[1].loss).toEqual(results[0].loss);
    expect(results[2].loss).toEqual(results[0].loss);
    for (const k of Object.keys(results[0].grads)) {
      expect(results[1].grads[k], k).toEqual(results[0].grads[k]);
      expect(results[2].grads[k], k).toEqual(results[0].grads[k]);
    }
  });
});

describe('CPU trainer memory', () => {
  it('keeps the images out of its shared memory when they do not fit under the cap, and gathers them on this thread to the same step', async () => {
    const c: Case = { mode: 'uvhe', share: true, B: 17, m: 3 };
    const { shape, images, rows, sub } = setup(c, 9);
    const out = [];
    for (const cap of [undefined, 1]) {
      const params = createParams(shape, 7);
      const bb = new BatchBuilder(images, N, P, c.B, c.m, shape.zDim, shape.cDim);
      // a cap of 1 byte is below any layout: the images are left out, and the rest is allocated as needed
      const t = await SimdTrainer.create({ shape, params, opt: new Adam(params, 1e-3), maxB: c.B, subsetSize: c.m, threads: 1, images, maxMemoryBytes: cap });
      open.push(t);
      expect(t.imagesInMemory).toBe(cap === undefined);
      out.push(t.step(bb, rows, sub!.subsets, c.m, sub!.setSize, new Rng(12)));
      await t.close();
      disposeParams(params);
    }
    expect(out[1].loss).toEqual(out[0].loss);
    expect(out[1].codes).toEqual(out[0].codes);
  });
});
