// encodeHidden (eval.codes = "hidden") against the plain definition: ReLU of the mean half of the set encoder's
// fused first layer, written out with loops over the weights; vae reads its z encoder's instead.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { createParams, encodeHidden, type ModelShape } from '../../src/model/vhe.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';

beforeAll(async () => { await initBackend('wasm'); });

/** relu(W[0:H]·x + b[0:H]) for each column of xT [P, B], plainly */
function reference(W: Float32Array, b: Float32Array, P: number, H: number, x: Float32Array, B: number): number[][] {
  return Array.from({ length: H }, (_, h) => Array.from({ length: B }, (_, j) => {
    let s = b[h]!;
    for (let t = 0; t < P; t++) s += W[h * P + t]! * x[t * B + j]!;
    return Math.max(0, s);
  }));
}

describe('encodeHidden', () => {
  it.each(['uvhe', 'vae'] as const)('%s: the ReLU of the first H rows of its set encoder\'s first layer', (mode) => {
    const s: ModelShape = { mode, pixels: 12, hidden: 5, zDim: 3, cDim: mode === 'vae' ? 0 : 2, logStdBound: 5 };
    const p = createParams(s, 9);
    const B = 4;
    const x = Float32Array.from({ length: s.pixels * B }, (_, i) => ((i * 37) % 11) / 10);
    const [wName, bName] = mode === 'vae' ? ['encZ/Wx', 'encZ/b1'] : ['encC/W1', 'encC/b1'];
    const want = reference(p[wName]!.dataSync() as Float32Array, p[bName]!.dataSync() as Float32Array, s.pixels, s.hidden, x, B);
    const got = encodeHidden(s, p, tf.tensor2d(x, [s.pixels, B]) as Tensor2D);
    expect(got.shape).toEqual([s.hidden, B]);
    const g = got.arraySync() as number[][];
    for (let h = 0; h < s.hidden; h++) for (let j = 0; j < B; j++) expect(g[h]![j]).toBeCloseTo(want[h]![j]!, 5);
    // some units are off for some x (the ReLU is applied), and not all are
    const flat = g.flat();
    expect(flat.some((v) => v === 0) && flat.some((v) => v > 0)).toBe(true);
  });
});
