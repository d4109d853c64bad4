// gmm.ts against direct formulas and a mixture with known parts; umap.ts's fuzzy graph against its definition,
// the layout and labels on data whose classes are known, and the pool path against the main thread's.
import { describe, expect, it } from 'vitest';
import { cholesky, gmmFit } from '../../src/cluster/gmm.js';
import { CURVE, fuzzyGraph, umapLabels, umapLayout } from '../../src/cluster/umap.js';
import { graphLabels } from '../../src/cluster/graph.js';
import { knn } from '../../src/cluster/neighbours.js';
import type { GraphRule } from '../../src/cluster/types.js';
import { Rng } from '../../src/util/rng.js';
import { clusterAccuracy } from '../../src/eval/metrics.js';

/** k well-separated Gaussian blobs in p dims with their own spreads (one elongated), nPer points each. */
function blobs(k: number, nPer: number, p: number, seed: number): { X: Float64Array; truth: Int32Array } {
  const g = new Rng(seed), n = k * nPer;
  const X = new Float64Array(n * p), truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(i / nPer);
    truth[i] = c;
    for (let a = 0; a < p; a++) X[i * p + a] = 12 * (a === c % p ? 1 : 0) + (c >= p ? 12 : 0) + g.normal() * (a === 0 && c === 1 ? 2.5 : 0.6);
  }
  return { X, truth };
}

describe('gmmFit', () => {
  it('the log-likelihood of one E step equals the direct sum of log Σ_c π_c N(x | μ_c, Σ_c)', () => {
    // 1 iteration: the M step from the given labels, then the E step's likelihood, recomputed here by hand (p = 2)
    const g = new Rng(5), n = 37, p = 2, k = 2;
    const X = Float64Array.from({ length: n * p }, () => g.normal());
    const init = Int32Array.from({ length: n }, (_, i) => (X[i * p]! > 0 ? 1 : 0));
    const reg = 1e-3;
    const got = gmmFit(X, n, p, k, { init, iters: 1, tol: 0, reg });
    let want = 0;
    const par = [0, 1].map((c) => {
      const rows = [...Array(n).keys()].filter((i) => init[i] === c);
      const m = [0, 1].map((a) => rows.reduce((s, i) => s + X[i * p + a]!, 0) / rows.length);
      const cv = (a: number, b: number): number => rows.reduce((s, i) => s + (X[i * p + a]! - m[a]!) * (X[i * p + b]! - m[b]!), 0) / rows.length + (a === b ? reg : 0);
      return { pi: rows.length / n, m, s00: cv(0, 0), s01: cv(0, 1), s11: cv(1, 1) };
    });
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (const q of par) {
        const det = q.s00 * q.s11 - q.s01 * q.s01;
        const dx = X[i * p]! - q.m[0]!, dy = X[i * p + 1]! - q.m[1]!;
        const maha = (q.s11 * dx * dx - 2 * q.s01 * dx * dy + q.s00 * dy * dy) / det;
        s += q.pi * Math.exp(-0.5 * maha) / (2 * Math.PI * Math.sqrt(det));
      }
      want += Math.log(s);
    }
    expect(got.logLik).toBeCloseTo(want, 8);
    expect(got.iterations).toBe(1);
  });

  it('cholesky: L Lᵀ = A and log det A', () => {
    const A = Float64Array.from([4, 0, 0, 2, 5, 0, -1, 1, 3]); // lower triangle of a symmetric positive-definite 3×3
    const L = new Float64Array(9);
    const logDet = cholesky(A, 3, L, 0);
    const full = (r: number, c: number): number => (r >= c ? A[r * 3 + c]! : A[c * 3 + r]!);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let t = 0; t < 3; t++) s += (t <= r ? L[r * 3 + t]! : 0) * (t <= c ? L[c * 3 + t]! : 0);
      expect(s).toBeCloseTo(full(r, c), 12);
    }
    // det by cofactors
    const det = full(0, 0) * (full(1, 1) * full(2, 2) - full(1, 2) * full(2, 1)) - full(0, 1) * (full(1, 0) * full(2, 2) - full(1, 2) * full(2, 0)) + full(0, 2) * (full(1, 0) * full(2, 1) - full(1, 1) * full(2, 0));
    expect(logDet).toBeCloseTo(Math.log(det), 12);
  });

  it('recovers separated blobs of different spread from a poor start, and the likelihood never falls', () => {
    const { X, truth } = blobs(4, 60, 3, 2);
    const n = 240;
    // start: every point in a wrong or mixed part (labels rotated and a quarter scrambled)
    const init = Int32Array.from(truth, (t, i) => (i % 4 === 0 ? (t + 2) % 4 : (t + 1) % 4));
    const lls: number[] = [];
    for (let it = 1; it <= 12; it++) lls.push(gmmFit(X, n, 3, 4, { init, iters: it, tol: 0, reg: 1e-6 }).logLik);
    for (let t = 1; t < lls.length; t++) expect(lls[t]!).toBeGreaterThanOrEqual(lls[t - 1]! - 1e-6);
    const fit = gmmFit(X, n, 3, 4, { init, iters: 200, tol: 1e-9, reg: 1e-6 });
    expect(clusterAccuracy(truth, fit.labels, 4).accuracy).toBe(1);
  });

  it('a component that loses all its points keeps finite parameters', () => {
    const { X } = blobs(2, 30, 2, 4);
    const init = new Int32Array(60); // all in component 0; component 2 never has a point
    for (let i = 30; i < 60; i++) init[i] = 1;
    const fit = gmmFit(X, 60, 2, 3, { init, iters: 20, tol: 0, reg: 1e-6 });
    expect(Number.isFinite(fit.logLik)).toBe(true);
    expect(() => gmmFit(X, 60, 2, 3, { init: new Int32Array(59), iters: 1, tol: 0, reg: 0 })).toThrow(/init needs 60/);
  });
});

