// Oracle tests of the plain TypeScript clustering: KMeans (kmeans.ts), the cluster index and sampler invariants
// (sampler.ts), and the reference engine (reference-engine.ts).
import { describe, expect, it } from 'vitest';
import {
  assign, countLabels, dimWeights, kmeansFit, kmeansPlusPlus, miniBatchUpdate, randomInit, reseedEmpty, sqDist,
} from '../../src/cluster/kmeans.js';
import { createReferenceEngine } from '../../src/cluster/reference-engine.js';
import { buildClusterIndex, sampleSubsets } from '../../src/cluster/sampler.js';
import { Rng, deriveSeed } from '../../src/util/rng.js';
import type { ClusterEngineOptions } from '../../src/cluster/engine.js';
import { blobs, minCentreGap, samePartition } from './helpers.js';

describe('Rng', () => {
  it('is deterministic from a seed and bounded', () => {
    const a = new Rng(42), b = new Rng(42), c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.nextU32());
    const xb = Array.from({ length: 8 }, () => b.nextU32());
    const xc = Array.from({ length: 8 }, () => c.nextU32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    for (const v of xa) expect(v >>> 0).toBe(v);
    const r = new Rng(1);
    const hist = new Int32Array(7);
    for (let i = 0; i < 70000; i++) hist[r.below(7)]++;
    for (const h of hist) expect(Math.abs(h - 10000)).toBeLessThan(600);
    expect(new Rng(5).below(1)).toBe(0);
    expect(deriveSeed(1, 2)).not.toBe(deriveSeed(1, 3));
  });
  it('below() equals floor(u32·range / 2^32) exactly for large ranges', () => {
    const a = new Rng(9), b = new Rng(9);
    for (let i = 0; i < 1000; i++) {
      const range = 1 + ((i * 2654435761) >>> 1) % 2147483647;
      const u = BigInt(b.nextU32());
      expect(a.below(range)).toBe(Number((u * BigInt(range)) >> 32n));
    }
  });
  it('normal() has mean ~0 and variance ~1', () => {
    const r = new Rng(3);
    let s = 0, s2 = 0;
    const N = 20000;
    for (let i = 0; i < N; i++) { const v = r.normal(); s += v; s2 += v * v; }
    expect(Math.abs(s / N)).toBeLessThan(0.03);
    expect(Math.abs(s2 / N - 1)).toBeLessThan(0.05);
  });
});

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

describe('cluster index', () => {
  it('is a stable counting sort with correct offsets (including empty clusters)', () => {
    const k = 7, n = 1001;
    const r = new Rng(5);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) labels[i] = r.below(4) * 2; // clusters 1, 3, 5 empty
    const { offsets, members } = buildClusterIndex(labels, k);
    expect(offsets[0]).toBe(0);
    expect(offsets[k]).toBe(n);
    expect(Array.from(members).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    for (let c = 0; c < k; c++) {
      for (let p = offsets[c]; p < offsets[c + 1]; p++) {
        expect(labels[members[p]]).toBe(c);
        if (p > offsets[c]) expect(members[p]).toBeGreaterThan(members[p - 1]);
      }
      if (c % 2 === 1) expect(offsets[c + 1] - offsets[c]).toBe(0);
    }
  });
});

describe('sampler', () => {
  const k = 5, n = 103;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i < 100 ? i % 4 : 4; // cluster 4 = rows 100..102 (tiny)
  labels[7] = 4; // cluster 4 gets one more: 4 rows → {7,100,101,102}
  const solo = 50;
  const lab2 = labels.slice();
  const index = buildClusterIndex(labels, k);

  it('D members share x\'s cluster; sizes; without replacement when large enough', () => {
    const rows = Int32Array.from([0, 1, 2, 3, 4, 9, 100, 7]);
    const m = 3;
    for (const includeSelf of [true, false]) {
      const out = sampleSubsets(rows, labels, index, k, m, includeSelf, false, new Rng(1));
      expect(out.subsets.length).toBe(rows.length * m);
      for (let b = 0; b < rows.length; b++) {
        const x = rows[b], c = labels[x];
        expect(out.cluster[b]).toBe(c);
        expect(out.setSize[b]).toBe(index.offsets[c + 1] - index.offsets[c]);
        const D = Array.from(out.subsets.subarray(b * m, b * m + m));
        for (const r of D) expect(labels[r]).toBe(c);
        expect(new Set(D).size).toBe(m); // pools are >= m here
        if (!includeSelf) expect(D).not.toContain(x);
      }
    }
  });
  it('with replacement for clusters smaller than m; self-exclusion unless alone', () => {
    const l = lab2.slice();
    l[solo] = 4; // keep cluster 4 = {7, 50, 100, 101, 102}
    const kk = 6;
    l[60] = 5; // cluster 5 = {60} alone
    const idx = buildClusterIndex(l, kk);
    const rows = Int32Array.from([100, 60]);
    const m = 10;
    const out = sampleSubsets(rows, l, idx, kk, m, false, false, new Rng(2));
    const D0 = Array.from(out.subsets.subarray(0, m));
    for (const r of D0) { expect(l[r]).toBe(4); expect(r).not.toBe(100); }
    expect(new Set(D0).size).toBeGreaterThan(1);
    expect(Array.from(out.subsets.subarray(m, 2 * m))).toEqual(new Array(m).fill(60)); // alone: x itself
    expect(out.setSize[1]).toBe(1);
    const withSelf = sampleSubsets(Int32Array.from([100]), l, idx, kk, 200, true, false, new Rng(3));
    expect(new Set(withSelf.subsets)).toEqual(new Set([7, 50, 100, 101, 102]));
  });
  it('pool exactly m: all candidates, each once', () => {
    const rows = Int32Array.from([101]);
    const out = sampleSubsets(rows, labels, index, k, 3, false, false, new Rng(4));
    expect(Array.from(out.subsets).sort((a, b) => a - b)).toEqual([7, 100, 102]);
  });
  it('shareD: items of the same cluster get one common D', () => {
    const rows = Int32Array.from([0, 4, 1, 8, 5, 100]);
    const m = 4;
    const out = sampleSubsets(rows, labels, index, k, m, false, true, new Rng(5));
    const D = (b: number) => Array.from(out.subsets.subarray(b * m, b * m + m));
    expect(D(1)).toEqual(D(0));
    expect(D(3)).toEqual(D(0));
    expect(D(4)).toEqual(D(2));
    expect(D(0)).not.toContain(0);
    for (const r of D(5)) expect(labels[r]).toBe(4);
  });
  it('uniform: every candidate is drawn about equally often', () => {
    const rows = Int32Array.from([0]);
    const rng = new Rng(6);
    const hist = new Map<number, number>();
    for (let t = 0; t < 4000; t++) {
      const o = sampleSubsets(rows, labels, index, k, 5, false, false, rng);
      for (const r of o.subsets) hist.set(r, (hist.get(r) ?? 0) + 1);
    }
    // cluster 0 minus self has 24 rows; expect 4000*5/24 ≈ 833 each
    expect(hist.size).toBe(24);
    for (const v of hist.values()) expect(Math.abs(v - 833)).toBeLessThan(150);
  });
  it('is deterministic given the seed', () => {
    const rows = Int32Array.from([3, 5, 7, 11, 13]);
    const a = sampleSubsets(rows, labels, index, k, 4, true, false, new Rng(9));
    const b = sampleSubsets(rows, labels, index, k, 4, true, false, new Rng(9));
    expect(a).toEqual(b);
  });
});

