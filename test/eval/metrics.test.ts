// Clustering metrics checked against plain, obvious references: brute-force matching and textbook NMI.

import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/rng.js';

const uniform = (seed: number): (() => number) => { const r = new Rng(seed); return () => r.nextFloat(); };
import { clusterAccuracy, clusterSizes, contingency, emptyClusters, neighbourPurity, nmi, sizeEvenness } from '../../src/eval/metrics.js';

const I = (a: number[]): Int32Array => Int32Array.from(a);

/** Best one-to-one accuracy by trying every injective map of the smaller side into the larger one. */
function bruteAccuracy(t: Int32Array, p: Int32Array, k: number, C: number): number {
  const count = (cluster: number, cls: number): number => {
    let c = 0;
    for (let i = 0; i < t.length; i++) if (p[i] === cluster && t[i] === cls) c++;
    return c;
  };
  const small = Math.min(k, C);
  const large = Math.max(k, C);
  let best = 0;
  const used = new Array<boolean>(large).fill(false);
  const rec = (i: number, acc: number): void => {
    if (i === small) {
      best = Math.max(best, acc);
      return;
    }
    for (let j = 0; j < large; j++) {
      if (used[j]) continue;
      used[j] = true;
      rec(i + 1, acc + (k <= C ? count(i, j) : count(j, i)));
      used[j] = false;
    }
  };
  rec(0, 0);
  return best / t.length;
}

/** Textbook NMI with Maps: I(U;V) / mean(H(U), H(V)). */
function referenceNmi(t: Int32Array, p: Int32Array): number {
  const n = t.length;
  const joint = new Map<string, number>();
  const mu = new Map<number, number>();
  const mv = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    joint.set(`${t[i]},${p[i]}`, (joint.get(`${t[i]},${p[i]}`) ?? 0) + 1);
    mu.set(t[i]!, (mu.get(t[i]!) ?? 0) + 1);
    mv.set(p[i]!, (mv.get(p[i]!) ?? 0) + 1);
  }
  const H = (m: Map<number, number>) => [...m.values()].reduce((h, c) => h - (c / n) * Math.log(c / n), 0);
  let mi = 0;
  for (const [key, c] of joint) {
    const [u, v] = key.split(',').map(Number) as [number, number];
    mi += (c / n) * Math.log((c / n) / ((mu.get(u)! / n) * (mv.get(v)! / n)));
  }
  if (mu.size === 1 && mv.size === 1) return 1;
  return mi / ((H(mu) + H(mv)) / 2);
}

function randomLabels(rand: () => number, n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(rand() * k));
}

