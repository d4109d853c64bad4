// Explicit tensor lifetimes: a training step and an evaluation leave no tensor behind.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { createParams, type ModelShape } from '../../src/model/vhe.js';
import { BatchBuilder, disposeBatch } from '../../src/train/batch.js';
import { trainStep } from '../../src/train/step.js';
import { Adam } from '../../src/train/adam.js';
import { evaluate } from '../../src/train/evaluate.js';
import { Rng } from '../../src/util/rng.js';
import type { Dataset } from '../../src/data/dataset.js';

beforeAll(async () => { await initBackend('wasm'); });

function tinyData(n: number, P: number, seed: number): Dataset {
  const r = new Rng(seed);
  const images = new Uint8Array(n * P).map(() => r.int(256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return { n, rows: 1, cols: P, images, labels, numClasses: 3, name: 'tiny' };
}

describe.each(['vae', 'uvhe'] as const)('tensor count in mode %s', (mode) => {
  it('stays flat across steps and after evaluation', () => {
    const P = 16, n = 30, m = 3, B = 8;
    const shape: ModelShape = { mode, pixels: P, hidden: 12, zDim: 4, cDim: mode === 'vae' ? 0 : 3, logStdBound: 5 };
    const params = createParams(shape, 1);
    const opt = new Adam(params, 1e-3);
    const data = tinyData(n, P, 2);
    const rng = new Rng(3);
    const bb = new BatchBuilder(data.images, n, P, B, m, shape.zDim, shape.cDim);
    const counts: number[] = [];
    for (let s = 0; s < 6; s++) {
      const rows = Int32Array.from({ length: B }, () => rng.int(n));
      const subs = mode === 'vae' ? null : Int32Array.from({ length: B * m }, () => rng.int(n));
      const batch = bb.build(rows, subs, m, new Int32Array(B).fill(10), rng);
      const res = trainStep(shape, params, opt, batch);
      disposeBatch(batch);
      expect(Number.isFinite(res.loss[0])).toBe(true);
      expect(res.codes.length).toBe(B * (shape.zDim + shape.cDim));
      counts.push(tf.memory().numTensors);
    }
    // Adam creates its moment variables on the first step; from then on nothing may accumulate.
    expect(new Set(counts.slice(1)).size).toBe(1);
    const before = tf.memory().numTensors;
    const labels = mode === 'vae' ? null : data.labels!;
    const codes = mode === 'uvhe' ? new Float32Array(n * 7).map(() => rng.normal()) : undefined;
    const ev = evaluate({ shape, params, train: data, test: data, trainLabels: labels, k: 3, codes, subsetSize: m, limit: 0, seed: 1, batchSize: 8 });
    expect(Number.isFinite(ev.total)).toBe(true);
    expect(ev.total).toBeCloseTo(ev.bce + ev.klZ + ev.klCWeighted, 3);
    expect(tf.memory().numTensors).toBe(before);
  });
});
