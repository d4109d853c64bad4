// bench/code-probe.ts's two probes against hand-checkable cases.
import { describe, expect, it } from 'vitest';
import { knnAccuracy, linearAccuracy } from '../../bench/code-probe.js';
import { Rng } from '../../src/util/rng.js';

/** n codes in d dims: class i % k at centre 10·e_class (plus noise of the given sd). */
function blobs(n: number, d: number, k: number, sd: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Rng(seed), x = new Float32Array(n * d), y = Int32Array.from({ length: n }, (_, i) => i % k);
  for (let i = 0; i < n; i++) for (let a = 0; a < d; a++) x[i * d + a] = (a === y[i] ? 10 : 0) + sd * rng.normal();
  return { x, y };
}

describe('code probes', () => {
  it('score 1 on well separated classes', () => {
    const { x, y } = blobs(200, 4, 3, 0.5, 1);
    expect(knnAccuracy(x, 200, 4, y, 3)).toBe(1);
    expect(linearAccuracy(x, 200, 4, y, 3)).toBe(1);
  });

  it('score about chance when the labels do not follow the codes', () => {
    const { x } = blobs(600, 4, 3, 0.5, 2);
    const rng = new Rng(3), y = Int32Array.from({ length: 600 }, () => rng.int(3));
    expect(Math.abs(knnAccuracy(x, 600, 4, y, 3) - 1 / 3)).toBeLessThan(0.1);
    expect(Math.abs(linearAccuracy(x, 600, 4, y, 3) - 1 / 3)).toBeLessThan(0.1);
  });

  it('kNN votes by the 10 nearest others, leaving the code itself out', () => {
    // 11 codes on a line: 0..9 labelled 0, one far code labelled 1. Each of 0..9 has the other nine 0s and the far
    // code as its 10 nearest others, so votes 9:1 for 0; the far code's neighbours are all 0s, so it is wrong.
    const x = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 100]);
    const y = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(knnAccuracy(x, 11, 1, y, 2)).toBeCloseTo(10 / 11, 12);
  });
});
