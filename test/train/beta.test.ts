// train.betaZ: the gradient follows bce + betaZ·KL_z + KL_c/|X_x|, while the logged loss stays the bound.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { createParams, disposeParams, forward, type ModelShape } from '../../src/model/vhe.js';
import { vheLoss } from '../../src/model/loss.js';
import { BatchBuilder, disposeBatch } from '../../src/train/batch.js';
import { trainStep } from '../../src/train/step.js';
import { Adam } from '../../src/train/adam.js';
import { Rng } from '../../src/util/rng.js';
import { expectFirstMoment } from './first-moment.js';

beforeAll(async () => { await initBackend('cpu'); });

describe('train.betaZ', () => {
  it('weighs KL_z in the gradient only: Adam\'s first moment is (1 − β1)·∇(bce + β·KL_z + KL_c/|X_x|)', () => {
    const P = 12, n = 20, m = 3, B = 6, beta = 2.5;
    const shape: ModelShape = { mode: 'uvhe', pixels: P, hidden: 10, zDim: 3, cDim: 2, logStdBound: 5 };
    const r = new Rng(7);
    const images = new Uint8Array(n * P).map(() => r.below(256));
    const rows = Int32Array.from({ length: B }, () => r.below(n));
    const subs = Int32Array.from({ length: B * m }, () => r.below(n));
    const setSize = new Int32Array(B).fill(8);
    const bb = new BatchBuilder(images, n, P, B, m, shape.zDim, shape.cDim);
    const batch = bb.build(rows, subs, m, setSize, new Rng(1));

    // the expected gradient, written out from the loss terms
    const p0 = createParams(shape, 3);
    const names = Object.keys(p0);
    const want = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => {
        const t = vheLoss(batch.xT, forward(shape, p0, batch), batch.invSetSize);
        return tf.add(tf.add(t.bce, tf.mul(t.klZ, beta)), t.klCWeighted) as typeof t.total;
      }, names.map((k) => p0[k]));
      return names.map((k) => Array.from(grads[p0[k].name].dataSync()));
    });

    const p1 = createParams(shape, 3), p2 = createParams(shape, 3);
    const o1 = new Adam(p1, 1e-3), o2 = new Adam(p2, 1e-3);
    const plain = trainStep(shape, p1, o1, batch);
    const weighted = trainStep(shape, p2, o2, batch, { betaZ: beta });
    // the same forward, the same logged bound
    expect(Array.from(weighted.loss)).toEqual(Array.from(plain.loss));
    expect(weighted.loss[0]).toBeCloseTo(weighted.loss[1] + weighted.loss[2] + weighted.loss[4], 3);
    expectFirstMoment(o2, o1, names, want); // and β ≠ 1 really changed the step
    disposeBatch(batch);
    for (const p of [p0, p1, p2]) disposeParams(p);
  });
});
