// cluster.candidates: a graph relabel fits its rule from several seeds on one neighbour graph and keeps the
// partition with the most even cluster sizes. Checked against the single fits themselves (graphLabels with each
// candidate's seed) and a plain entropy of the sizes, on this thread and on the pool.
import { describe, expect, it } from 'vitest';
import { graphLabels, type GraphRule } from '../../src/cluster/graph.js';
import { knn } from '../../src/cluster/spectral.js';
import { sizeEvenness } from '../../src/eval/metrics.js';
import { deriveSeed, Rng } from '../../src/util/rng.js';

// 300 points uniform in a square, k = 6: no true clusters, so fits from different seeds disagree
const n = 300, d = 2, k = 6;
const g = new Rng(11);
const codes = Float32Array.from({ length: n * d }, () => g.next());

describe('graphLabels with candidates', () => {
  it('keeps the most even of the candidate fits (candidate 0 = the plain rule); 1 or absent is one fit', () => {
    for (const embed of ['spectral', 'umap'] as const) {
      const rule: GraphRule = { embed, K: 8, dims: embed === 'umap' ? 2 : 6, iters: 60, epochs: 30, fits: 2, consensus: embed === 'umap' ? 1 : 4, seed: 21 };
      const nb = knn(codes, n, d, rule.K, null);
      const N = 4;
      const fits = Array.from({ length: N }, (_, c) =>
        graphLabels(codes, n, d, k, { ...rule, seed: c === 0 ? rule.seed : deriveSeed(rule.seed, `candidate${c}`) }, null, nb));
      const even = fits.map((l) => sizeEvenness(l, k));
      expect(new Set(even).size, `${embed}: the candidates differ`).toBeGreaterThan(1);
      const best = even.indexOf(Math.max(...even));
      expect([...graphLabels(codes, n, d, k, { ...rule, candidates: N }, null, nb)]).toEqual([...fits[best]]);
      // without a graph given, it builds the same one once for all candidates
      expect([...graphLabels(codes, n, d, k, { ...rule, candidates: N }, null)]).toEqual([...fits[best]]);
      expect([...graphLabels(codes, n, d, k, { ...rule, candidates: 1 }, null, nb)]).toEqual([...fits[0]]);
    }
  }, 60_000);

  it('travels to the pool: graphRelabelOnPool gives the main thread\'s labels', async () => {
    const { PoolEngine } = await import('../../src/cluster/index.js');
    const K = 8;
    const opts = { n, dz: 1, dc: 1, k, seed: 3, weights: { z: 1, c: 1 }, iters: 2, init: 'kmeans++' as const, batchSize: 32, refit: 'epoch' as const, workers: 2, knnK: K };
    const pool = await PoolEngine.create(opts, { codes });
    try {
      const so = { K, dims: 6, iters: 60, seed: 21, fits: 2, consensus: 4, candidates: 4 };
      const got = await pool.graphRelabelOnPool(so);
      const want = graphLabels(codes, n, d, k, { embed: 'spectral', epochs: 0, ...so }, null, await pool.knn(K));
      expect([...got.labels]).toEqual([...want]);
      const one = graphLabels(codes, n, d, k, { embed: 'spectral', epochs: 0, ...so, candidates: 1 }, null, await pool.knn(K));
      expect(sizeEvenness(got.labels, k)).toBeGreaterThan(sizeEvenness(one, k));
    } finally {
      await pool.close();
    }
  }, 60_000);
});
