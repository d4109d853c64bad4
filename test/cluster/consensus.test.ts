// Consensus of KMeans fits (src/cluster/consensus.ts) against a plain reference: the co-membership rows written
// out densely, with the squared distances the sparse path must reproduce, and partitions whose consensus is known.
import { describe, expect, it } from 'vitest';
import { consensusLabels } from '../../src/cluster/consensus.js';
import { Rng } from '../../src/util/rng.js';
import { clusterAccuracy } from '../../src/eval/metrics.js';

/** h_i = [onehot(l_1(i)) … onehot(l_M(i))] / √M, written out: n × (M·k). */
function denseRows(fits: Int32Array[], n: number, k: number): Float64Array[] {
  const M = fits.length;
  return Array.from({ length: n }, (_, i) => {
    const h = new Float64Array(M * k);
    fits.forEach((f, m) => { h[m * k + f[i]] = 1 / Math.sqrt(M); });
    return h;
  });
}

/** Σ_i ‖h_i − mean of its cluster's rows‖², the plain way */
function denseInertia(rows: Float64Array[], labels: Int32Array, k: number): number {
  const W = rows[0].length, sums = Array.from({ length: k }, () => new Float64Array(W)), cnt = new Int32Array(k);
  rows.forEach((h, i) => { cnt[labels[i]]++; h.forEach((v, w) => { sums[labels[i]][w] += v; }); });
  let s = 0;
  rows.forEach((h, i) => { const c = labels[i]; h.forEach((v, w) => { s += (v - sums[c][w] / cnt[c]) ** 2; }); });
  return s;
}

/** a relabelling of `base` (labels renamed by a random permutation) with a fraction `noise` of rows moved at random */
function noisyCopy(base: Int32Array, k: number, noise: number, g: Rng): Int32Array {
  const perm = Int32Array.from({ length: k }, (_, i) => i);
  for (let i = k - 1; i > 0; i--) { const j = g.below(i + 1); [perm[i], perm[j]] = [perm[j], perm[i]]; }
  return base.map((l) => (g.nextFloat() < noise ? g.below(k) : perm[l]));
}

describe('consensusLabels', () => {
  it('returns the shared partition when every fit agrees up to renaming, with zero inertia', () => {
    const n = 300, k = 4, g = new Rng(2);
    const truth = Int32Array.from({ length: n }, () => g.below(k));
    const fits = Array.from({ length: 6 }, () => noisyCopy(truth, k, 0, g));
    const r = consensusLabels(fits, n, k, k, { restarts: 3, iters: 50, rng: new Rng(1) });
    expect(clusterAccuracy(truth, r.labels, k).accuracy).toBe(1);
    expect(r.inertia).toBeCloseTo(0, 12);
  });

  it('recovers the majority partition from noisy fits that each disagree with it on 25% of rows', () => {
    const n = 1000, k = 5, g = new Rng(3);
    const truth = Int32Array.from({ length: n }, () => g.below(k));
    const fits = Array.from({ length: 15 }, () => noisyCopy(truth, k, 0.25, g));
    for (const f of fits) expect(clusterAccuracy(truth, f, k).accuracy).toBeLessThan(0.85);
    const r = consensusLabels(fits, n, k, k, { restarts: 5, iters: 100, rng: new Rng(1) });
    expect(clusterAccuracy(truth, r.labels, k).accuracy).toBeGreaterThan(0.99);
  });

  it('reports the inertia of the dense co-membership rows, and no centre reached from its labels is closer', () => {
    const n = 200, kIn = 6, k = 4, g = new Rng(4);
    const fits = Array.from({ length: 5 }, () => Int32Array.from({ length: n }, () => g.below(kIn)));
    const r = consensusLabels(fits, n, kIn, k, { restarts: 1, iters: 100, rng: new Rng(9) });
    const rows = denseRows(fits, n, kIn);
    expect(r.inertia).toBeCloseTo(denseInertia(rows, r.labels, k), 9);
    // converged Lloyd: every row sits at its nearest centre (dense means, dense distances)
    const W = rows[0].length, means = Array.from({ length: k }, () => new Float64Array(W)), cnt = new Int32Array(k);
    rows.forEach((h, i) => { cnt[r.labels[i]]++; h.forEach((v, w) => { means[r.labels[i]][w] += v; }); });
    means.forEach((m, c) => m.forEach((_, w) => { m[w] /= Math.max(1, cnt[c]); }));
    rows.forEach((h, i) => {
      const d = means.map((m) => h.reduce((s, v, w) => s + (v - m[w]) ** 2, 0));
      expect(d[r.labels[i]]).toBeLessThanOrEqual(Math.min(...d) + 1e-12);
    });
  });

  it('keeps the start that disagrees least: more starts from the same stream never end higher, and it is the minimum', () => {
    const n = 400, k = 5, g = new Rng(12);
    // fits that disagree a lot (40% noise, and two of them a different partition) leave several local optima
    const truth = Int32Array.from({ length: n }, () => g.below(k)), other = Int32Array.from({ length: n }, () => g.below(k));
    const fits = [...Array.from({ length: 10 }, () => noisyCopy(truth, k, 0.4, g)), noisyCopy(other, k, 0, g), noisyCopy(other, k, 0, g)];
    // 40 single starts drawn one after another from one stream are the 40 starts of restarts = 40 on that seed
    const single: number[] = [];
    const rng = new Rng(3);
    for (let r = 0; r < 40; r++) single.push(consensusLabels(fits, n, k, k, { restarts: 1, iters: 100, rng }).inertia);
    const five = consensusLabels(fits, n, k, k, { restarts: 5, iters: 100, rng: new Rng(3) }).inertia;
    const forty = consensusLabels(fits, n, k, k, { restarts: 40, iters: 100, rng: new Rng(3) }).inertia;
    expect(five).toBeCloseTo(Math.min(...single.slice(0, 5)), 9);
    expect(forty).toBeCloseTo(Math.min(...single), 9);
    expect(forty).toBeLessThanOrEqual(five);
    expect(new Set(single.map((v) => v.toFixed(6))).size).toBeGreaterThan(1); // the starts do land apart
  });

  it('refuses fits of the wrong length or with labels out of range', () => {
    const rng = new Rng(1);
    expect(() => consensusLabels([new Int32Array(5)], 6, 2, 2, { restarts: 1, iters: 5, rng })).toThrow(/6 labels/);
    expect(() => consensusLabels([Int32Array.from([0, 1, 3])], 3, 2, 2, { restarts: 1, iters: 5, rng })).toThrow(/label 3 at row 2/);
    expect(() => consensusLabels([], 3, 2, 2, { restarts: 1, iters: 5, rng })).toThrow(/at least one fit/);
  });
});
