// The seeded Gaussian-blob code generator of the scale benchmarks and tests.
import { describe, expect, it } from 'vitest';
import { gaussianBlobs } from '../../src/data/synthetic-codes.js';

describe('gaussianBlobs', () => {
  it('is the same for a seed, balanced over the classes, shuffled, and fills a given array', () => {
    const a = gaussianBlobs({ n: 1003, d: 5, k: 4, seed: 3 });
    expect(gaussianBlobs({ n: 1003, d: 5, k: 4, seed: 3 })).toEqual(a);
    expect(gaussianBlobs({ n: 1003, d: 5, k: 4, seed: 4 }).codes).not.toEqual(a.codes);
    const sizes = [0, 0, 0, 0];
    for (const l of a.labels) sizes[l]!++;
    expect(sizes).toEqual([251, 251, 251, 250]);
    expect(Array.from(a.labels.subarray(0, 8))).not.toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    const into = new Float32Array(1003 * 5);
    const b = gaussianBlobs({ n: 1003, d: 5, k: 4, seed: 3, into });
    expect(b.codes).toBe(into);
    expect(into).toEqual(a.codes);
  });

  it('puts each class around its own centre, sep σ from the origin', () => {
    const n = 4000, d = 8, k = 4;
    const { codes, labels } = gaussianBlobs({ n, d, k, seed: 1, sep: 20 });
    const mean = new Float64Array(k * d), count = new Int32Array(k);
    for (let i = 0; i < n; i++) { count[labels[i]!]!++; for (let j = 0; j < d; j++) mean[labels[i]! * d + j] += codes[i * d + j]!; }
    for (let c = 0; c < k; c++) {
      let r = 0;
      for (let j = 0; j < d; j++) r += (mean[c * d + j]! / count[c]!) ** 2;
      expect(Math.sqrt(r)).toBeCloseTo(20, 0);
    }
    expect(() => gaussianBlobs({ n: 3, d: 2, k: 4, seed: 1 })).toThrow(/need n >= k >= 1/);
  });
});
