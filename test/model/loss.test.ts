// The loss terms against their closed forms, computed by hand in float64.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { bcePerExample, klPerExample, vheLoss } from '../../src/model/loss.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';

beforeAll(async () => { await initBackend('wasm'); });

/** Feature-major: the test writes one row per example for readability; the model takes [features, B]. */
const t2 = (rows: number[][]): Tensor2D => tf.transpose(tf.tensor2d(rows)) as Tensor2D;

/** KL(N(mq, e^sq) ‖ N(mp, e^sp)) for one dimension, from the textbook formula in terms of variances. */
function klRef(mq: number, sq: number, mp: number, sp: number): number {
  const vq = Math.exp(2 * sq), vp = Math.exp(2 * sp);
  return 0.5 * (Math.log(vp / vq) + (vq + (mq - mp) ** 2) / vp - 1);
}

describe('klPerExample', () => {
  it('is 0 for identical Gaussians and for q = N(0,1) against the standard prior', () => {
    const q = { mu: t2([[0.3, -1.2]]), s: t2([[0.1, -0.4]]) };
    expect(klPerExample(q, q).dataSync()[0]).toBeCloseTo(0, 6);
    expect(klPerExample({ mu: t2([[0, 0, 0]]), s: t2([[0, 0, 0]]) }).dataSync()[0]).toBeCloseTo(0, 6);
  });

  it('matches the closed form on known values, summed over dimensions, per example', () => {
    const mq = [[0.5, -2, 1.5], [3, 0, -0.25]], sq = [[0.2, -1, 0.7], [-0.3, 1.1, 0]];
    const mp = [[0, 1, -1], [2.5, -0.5, 0.5]], sp = [[-0.5, 0.3, 0.9], [0.4, -0.2, 1.5]];
    const got = klPerExample({ mu: t2(mq), s: t2(sq) }, { mu: t2(mp), s: t2(sp) }).dataSync();
    for (let b = 0; b < 2; b++) {
      let want = 0;
      for (let d = 0; d < 3; d++) want += klRef(mq[b][d], sq[b][d], mp[b][d], sp[b][d]);
      expect(got[b]).toBeCloseTo(want, 4);
    }
    // against N(0, I)
    const got0 = klPerExample({ mu: t2(mq), s: t2(sq) }).dataSync();
    for (let b = 0; b < 2; b++) {
      let want = 0;
      for (let d = 0; d < 3; d++) want += klRef(mq[b][d], sq[b][d], 0, 0);
      expect(got0[b]).toBeCloseTo(want, 4);
    }
  });

  it('KL(N(1,1) ‖ N(0,1)) = 0.5 nats exactly', () => {
    expect(klPerExample({ mu: t2([[1]]), s: t2([[0]]) }).dataSync()[0]).toBeCloseTo(0.5, 6);
  });
});

describe('bcePerExample', () => {
  it('equals −Σ[x log σ(l) + (1−x) log(1−σ(l))] per example', () => {
    const x = [[0, 1, 0.25, 0.8], [1, 1, 0, 0.5]], l = [[-2, 3, 0.1, -0.7], [10, -4, 0.3, 0]];
    const got = bcePerExample(t2(x), t2(l)).dataSync();
    for (let b = 0; b < 2; b++) {
      let want = 0;
      for (let p = 0; p < 4; p++) {
        const s = 1 / (1 + Math.exp(-l[b][p]));
        want -= x[b][p] * Math.log(s) + (1 - x[b][p]) * Math.log(1 - s);
      }
      expect(got[b]).toBeCloseTo(want, 4);
    }
  });

  it('stays finite for saturated logits (no log(0))', () => {
    const got = bcePerExample(t2([[1, 0]]), t2([[-100, 100]])).dataSync()[0];
    expect(got).toBeCloseTo(200, 3);
  });
});

describe('vheLoss per-dimension rates', () => {
  it('rateC is KL_c amortised by 1/|X_x|; klCDims is the batch-mean KL_c per dimension, not amortised', () => {
    // 2 examples, dc = 2: per-dimension KL of q(c) from N(0,1) by the closed form
    const mc = [[1, 0], [2, 0.5]], sc = [[0, -0.3], [0.2, 0]];
    const kl = mc.map((row, b) => row.map((m, d) => klRef(m, sc[b][d], 0, 0)));
    const inv = [1 / 6000, 1 / 3000]; // |X_x|: sizes of x's pseudo-class, as on MNIST
    const f = {
      qc: { mu: t2(mc), s: t2(sc) },
      qz: { mu: t2([[0.5], [0]]), s: t2([[0], [0]]) },
      z: t2([[0], [0]]), logits: t2([[0], [0]]),
    };
    const terms = vheLoss(t2([[1], [0]]), f, tf.tensor2d([inv]));
    const rateC = terms.rateC!.dataSync(), klCDims = terms.klCDims!.dataSync();
    for (let d = 0; d < 2; d++) {
      expect(klCDims[d]).toBeCloseTo((kl[0][d] + kl[1][d]) / 2, 5);
      expect(rateC[d]).toBeCloseTo((kl[0][d] * inv[0] + kl[1][d] * inv[1]) / 2, 6);
    }
    // dimension 0 leaves the prior by more than a nat, yet its amortised rate is far below the 0.01-nat threshold
    expect(klCDims[0]).toBeGreaterThan(0.01);
    expect(rateC[0]).toBeLessThan(0.01);
  });
});
