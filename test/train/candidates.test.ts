// eval.candidates: each final draw keeps the most even of several fits of its rule. Checked against the fits
// themselves (finalClusters with each candidate's seed) and against a plain entropy of the cluster sizes.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { finalClusters, finalScores } from '../../src/train/loop.js';
import { sizeEvenness } from '../../src/eval/metrics.js';
import { Rng } from '../../src/util/rng.js';

describe('sizeEvenness', () => {
  it('is the entropy of the cluster sizes over log k', () => {
    expect(sizeEvenness(Int32Array.from([0, 1, 2, 0, 1, 2]), 3)).toBeCloseTo(1, 12);
    expect(sizeEvenness(Int32Array.from([1, 1, 1, 1]), 3)).toBe(0);
    // sizes 2, 1, 1 (and an empty fourth cluster): −Σ q ln q / ln 4
    const want = -(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25)) / Math.log(4);
    expect(sizeEvenness(Int32Array.from([0, 0, 1, 2]), 4)).toBeCloseTo(want, 12);
    expect(sizeEvenness(Int32Array.from([0, 0]), 1)).toBe(1);
  });
});

describe('eval.candidates', () => {
  // 300 points uniform in a square, k = 6: no true clusters, so KMeans fits from different seeds disagree
  const n = 300, d = 2, k = 6, g = new Rng(11);
  const codes = Float32Array.from({ length: n * d }, () => g.next());
  const truth = Int32Array.from({ length: n }, (_, i) => i % k);

  it('keeps, in every draw, the most even of its candidate fits; 1 keeps the first fit', async () => {
    for (const embed of ['none', 'spectral'] as const) {
      const base = { mode: 'uvhe', model: { zDim: 1, cDim: 1 }, cluster: { k, embed, neighbors: 8, eigenvectors: 6 }, eval: { draws: 2, consensus: 4 } };
      const one = await finalScores(resolveConfig(base), null, codes, n, d, k, null, truth);
      const cfg = resolveConfig({ ...base, eval: { ...base.eval, candidates: 4 } });
      const four = await finalScores(cfg, null, codes, n, d, k, null, truth);
      for (let draw = 0; draw < 2; draw++) {
        const fits = [];
        for (let c = 0; c < 4; c++) fits.push(await finalClusters(cfg, null, codes, n, d, k, null, draw, undefined, c));
        const even = fits.map((l) => sizeEvenness(l, k));
        expect(new Set(even).size, `${embed}: the candidates differ`).toBeGreaterThan(1);
        const best = even.indexOf(Math.max(...even));
        if (draw === 0) {
          expect([...four.labels]).toEqual([...fits[best]]);
          expect([...one.labels]).toEqual([...fits[0]]);
        }
      }
      expect(four.accs).toHaveLength(2);
    }
  }, 60_000);

  it('is refused outside [1, 64] by name', () => {
    expect(() => resolveConfig({ eval: { candidates: 0 } })).toThrow(/eval\.candidates/);
  });
});
