// The same-cluster subset sampler: a CSR index of the rows of each cluster, and the draw of D for each x of a
// batch. The pool's wasm sampler (assembly/sample.ts) makes the same random draws in the same order.
import type { Rng } from '../util/rng.js';
import type { SubsetBatch } from './engine.js';

/** CSR cluster index: members[offsets[c] .. offsets[c+1]) are the rows of cluster c, ascending. */
export interface ClusterIndex {
  /** k+1 */ offsets: Int32Array;
  /** n */ members: Int32Array;
}

/** Counting sort of rows by label (stable: rows ascending within a cluster). labels n in [0,k). */
export function buildClusterIndex(labels: Int32Array, k: number, n = labels.length, out?: ClusterIndex): ClusterIndex {
  const offsets = out?.offsets ?? new Int32Array(k + 1);
  const members = out?.members ?? new Int32Array(n);
  offsets.fill(0, 0, k + 1);
  for (let i = 0; i < n; i++) offsets[labels[i] + 1]++;
  for (let c = 0; c < k; c++) offsets[c + 1] += offsets[c];
  const cursor = offsets.slice(0, k);
  for (let i = 0; i < n; i++) members[cursor[labels[i]]++] = i;
  return { offsets, members };
}

/**
 * Draw D (m rows of x's cluster) for each x in rows (B). The contract's rules:
 * - candidates are the members of x's cluster; includeSelf=false removes x from them unless x is alone;
 * - m distinct candidates (Floyd's algorithm) when there are >= m of them, else m draws with replacement;
 * - shareD: every batch item of a cluster reuses the D drawn for the first item of that cluster in the batch
 *   (so with includeSelf=false only that first item is guaranteed to be absent from it).
 * Random draws (Rng.below) happen in exactly this order in assembly/sample.ts too.
 * Writes out.subsets (B×m), out.setSize (B: cluster size |X_x|), out.cluster (B).
 * seen: k i32 scratch (filled with -1 here).
 */
export function sampleSubsets(
  rows: Int32Array, labels: Int32Array, index: ClusterIndex, k: number,
  m: number, includeSelf: boolean, shareD: boolean, rng: Rng,
  out?: SubsetBatch, seen?: Int32Array,
): SubsetBatch {
  const B = rows.length;
  const res: SubsetBatch = out ?? { subsets: new Int32Array(B * m), setSize: new Int32Array(B), cluster: new Int32Array(B) };
  const { offsets, members } = index;
  const first = seen ?? new Int32Array(k);
  first.fill(-1, 0, k);
  const chosen = new Int32Array(m);
  const sub = res.subsets;
  for (let b = 0; b < B; b++) {
    const x = rows[b];
    const c = labels[x];
    const start = offsets[c];
    const size = offsets[c + 1] - start;
    res.setSize[b] = size;
    res.cluster[b] = c;
    const o = b * m;
    if (shareD) {
      const f = first[c];
      if (f >= 0) {
        sub.copyWithin(o, f * m, f * m + m);
        continue;
      }
      first[c] = b;
    }
    const excl = !includeSelf && size > 1;
    const pool = excl ? size - 1 : size;
    const last = members[start + size - 1];
    if (pool >= m) {
      // Floyd: a uniform m-subset of [0, pool)
      let cnt = 0;
      for (let j = pool - m; j < pool; j++) {
        const t = rng.below(j + 1);
        let dup = false;
        for (let q = 0; q < cnt; q++) if (chosen[q] === t) { dup = true; break; }
        chosen[cnt++] = dup ? j : t;
      }
      for (let q = 0; q < m; q++) {
        const r = members[start + chosen[q]];
        sub[o + q] = excl && r === x ? last : r;
      }
    } else {
      for (let q = 0; q < m; q++) {
        const r = members[start + rng.below(pool)];
        sub[o + q] = excl && r === x ? last : r;
      }
    }
  }
  return res;
}

