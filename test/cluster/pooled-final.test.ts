// The pooled final rule (eval.graphs, eval.consensusRestarts; train/loop.ts pooledSpectral): one graph and 5
// starts give the one-graph rule's labels exactly; several graphs give the consensus of every graph's fits
// (written out here from spectralFits and consensusLabels); and blobs that every graph separates come back whole.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { finalClusters, finalGraphKs, pooledSpectral } from '../../src/train/loop.js';
import { knn, spectralFits, spectralLabels } from '../../src/cluster/spectral.js';
import { consensusLabels } from '../../src/cluster/consensus.js';
import { clusterAccuracy } from '../../src/eval/metrics.js';
import { Rng, deriveSeed } from '../../src/util/rng.js';

/** k Gaussian blobs in d dims, centres 6 apart on the axes, sd 1: n = k·per rows, truth by blob. */
function blobs(k: number, per: number, d: number, seed: number): { codes: Float32Array; truth: Int32Array; n: number } {
  const g = new Rng(seed), n = k * per;
  const codes = new Float32Array(n * d), truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    truth[i] = c;
    for (let t = 0; t < d; t++) codes[i * d + t] = g.normal() + (t === c ? 6 : 0);
  }
  return { codes, truth, n };
}

describe('pooledSpectral', () => {
  const d = 6, k = 4;
  const cfgOf = (ev: Record<string, unknown>) => resolveConfig({ seed: 7, cluster: { eigenvectors: 6 }, eval: { consensus: 6, ...ev } });

  it('with one graph and 5 starts gives the one-graph rule (graphRelabel) exactly', async () => {
    const { codes, truth, n } = blobs(4, 150, 6, 3);
    const cfg = cfgOf({ graphs: 1, consensusRestarts: 5 });
    const old = await finalClusters(cfg, null, codes, n, d, k, null); // not pooled: graphRelabel's path
    const pooled = await pooledSpectral(cfg, null, codes, n, d, k, null, 'final-spectral');
    expect(pooled).toEqual(old);
    expect(clusterAccuracy(truth, old, k).accuracy).toBe(1);
    // and that is spectralLabels with the run's seed for the final rule
    const seed = deriveSeed(7, 'final-spectral');
    expect(old).toEqual(spectralLabels(codes, n, d, k, { neighbors: 10, dims: 6, weights: null, iters: 100, seed, fits: 5, consensus: 6 }, knn(codes, n, d, 10, null)));
  });

  it('with several graphs is the consensus of all their fits, each graph on its own seed', async () => {
    const { codes, truth, n } = blobs(4, 1000, 6, 4);
    const cfg = cfgOf({ graphs: 3, consensusRestarts: 7 });
    const Ks = finalGraphKs(cfg, n);
    expect(Ks).toEqual([10, 12, 20]); // 10, 30, 50 scaled by n / 10,000 = 0.4, floored at 10
    const fits: Int32Array[] = [];
    let first: Rng | null = null;
    Ks.forEach((K, g) => {
      const seed = deriveSeed(7, g === 0 ? 'final-spectral' : `final-spectral-graph${g}`);
      const rng = new Rng(seed ^ 0x5bd1e995);
      fits.push(...spectralFits(codes, n, d, k, { neighbors: K, dims: 6, weights: null, iters: 100, seed }, 6, rng, knn(codes, n, d, K, null)));
      first ??= rng;
    });
    const want = consensusLabels(fits, n, k, k, { restarts: 7, iters: 100, rng: first! }).labels;
    const got = await finalClusters(cfg, null, codes, n, d, k, null);
    expect(got).toEqual(want);
    expect(clusterAccuracy(truth, got, k).accuracy).toBe(1);
  });
});
