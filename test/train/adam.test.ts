// The fused in-place Adam against tfjs's own Adam and against its own tensor-op path.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { Adam } from '../../src/train/adam.js';
import type { Variable } from '@tensorflow/tfjs-core';

beforeAll(async () => { await initBackend('wasm'); });

function problem(seed: number): { params: Record<string, Variable>; loss: () => tf.Scalar } {
  const params = {
    W: tf.variable(tf.randomNormal([7, 5], 0, 1, 'float32', seed)),
    b: tf.variable(tf.randomNormal([7, 1], 0, 1, 'float32', seed + 1)),
  };
  const x = tf.randomNormal([5, 9], 0, 1, 'float32', seed + 2);
  const y = tf.randomNormal([7, 9], 0, 1, 'float32', seed + 3);
  // the model's own layout: W·x + b against a target, squared error
  const loss = (): tf.Scalar => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(params.W, x), params.b), y))) as tf.Scalar;
  return { params, loss };
}

function run(opt: { step(g: Record<string, tf.Tensor>): void } | tf.Optimizer, p: ReturnType<typeof problem>, steps: number): Float32Array {
  const names = Object.keys(p.params);
  for (let s = 0; s < steps; s++) {
    tf.tidy(() => {
      const { grads } = tf.variableGrads(p.loss, names.map((k) => p.params[k]));
      const byName: Record<string, tf.Tensor> = {};
      names.forEach((k) => { byName[k] = grads[p.params[k].name]; });
      if ('step' in opt) opt.step(byName); else opt.applyGradients(grads);
    });
  }
  return Float32Array.from([...p.params.W.dataSync(), ...p.params.b.dataSync()]);
}

describe('Adam', () => {
  it('in-place wasm update matches tf.train.adam over 20 steps (weights used by later matMuls are current)', () => {
    const a = problem(1), b = problem(1);
    const ours = run(new Adam(a.params, 0.01, 0.9, 0.999, 1e-7), a, 20);
    const ref = run(tf.train.adam(0.01, 0.9, 0.999, 1e-7), b, 20);
    let maxDiff = 0;
    for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i]));
    expect(maxDiff).toBeLessThan(1e-4);
    // and it did move the weights
    const init = problem(1);
    expect(Math.abs(ours[0] - init.params.W.dataSync()[0])).toBeGreaterThan(1e-3);
  });

  it('the tensor-op path (other backends) gives the same weights and state', async () => {
    const a = problem(3);
    const fused = new Adam(a.params, 0.02);
    const w1 = run(fused, a, 5);
    await initBackend('cpu');
    const b = problem(3);
    const plain = new Adam(b.params, 0.02);
    const w2 = run(plain, b, 5);
    await initBackend('wasm');
    for (let i = 0; i < w1.length; i++) expect(w2[i]).toBeCloseTo(w1[i], 4);
    expect(plain.getState().t).toBe(5);
    for (let i = 0; i < fused.m.W.length; i++) expect(plain.m.W[i]).toBeCloseTo(fused.m.W[i], 5);
  });
});
