// Oracle tests of the plain TypeScript KMeans (kmeans.ts): recovery of separated blobs, weights, k = n, re-seeding
// of empty clusters, the mini-batch update.
import { describe, expect, it } from 'vitest';
import {
  assign, countLabels, dimWeights, kmeansFit, kmeansPlusPlus, miniBatchUpdate, randomInit, reseedEmpty, sqDist,
} from '../../src/cluster/kmeans.js';
import { Rng } from '../../src/util/rng.js';
import { blobs, minCentreGap, samePartition } from './helpers.js';


describe('KMeans', () => {
  it('recovers well-separated blobs exactly and agrees with brute-force assignment', () => {
    for (const [n, d, k] of [[301, 7, 5], [400, 16, 8], [99, 3, 1]] as const) {
      const { codes, truth, centres } = blobs(n, d, k, n + d);
      if (k > 1) expect(minCentreGap(centres, k, d)).toBeGreaterThan(20);
      const fit = kmeansFit(codes, n, d, { k, weights: null, iters: 20, rng: new Rng(7) });
      expect(samePartition(fit.labels, truth)).toBe(true);
      const lab = new Int32Array(n);
      const inertia = assign(codes, n, d, fit.centroids, k, null, lab);
      expect(Array.from(lab)).toEqual(Array.from(fit.labels));
      expect(inertia).toBeCloseTo(fit.inertia, 3);
      // every label is the argmin
      for (let i = 0; i < n; i++) {
        const mine = sqDist(codes, i, fit.centroids, fit.labels[i], d, null);
        for (let c = 0; c < k; c++) expect(mine).toBeLessThanOrEqual(sqDist(codes, i, fit.centroids, c, d, null));
      }
    }
  });
  it('randomInit puts the k centroids on k distinct rows', () => {
    const n = 37, d = 3, k = 12;
    const codes = Float32Array.from({ length: n * d }, (_, i) => i); // every row distinct: row r starts with r·d
    const cent = new Float32Array(k * d);
    randomInit(codes, n, d, k, new Rng(2), cent);
    const rows = Array.from({ length: k }, (_, c) => cent[c * d] / d);
    expect(new Set(rows).size).toBe(k);
    for (let c = 0; c < k; c++) expect(Array.from(cent.subarray(c * d, c * d + d))).toEqual(Array.from(codes.subarray(rows[c] * d, rows[c] * d + d)));
  });
  it('weights: wc=0 ignores the c part of the code', () => {
    const n = 120, dz = 3, dc = 4, d = dz + dc, k = 3;
    const { codes: z, truth } = blobs(n, dz, k, 5);
    const codes = new Float32Array(n * d);
    const r = new Rng(8);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < dz; t++) codes[i * d + t] = z[i * dz + t];
      for (let t = 0; t < dc; t++) codes[i * d + dz + t] = r.normal() * 1000; // loud noise in c
    }
    const fit = kmeansFit(codes, n, d, { k, weights: dimWeights(dz, dc, 1, 0), iters: 20, rng: new Rng(1) });
    expect(samePartition(fit.labels, truth)).toBe(true);
  });
  it('k = n and duplicate points: no empty cluster', () => {
    const n = 9, d = 3;
    const codes = new Float32Array(n * d); // all zero: every row a duplicate
    for (let i = 6; i < 9; i++) codes[i * d] = 1;
    const fit = kmeansFit(codes, n, d, { k: n, weights: null, iters: 5, rng: new Rng(4) });
    expect(Array.from(fit.counts)).toEqual(new Array(n).fill(1));
    expect(fit.inertia).toBeCloseTo(0, 6);
  });
  it('reseedEmpty takes the row farthest from its centre', () => {
    const d = 2, n = 4, k = 2;
    const codes = Float32Array.from([0, 0, 1, 0, 0, 1, 5, 5]);
    const centroids = Float32Array.from([0, 0, 100, 100]);
    const labels = new Int32Array(n), dist = new Float32Array(n), counts = new Int32Array(k);
    assign(codes, n, d, centroids, 1, null, labels, dist); // everything on centre 0
    countLabels(labels, n, k, counts);
    expect(reseedEmpty(codes, n, d, centroids, k, labels, dist, counts)).toBe(1);
    expect(labels[3]).toBe(1);
    expect(Array.from(centroids.subarray(2))).toEqual([5, 5]);
    expect(Array.from(counts)).toEqual([3, 1]);
  });
  it('kmeans++ picks distinct rows on distinct points', () => {
    const { codes } = blobs(50, 4, 5, 3);
    const cent = new Float32Array(5 * 4);
    kmeansPlusPlus(codes, 50, 4, 5, null, new Rng(1), cent);
    const lab = new Int32Array(50);
    assign(codes, 50, 4, cent, 5, null, lab);
    expect(new Set(lab).size).toBe(5);
  });
  it('mini-batch (Sculley) update moves the centre by 1/count', () => {
    const d = 2;
    const cent = Float32Array.from([0, 0, 10, 10]);
    const counts = Int32Array.from([1, 3]);
    const lab = new Int32Array(2);
    miniBatchUpdate(Float32Array.from([2, 0, 10, 14]), 2, d, cent, 2, null, counts, lab);
    expect(Array.from(lab)).toEqual([0, 1]);
    expect(Array.from(cent)).toEqual([1, 0, 10, 11]);
    expect(Array.from(counts)).toEqual([2, 4]);
  });
});
