// Stable cluster ids across relabels: a permuted relabel maps back through cluster/overlap (no true labels needed),
// an overlap that does not describe the two epochs falls back to sizes, and new clusters get new ids.
import { describe, expect, it } from 'vitest';
import { trackClusters } from '../../src/report/cluster-match.js';
import { labelOverlap } from '../../src/train/relabel.js';

/** Labels of n rows in k clusters of unequal sizes, and the same partition under the id permutation perm. */
function partition(n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => Math.min(k - 1, Math.floor(Math.sqrt(i * k * k / n))));
}
const sizes = (l: Int32Array, k: number): number[] => { const s = new Array<number>(k).fill(0); for (const v of l) s[v]++; return s; };

describe('trackClusters', () => {
  it('maps a permuted relabel back to the previous ids through the overlap', () => {
    const k = 6, a = partition(600, k), perm = [3, 5, 0, 1, 4, 2];
    const b = a.map((c) => perm[c]);
    // move 10 rows between two clusters: the match must still hold
    for (let i = 0; i < 10; i++) b[i] = perm[1];
    const t = trackClusters([{ sizes: sizes(a, k) }, { sizes: sizes(b, k), overlap: labelOverlap(b, a, k) }]);
    expect(t.how).toEqual(['first', 'overlap']);
    for (let c = 0; c < k; c++) expect(t.ids[1][perm[c]]).toBe(c);
    expect(t.count).toBe(k);
  });

  it('chains over several epochs, each matched to the one before', () => {
    const k = 4, e0 = partition(400, k), p1 = [2, 0, 3, 1], p2 = [1, 3, 0, 2];
    const e1 = e0.map((c) => p1[c]), e2 = e1.map((c) => p2[c]);
    const t = trackClusters([{ sizes: sizes(e0, k) }, { sizes: sizes(e1, k), overlap: labelOverlap(e1, e0, k) }, { sizes: sizes(e2, k), overlap: labelOverlap(e2, e1, k) }]);
    for (let c = 0; c < k; c++) expect(t.ids[2][p2[p1[c]]]).toBe(c);
  });

  it('without an overlap (or with one that does not add up), matches on sizes', () => {
    const t = trackClusters([{ sizes: [100, 40, 10] }, { sizes: [12, 98, 41] }, { sizes: [40, 11, 99], overlap: [0, 0, 5] }]);
    expect(t.how).toEqual(['first', 'sizes', 'sizes']);
    expect(t.ids[1]).toEqual([2, 0, 1]);
    expect(t.ids[2]).toEqual([1, 2, 0]);
  });

  it('gives clusters beyond the previous k new ids', () => {
    const t = trackClusters([{ sizes: [5, 5] }, { sizes: [5, 4, 1] }]);
    expect(t.ids[1].slice().sort()).toEqual([0, 1, 2]);
    expect(t.count).toBe(3);
  });

  it('labelOverlap: flat (cluster, previous, count) triples of the non-zero cells', () => {
    expect(labelOverlap(Int32Array.from([0, 0, 1, 1]), Int32Array.from([1, 1, 1, 0]), 2)).toEqual([0, 1, 2, 1, 0, 1, 1, 1, 1]);
  });
});
