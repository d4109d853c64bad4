// The hand-written gradients of linear() and mixRows() against tfjs's own autodiff of the plain ops.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { linear, mixRows, boundLogStd } from '../../src/model/layers.js';
import type { Tensor2D, Variable } from '@tensorflow/tfjs-core';

beforeAll(async () => { await initBackend('wasm'); });

function rand(shape: [number, number], seed: number): Tensor2D {
  return tf.randomNormal(shape, 0, 1, 'float32', seed) as Tensor2D;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
}

describe('linear', () => {
  it('forward and gradients (W, b, and x where asked) match plain matMul autodiff, odd shapes', () => {
    const x1 = rand([7, 13], 1), x2 = rand([7, 5], 2);
    const W1 = tf.variable(rand([13, 9], 3)) as Variable, W2 = tf.variable(rand([5, 9], 4)) as Variable;
    const b = tf.variable(tf.randomNormal([9], 0, 1, 'float32', 5)) as Variable;
    const up = rand([7, 9], 6); // a fixed upstream gradient
    const ours = tf.grads((a: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, bb: tf.Tensor) => {
      const y = linear([{ x: x1, W: w1 as Variable, grad: false }, { x: a as Tensor2D, W: w2 as Variable, grad: true }], bb as Variable);
      return tf.sum(tf.mul(y, up));
    });
    const ref = tf.grads((a: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(tf.add(tf.add(tf.matMul(x1, w1 as Tensor2D), tf.matMul(a as Tensor2D, w2 as Tensor2D)), bb), up)));
    const g1 = ours([x2, W1, W2, b]), g2 = ref([x2, W1, W2, b]);
    for (let i = 0; i < 4; i++) expect(maxAbsDiff(g1[i], g2[i])).toBeLessThan(1e-4);
    const y1 = linear([{ x: x1, W: W1, grad: false }, { x: x2, W: W2, grad: true }], b);
    expect(maxAbsDiff(y1, tf.add(tf.add(tf.matMul(x1, W1), tf.matMul(x2, W2)), b))).toBeLessThan(1e-4);
  });
});

describe('mixRows', () => {
  it('M·h with gradient Mᵀ·dy, as autodiff of matMul gives', () => {
    const M = rand([6, 4], 7), h = rand([4, 11], 8), up = rand([6, 11], 9);
    const Mt = tf.transpose(M) as Tensor2D;
    const g1 = tf.grad((hh: tf.Tensor) => tf.sum(tf.mul(mixRows(M, Mt, hh as Tensor2D), up)))(h);
    const g2 = tf.grad((hh: tf.Tensor) => tf.sum(tf.mul(tf.matMul(M, hh as Tensor2D), up)))(h);
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
