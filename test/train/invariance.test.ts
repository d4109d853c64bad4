// train.invariance: the NT-Xent term against a plain loop reference, the builder's second view, and that the
// step follows bound + λ·NT-Xent while the logged loss stays the bound.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { createParams, disposeParams, encodeCSelf, encodeZ, forward, type ModelShape } from '../../src/model/vhe.js';
import { ntXent, vheLoss } from '../../src/model/loss.js';
import { BatchBuilder, disposeBatch, gatherColumnsAugmented, type Augment } from '../../src/train/batch.js';
import { trainStep } from '../../src/train/step.js';
import { Adam } from '../../src/train/adam.js';
import { Rng } from '../../src/util/rng.js';
import { resolveConfig } from '../../src/config.js';
import { expectFirstMoment } from './first-moment.js';

beforeAll(async () => { await initBackend('cpu'); });

/** SimCLR's loss written out: 2B unit vectors, for each the log of the sum of e^{cos/τ} over the others, minus its
 *  partner's cos/τ, averaged. u1, u2 are d×B, column-major by example (u[k*B + b] is dimension k of example b). */
function reference(u1: Float32Array, u2: Float32Array, d: number, B: number, tau: number): number {
  const vecs: number[][] = [];
  for (const u of [u1, u2]) {
    for (let b = 0; b < B; b++) {
      const v = Array.from({ length: d }, (_, k) => u[k * B + b]);
      const len = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      vecs.push(v.map((x) => x / len));
    }
  }
  const dot = (a: number[], b: number[]): number => a.reduce((s, x, k) => s + x * b[k], 0);
  let total = 0;
  for (let i = 0; i < 2 * B; i++) {
    let sum = 0;
    for (let j = 0; j < 2 * B; j++) if (j !== i) sum += Math.exp(dot(vecs[i], vecs[j]) / tau);
    const partner = i < B ? i + B : i - B;
    total += Math.log(sum) - dot(vecs[i], vecs[partner]) / tau;
  }
  return total / (2 * B);
}

describe('ntXent', () => {
  it('matches the written-out loss, for several temperatures', () => {
    const d = 4, B = 5, r = new Rng(3);
    const u1 = r.fillNormal(new Float32Array(d * B)), u2 = r.fillNormal(new Float32Array(d * B));
    for (const tau of [0.1, 0.5, 2]) {
      const got = tf.tidy(() => ntXent(tf.tensor2d(u1, [d, B]), tf.tensor2d(u2, [d, B]), tau).dataSync()[0]);
      expect(got).toBeCloseTo(reference(u1, u2, d, B, tau), 4);
    }
  });

  it('is lowest when each view equals its partner and the images point apart', () => {
    const d = 3, B = 3;
    const eye = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]); // B orthogonal codes
    const swapped = new Float32Array([0, 1, 0, 1, 0, 0, 0, 0, 1]); // the first two partners exchanged
    const tau = 0.5;
    const [aligned, wrong] = tf.tidy(() => [
      ntXent(tf.tensor2d(eye, [d, B]), tf.tensor2d(eye, [d, B]), tau).dataSync()[0],
      ntXent(tf.tensor2d(eye, [d, B]), tf.tensor2d(swapped, [d, B]), tau).dataSync()[0],
    ]);
    expect(aligned).toBeCloseTo(reference(eye, eye, d, B, tau), 5);
    expect(aligned).toBeLessThan(wrong);
  });
});

describe('BatchBuilder second view', () => {
  it('xT2 is a second, independent augmented draw of the same rows, taken after xT', () => {
    const H = 4, W = 4, P = 16, n = 8;
    const r = new Rng(2);
    const images = new Uint8Array(n * P).map(() => r.below(256));
    const rows = Int32Array.from([1, 6, 3]);
    const aug: Augment = { rows: H, cols: W, shift: 1, flip: true, secondView: true };
    const b = new BatchBuilder(images, n, P, 3, 1, 2, 0, aug).build(rows, null, 1, null, new Rng(9));
    const want = new Rng(9);
    const v1 = gatherColumnsAugmented(images, rows, aug, want, new Float32Array(P * 3));
    want.fillNormal(new Float32Array(3 * 2)); // epsZ comes between the two views
    const v2 = gatherColumnsAugmented(images, rows, aug, want, new Float32Array(P * 3));
    expect(Array.from(b.xT.dataSync())).toEqual(Array.from(v1));
    expect(Array.from(b.xT2!.dataSync())).toEqual(Array.from(v2));
    expect(Array.from(v2)).not.toEqual(Array.from(v1));
    disposeBatch(b);
    const plain = new BatchBuilder(images, n, P, 3, 1, 2, 0, { ...aug, secondView: false }).build(rows, null, 1, null, new Rng(9));
    expect(plain.xT2).toBeUndefined();
    disposeBatch(plain);
  });

  it('viewsFor = invariance: x and D as stored for the bound, both views drawn for the term alone', () => {
    const H = 4, W = 4, P = 16, n = 8, m = 2;
    const r = new Rng(4);
    const images = new Uint8Array(n * P).map(() => r.below(256));
    const rows = Int32Array.from([2, 5, 0]);
    const subs = Int32Array.from([1, 3, 4, 6, 7, 1]);
    const aug: Augment = { rows: H, cols: W, shift: 2, flip: true, secondView: true, viewsFor: 'invariance' };
    const b = new BatchBuilder(images, n, P, 3, m, 2, 2, aug).build(rows, subs, m, Int32Array.from([4, 4, 4]), new Rng(11));
    const clean = new BatchBuilder(images, n, P, 3, m, 2, 2).build(rows, subs, m, Int32Array.from([4, 4, 4]), new Rng(11));
    expect(Array.from(b.xT.dataSync())).toEqual(Array.from(clean.xT.dataSync()));
    expect(Array.from(b.xuT!.dataSync())).toEqual(Array.from(clean.xuT!.dataSync()));
    const want = new Rng(11);
    want.fillNormal(new Float32Array(3 * 2)); // epsZ first, as without views
    const vA = gatherColumnsAugmented(images, rows, aug, want, new Float32Array(P * 3));
    const vB = gatherColumnsAugmented(images, rows, aug, want, new Float32Array(P * 3));
    expect(Array.from(b.xViewA!.dataSync())).toEqual(Array.from(vA));
    expect(Array.from(b.xT2!.dataSync())).toEqual(Array.from(vB));
    disposeBatch(b); disposeBatch(clean);
  });
});