describe('ReferenceEngine', () => {
  const opts: ClusterEngineOptions = {
    n: 500, dz: 6, dc: 3, k: 7, seed: 123, weights: { z: 1, c: 2 }, iters: 10,
    batchSize: 32, refit: 'epoch', workers: 1,
  };
  it('initialises N(0,1) codes, fits, relabels, samples; deterministic given the seed', async () => {
    const a = await createReferenceEngine(opts);
    const b = await createReferenceEngine(opts);
    expect(a.kind).toBe('reference');
    const codes = await a.readCodes();
    expect(codes.length).toBe(500 * 9);
    let s = 0, s2 = 0;
    for (const v of codes) { s += v; s2 += v * v; }
    expect(Math.abs(s / codes.length)).toBeLessThan(0.1);
    expect(Math.abs(s2 / codes.length - 1)).toBeLessThan(0.1);
    expect(await a.labels()).toEqual(await b.labels());
    const rows = Int32Array.from([1, 2, 3, 4]);
    const newCodes = new Float32Array(4 * 9).fill(0.5);
    a.writeCodes(rows, newCodes);
    b.writeCodes(rows, newCodes);
    const ra = await a.relabel(), rb = await b.relabel();
    expect(ra.labels).toEqual(rb.labels);
    expect(ra.sizes.reduce((x, y) => x + y, 0)).toBe(500);
    expect(ra.labels[1]).toBe(ra.labels[2]);
    const sa = await a.sample(rows, 5, false, false), sb = await b.sample(rows, 5, false, false);
    expect(sa).toEqual(sb);
    for (let i = 0; i < 4; i++) for (let q = 0; q < 5; q++) expect(ra.labels[sa.subsets[i * 5 + q]]).toBe(ra.labels[rows[i]]);
    expect((await a.readCodes()).subarray(9, 18)).toEqual(newCodes.subarray(0, 9));
    expect(a.takeWaitMs()).toBeGreaterThanOrEqual(0);
    expect(a.takeWaitMs()).toBe(0);
    await a.close();
    await expect(a.relabel()).rejects.toThrow(/closed/);
  });
  it('online refit updates labels of written rows and the sampler follows them', async () => {
    const e = await createReferenceEngine({ ...opts, refit: 'online' });
    const lab0 = await e.labels();
    const target = lab0[0];
    // write row 10 exactly onto the centroid of cluster `target`
    const cent = e.state.centroids.slice(target * 9, target * 9 + 9);
    e.writeCodes(Int32Array.from([10]), cent);
    const lab1 = await e.labels();
    expect(lab1[10]).toBe(target);
    const s = await e.sample(Int32Array.from([10]), 3, true, false);
    for (const r of s.subsets) expect(lab1[r]).toBe(target);
  });
  it('rejects bad options and bad calls with named errors', async () => {
    await expect(createReferenceEngine({ ...opts, k: 0 })).rejects.toThrow(/cluster\.k/);
    await expect(createReferenceEngine({ ...opts, k: 501 })).rejects.toThrow(/cluster\.k/);
    await expect(createReferenceEngine({ ...opts, refit: 'x' as never })).rejects.toThrow(/cluster\.refit/);
    const e = await createReferenceEngine(opts);
    expect(() => e.writeCodes(Int32Array.from([0]), new Float32Array(3))).toThrow(/writeCodes/);
    await expect(e.sample(Int32Array.from([999]), 2, true, false)).rejects.toThrow(/out of/);
  });
});
