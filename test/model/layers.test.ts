// The hand-written gradients of linear() and mixRows() against tfjs's own autodiff of the plain ops.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { linear, mixColumns, boundLogStd } from '../../src/model/layers.js';
import type { Tensor2D, Variable } from '@tensorflow/tfjs-core';

beforeAll(async () => { await initBackend('wasm'); });

function rand(shape: [number, number], seed: number): Tensor2D {
  return tf.randomNormal(shape, 0, 1, 'float32', seed) as Tensor2D;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
}

describe('linear (feature-major: yᵀ = Σ W·xᵀ + b)', () => {
  it('forward and gradients (W, b, and x where asked) match plain matMul autodiff, odd shapes', () => {
    const x1 = rand([13, 7], 1), x2 = rand([5, 7], 2); // [in, B]
    const W1 = tf.variable(rand([9, 13], 3)) as Variable, W2 = tf.variable(rand([9, 5], 4)) as Variable; // [out, in]
    const b = tf.variable(rand([9, 1], 5)) as Variable;
    const up = rand([9, 7], 6); // a fixed upstream gradient
    const ours = tf.grads((a: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, bb: tf.Tensor) => {
      const y = linear([{ W: w1 as Variable, xT: x1, grad: false }, { W: w2 as Variable, xT: a as Tensor2D, grad: true }], bb as Variable);
      return tf.sum(tf.mul(y, up));
    });
    const ref = tf.grads((a: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(tf.add(tf.add(tf.matMul(w1 as Tensor2D, x1), tf.matMul(w2 as Tensor2D, a as Tensor2D)), bb), up)));
    const g1 = ours([x2, W1, W2, b]), g2 = ref([x2, W1, W2, b]);
    for (let i = 0; i < 4; i++) {
      expect(g1[i].shape).toEqual(g2[i].shape);
      expect(maxAbsDiff(g1[i], g2[i])).toBeLessThan(1e-4);
    }
    const y1 = linear([{ W: W1, xT: x1, grad: false }, { W: W2, xT: x2, grad: true }], b);
    expect(maxAbsDiff(y1, tf.add(tf.add(tf.matMul(W1, x1), tf.matMul(W2, x2)), b))).toBeLessThan(1e-4);
  });
});

describe('mixColumns', () => {
  it('hᵀ·Mᵀ with gradient dyᵀ·M, as autodiff of matMul gives', () => {
    const M = rand([6, 4], 7), hT = rand([11, 4], 8), up = rand([11, 6], 9);
    const Mt = tf.transpose(M) as Tensor2D;
    const g1 = tf.grad((hh: tf.Tensor) => tf.sum(tf.mul(mixColumns(hh as Tensor2D, M, Mt), up)))(hT);
    const g2 = tf.grad((hh: tf.Tensor) => tf.sum(tf.mul(tf.matMul(hh as Tensor2D, Mt), up)))(hT);
    expect(maxAbsDiff(g1, g2)).toBeLessThan(1e-4);
  });
});

describe('boundLogStd', () => {
  it('is close to the identity near 0 and bounded by ±L', () => {
    const s = boundLogStd(tf.tensor2d([[0.01, -0.02, 100, -100]]), 5).dataSync();
    expect(s[0]).toBeCloseTo(0.01, 4);
    expect(s[1]).toBeCloseTo(-0.02, 4);
    expect(s[2]).toBeLessThanOrEqual(5);
    expect(s[3]).toBeGreaterThanOrEqual(-5);
  });
});