describe('nmi', () => {
  it('identical partitions score 1, also under relabelling', () => {
    const t = I([0, 0, 1, 1, 2, 2, 2]);
    expect(nmi(t, t)).toBeCloseTo(1, 12);
    expect(nmi(t, I([5, 5, 3, 3, 0, 0, 0]))).toBeCloseTo(1, 12);
  });

  it('independent partitions score 0', () => {
    // t = i mod 2 and p = floor(i/2) mod 2 over 4m points: the joint is exactly the product of marginals
    const t = Int32Array.from({ length: 400 }, (_, i) => i % 2);
    const p = Int32Array.from({ length: 400 }, (_, i) => Math.floor(i / 2) % 2);
    expect(nmi(t, p)).toBeCloseTo(0, 12);
    // random, large n: near 0
    const rand = uniform(5);
    expect(nmi(randomLabels(rand, 20000, 10), randomLabels(rand, 20000, 10))).toBeLessThan(0.01);
  });

  it('hand-computed case: t = [0,0,1,1], p = [0,0,0,1]', () => {
    // H(U) = ln 2; H(V) = −(¾ ln ¾ + ¼ ln ¼);
    // I = ½ ln(4/3) + ¼ ln(2/3) + ¼ ln 2 (cells (0,0)=2, (1,0)=1, (1,1)=1 of n=4)
    const hU = Math.log(2);
    const hV = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    const mi = 0.5 * Math.log(4 / 3) + 0.25 * Math.log(2 / 3) + 0.25 * Math.log(2);
    const want = mi / ((hU + hV) / 2);
    expect(want).toBeCloseTo(0.343711, 6);
    expect(nmi(I([0, 0, 1, 1]), I([0, 0, 0, 1]))).toBeCloseTo(want, 12);
  });

  it('degenerate cases follow sklearn: both single-cluster → 1, one side single-cluster → 0', () => {
    expect(nmi(I([3, 3, 3]), I([0, 0, 0]))).toBe(1);
    expect(nmi(I([0, 1, 2]), I([0, 0, 0]))).toBe(0);
  });

  it('matches the textbook reference on random partitions, symmetric', () => {
    const rand = uniform(11);
    for (let trial = 0; trial < 30; trial++) {
      const n = 5 + Math.floor(rand() * 200);
      const t = randomLabels(rand, n, 1 + Math.floor(rand() * 6));
      const p = randomLabels(rand, n, 1 + Math.floor(rand() * 8));
      const v = nmi(t, p);
      expect(v).toBeCloseTo(referenceNmi(t, p), 10);
      expect(v).toBeCloseTo(nmi(p, t), 12);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });
});

describe('clusterAccuracy (Hungarian)', () => {
  it('a permuted perfect clustering scores 1 with the inverse mapping', () => {
    const t = I([0, 0, 1, 1, 2, 2]);
    const r = clusterAccuracy(t, I([2, 2, 0, 0, 1, 1]));
    expect(r.accuracy).toBe(1);
    expect(Array.from(r.mapping)).toEqual([1, 2, 0]);
  });

  it('more clusters than classes: unmatched clusters count as wrong', () => {
    const t = I([0, 0, 0, 1, 1, 1]);
    const p = I([0, 0, 2, 1, 1, 3]); // 4 clusters, 2 classes
    const r = clusterAccuracy(t, p);
    expect(r.accuracy).toBeCloseTo(4 / 6, 12);
    expect(Array.from(r.mapping)).toEqual([0, 1, -1, -1]);
  });

  it('fewer clusters than classes: some classes get no cluster', () => {
    const t = I([0, 0, 1, 1, 2, 2, 2]);
    const r = clusterAccuracy(t, I([0, 0, 0, 0, 1, 1, 1]));
    expect(r.accuracy).toBeCloseTo(5 / 7, 12);
    expect(Array.from(r.mapping)).toEqual([0, 2]);
  });

  it('k and numClasses widen the table (empty clusters appear in the mapping as -1)', () => {
    const r = clusterAccuracy(I([0, 1, 1]), I([0, 1, 1]), 5, 10);
    expect(r.accuracy).toBe(1);
    expect(r.mapping.length).toBe(5);
    expect(r.mapping[0]).toBe(0);
    expect(r.mapping[1]).toBe(1);
    expect(() => clusterAccuracy(I([0]), I([3]), 2)).toThrow(/≥ k 2/);
  });

  it('equals brute-force permutation accuracy on random small cases (k ≠ C too)', () => {
    const rand = uniform(3);
    for (let trial = 0; trial < 60; trial++) {
      const n = 1 + Math.floor(rand() * 60);
      const C = 1 + Math.floor(rand() * 5);
      const k = 1 + Math.floor(rand() * 6);
      const t = randomLabels(rand, n, C);
      const p = randomLabels(rand, n, k);
      const tab = contingency(t, p);
      const r = clusterAccuracy(t, p);
      expect(r.accuracy).toBeCloseTo(bruteAccuracy(t, p, tab.k, tab.numClasses), 12);
      // the mapping is one-to-one and realises the accuracy
      const mapped = Array.from(r.mapping).filter((c) => c >= 0);
      expect(new Set(mapped).size).toBe(mapped.length);
      expect(mapped.length).toBe(Math.min(tab.k, tab.numClasses));
      let hit = 0;
      for (let i = 0; i < n; i++) if (r.mapping[p[i]!] === t[i]) hit++;
      expect(hit / n).toBeCloseTo(r.accuracy, 12);
    }
  });

  it('handles a realistic size quickly (10 classes, 50 clusters, 10,000 points)', () => {
    const rand = uniform(9);
    const t = randomLabels(rand, 10000, 10);
    const p = Int32Array.from(t, (c) => c * 5 + Math.floor(rand() * 5));
    const r = clusterAccuracy(t, p);
    // each class is split over 5 clusters: the best one-to-one match keeps about a fifth
    expect(r.accuracy).toBeGreaterThan(0.19);
    expect(r.accuracy).toBeLessThan(0.23);
  });
});

describe('contingency / clusterSizes / emptyClusters', () => {
  it('counts cluster × class', () => {
    const c = contingency(I([0, 1, 1, 2]), I([1, 1, 0, 1]));
    expect([c.k, c.numClasses, c.n]).toEqual([2, 3, 4]);
    expect(Array.from(c.counts)).toEqual([0, 1, 0, 1, 1, 1]);
  });

  it('sizes and empty clusters', () => {
    const s = clusterSizes(I([0, 3, 3, 1, 3]), 6);
    expect(Array.from(s)).toEqual([1, 1, 0, 3, 0, 0]);
    expect(emptyClusters(s)).toBe(3);
    expect(() => clusterSizes(I([0, 6]), 6)).toThrow(/pred\[1\] = 6 is outside 0\.\.5/);
  });

  it('rejects mismatched lengths, empty input and negative ids', () => {
    expect(() => nmi(I([0, 1]), I([0]))).toThrow(/trueLabels has 2 entries but pred has 1/);
    expect(() => clusterAccuracy(I([]), I([]))).toThrow(/no examples/);
    expect(() => nmi(I([0, -1]), I([0, 0]))).toThrow(/trueLabels\[1\] = -1 is negative/);
  });
});

describe('neighbourPurity', () => {
  it('counts agreeing (row, neighbour) pairs, as a direct count over a hand-built neighbour table does', () => {
    const y = I([0, 0, 1, 1, 2]);
    // K = 2: row 0 → 1 (same), 2 (not); row 1 → 0 (same), 4; row 2 → 3, 3 (both same); row 3 → 2 (same), 0; row 4 → 0, 1 (neither)
    const idx = I([1, 2, 0, 4, 3, 3, 2, 0, 0, 1]);
    expect(neighbourPurity(y, idx, 2)).toBeCloseTo((1 + 1 + 2 + 1 + 0) / 10, 12);
    expect(neighbourPurity(y, I([1, 0, 3, 2, 4]), 1)).toBe(1); // a table, not a search: row 4 may list itself
    expect(() => neighbourPurity(y, idx, 3)).toThrow(/expected n·K = 5·3/);
  });
});

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