describe('trainStep with train.invariance', () => {
  const P = 16, n = 12, m = 2, B = 4;
  const shape: ModelShape = { mode: 'uvhe', pixels: P, hidden: 8, zDim: 3, cDim: 2, logStdBound: 5 };
  const r = new Rng(5);
  const images = new Uint8Array(n * P).map(() => r.below(256));
  const rows = Int32Array.from([0, 3, 7, 9]);
  const subs = Int32Array.from([1, 2, 4, 5, 6, 8, 10, 11]);
  const setSize = new Int32Array(B).fill(6);

  const cases = [['z', 'all'], ['c', 'all'], ['z', 'invariance'], ['c', 'invariance']] as const;
  for (const [on, viewsFor] of cases) {
    it(`on ${on}, views for ${viewsFor}: Adam's first moment is (1 − β1)·∇(bound + λ·NT-Xent), and the logged loss is the bound`, () => {
      const lambda = 3, tau = 0.5;
      const bb = new BatchBuilder(images, n, P, B, m, shape.zDim, shape.cDim, { rows: 4, cols: 4, shift: 1, flip: true, secondView: true, viewsFor });
      const batch = bb.build(rows, subs, m, setSize, new Rng(1));
      const p0 = createParams(shape, 3);
      const names = Object.keys(p0);
      let wantInv = 0;
      const want = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => {
          const f = forward(shape, p0, batch);
          const vA = viewsFor === 'all' ? batch.xT : batch.xViewA!;
          expect(batch.xViewA === undefined).toBe(viewsFor === 'all');
          const inv = on === 'z'
            ? ntXent(encodeZ(shape, p0, vA, f.c).mu, encodeZ(shape, p0, batch.xT2!, f.c).mu, tau)
            : ntXent(encodeCSelf(shape, p0, vA).mu, encodeCSelf(shape, p0, batch.xT2!).mu, tau);
          wantInv = inv.dataSync()[0];
          return tf.add(vheLoss(batch.xT, f, batch.invSetSize).total, tf.mul(inv, lambda)) as tf.Scalar;
        }, names.map((k) => p0[k]));
        return names.map((k) => Array.from(grads[p0[k].name].dataSync()));
      });
      const p1 = createParams(shape, 3), p2 = createParams(shape, 3);
      const o1 = new Adam(p1, 1e-3), o2 = new Adam(p2, 1e-3);
      const plain = trainStep(shape, p1, o1, batch);
      const res = trainStep(shape, p2, o2, batch, { invariance: lambda, invarianceOn: on, temperature: tau });
      expect(Array.from(res.loss)).toEqual(Array.from(plain.loss)); // the bound, untouched by the term
      expect(Number.isNaN(plain.invariance)).toBe(true);
      expect(res.invariance).toBeCloseTo(wantInv, 5);
      expectFirstMoment(o2, o1, names, want);
      disposeBatch(batch);
      for (const p of [p0, p1, p2]) disposeParams(p);
    });
  }
});

describe('config', () => {
  it('names the problem when the term has no two views to compare, or no class code', () => {
    expect(() => resolveConfig({ train: { invariance: 1 } })).toThrow(/train\.invariance needs train\.shift or train\.flip/);
    expect(() => resolveConfig({ mode: 'vae', train: { invariance: 1, flip: true, invarianceOn: 'c' } })).toThrow(/invarianceOn "c" needs a class code/);
    expect(() => resolveConfig({ train: { viewsFor: 'invariance', shift: 1 } })).toThrow(/train\.viewsFor "invariance" needs train\.invariance > 0/);
    expect(resolveConfig({ train: { invariance: 1, shift: 1 } }).train.invariance).toBe(1);
  });
});
