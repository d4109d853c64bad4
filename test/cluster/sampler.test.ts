// The same-cluster sampler (sampler.ts) and the PRNG it draws from: the cluster index, the sampler's rules
// (distinct draws, replacement, self-exclusion, shared D) and determinism.
import { describe, expect, it } from 'vitest';
import { buildClusterIndex, sampleSubsets } from '../../src/cluster/sampler.js';
import { Rng, deriveSeed } from '../../src/util/rng.js';


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