describe('fuzzyGraph', () => {
  it('follows the definition: Σ_j w_ij = log₂K per row before the union, nearest neighbour at weight 1, union a + b − ab', () => {
    const g = new Rng(9), n = 41, d = 3, K = 6;
    const codes = Float32Array.from({ length: n * d }, () => g.nextFloat());
    const nb = knn(codes, n, d, K, null);
    const G = fuzzyGraph(n, K, nb);
    // recompute the directed weights by the definition
    const A = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const dist = Array.from({ length: K }, (_, q) => Math.sqrt(nb.dist[i * K + q]!));
      const rho = dist[0]!;
      let lo = 0, hi = 100;
      for (let s = 0; s < 200; s++) { const m = (lo + hi) / 2; const v = dist.reduce((t, x) => t + Math.exp(-Math.max(0, x - rho) / m), 0); if (v > Math.log2(K)) hi = m; else lo = m; }
      const sig = (lo + hi) / 2;
      let sum = 0;
      for (let q = 0; q < K; q++) { const w = Math.exp(-Math.max(0, dist[q]! - rho) / sig); A.set(i * n + nb.idx[i * K + q]!, w); sum += w; }
      expect(sum).toBeCloseTo(Math.log2(K), 4);
      expect(A.get(i * n + nb.idx[i * K]!)).toBe(1);
    }
    let edges = 0;
    for (let i = 0; i < n; i++) {
      for (let q = G.offsets[i]!; q < G.offsets[i + 1]!; q++) {
        const j = G.cols[q]!, a = A.get(i * n + j) ?? 0, b = A.get(j * n + i) ?? 0;
        expect(G.vals[q]).toBeCloseTo(a + b - a * b, 4);
        edges++;
      }
      for (let q = G.offsets[i]! + 1; q < G.offsets[i + 1]!; q++) expect(G.cols[q]!).toBeGreaterThan(G.cols[q - 1]!);
    }
    const pairs = new Set<number>();
    for (const key of A.keys()) { const i = Math.floor(key / n), j = key % n; pairs.add(i * n + j); pairs.add(j * n + i); }
    expect(edges).toBe(pairs.size);
  });
});

describe('umap labels', () => {
  it('the layout pulls graph neighbours together: near pairs end nearer than random pairs', () => {
    const { X } = blobs(3, 50, 4, 6);
    const n = 150, codes = Float32Array.from(X);
    const nb = knn(codes, n, 4, 8, null);
    const Y = umapLayout(fuzzyGraph(n, 8, nb), n, { dims: 2, epochs: 100, negatives: 5, eigenIters: 50, seed: 1 });
    expect(Y.every(Number.isFinite)).toBe(true);
    const dist = (i: number, j: number): number => Math.hypot(Y[i * 2]! - Y[j * 2]!, Y[i * 2 + 1]! - Y[j * 2 + 1]!);
    let near = 0, far = 0;
    for (let i = 0; i < n; i++) { near += dist(i, nb.idx[i * 8]!); far += dist(i, (i * 37 + 11) % n); }
    expect(near * 5).toBeLessThan(far);
    expect(CURVE.a).toBeGreaterThan(1.8); // min_dist = 0: 1/(1 + a d^2b) ≈ exp(−d)
  });

  it('finds k blobs of different spreads; the same seed gives the same labels', () => {
    // (what it is for: compact classes. Two concentric rings or two long parallel bars are laid out as long
    // curves that a mixture of k Gaussians does not follow: there the spectral embedding is the better rule.)
    const { X, truth } = blobs(5, 40, 3, 8);
    const codes = Float32Array.from(X), nb = knn(codes, 200, 3, 10, null);
    const o = { neighbors: 10, dims: 5, epochs: 200, eigenIters: 100, layouts: 1, fits: 3, seed: 4 };
    const a = umapLabels(200, 5, o, nb);
    expect(clusterAccuracy(truth, a, 5).accuracy).toBeGreaterThan(0.97);
    expect(umapLabels(200, 5, o, nb)).toEqual(a);
    // three layouts vote (consensus of their partitions): the same classes, repeatably
    const v = umapLabels(200, 5, { ...o, layouts: 3 }, nb);
    expect(clusterAccuracy(truth, v, 5).accuracy).toBeGreaterThan(0.97);
    expect(umapLabels(200, 5, { ...o, layouts: 3 }, nb)).toEqual(v);
    expect(() => umapLabels(200, 5, { ...o, neighbors: 9 }, nb)).toThrow(/expected 9/);
  });

  it('on the pool gives the labels of the main-thread path (graph.ts behind both)', async () => {
    const { PoolEngine } = await import('../../src/cluster/index.js');
    const { X, truth } = blobs(3, 40, 5, 12);
    const n = 120, dz = 3, dc = 2, K = 8, codes = Float32Array.from(X);
    const opts = { n, dz, dc, k: 3, seed: 3, weights: { z: 1, c: 1 }, iters: 2, batchSize: 32, refit: 'epoch' as const, workers: 2, knnK: K };
    const a = await PoolEngine.create(opts, { codes });
    const b = await PoolEngine.create(opts, { codes });
    try {
      const rule: GraphRule = { embed: 'umap', K, dims: 3, iters: 50, epochs: 100, fits: 2, consensus: 2, seed: 7 };
      const got = await a.graphRelabel(rule);
      const want = await b.assignLabels(graphLabels(codes, n, 5, 3, rule, null, await b.knn(K)));
      expect(got.labels).toEqual(want.labels);
      expect(clusterAccuracy(truth, got.labels, 3).accuracy).toBe(1);
    } finally {
      await a.close(); await b.close();
    }
  });
});
