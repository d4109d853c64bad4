// Cluster ids that stay the same across epochs: every relabel numbers its clusters afresh, so the report matches
// each epoch's clusters to the previous epoch's (Hungarian, one-to-one) and gives a matched cluster the id and
// colour it had before.
//
// What the match maximises: the members two clusters share, from the epoch line's cluster/overlap (written by
// train/relabel.ts: non-zero counts of (cluster, previous cluster), flat triples); it needs no true labels. Where a
// line has no overlap (the first line after a resume, older runs) or it does not add up to the previous line's
// sizes, the match falls back to the closest sizes, which keeps ids only while sizes differ clearly.
import { munkres } from 'munkres';

/** One epoch's clusters, as its metrics line has them. */
export interface EpochClusters {
  /** members per cluster id (k) */
  sizes: number[];
  /** cluster/overlap: cluster, previous cluster, shared members, … (null or absent: none) */
  overlap?: number[] | null;
}

export interface Tracks {
  /** ids[e][c]: the stable id of epoch e's cluster c (0, 1, … in order of first appearance) */
  ids: number[][];
  /** per epoch: how it was matched to the one before ("first" for the first epoch) */
  how: Array<'first' | 'overlap' | 'sizes'>;
  /** stable ids in all */
  count: number;
}

/** The k×k' table of shared members (rows: clusters, columns: previous clusters), or null where it cannot be used. */
function overlapTable(cur: EpochClusters, prev: EpochClusters): number[][] | null {
  const o = cur.overlap, k = cur.sizes.length, kp = prev.sizes.length;
  if (!Array.isArray(o) || o.length % 3 !== 0) return null;
  const t = Array.from({ length: k }, () => new Array<number>(kp).fill(0));
  for (let q = 0; q < o.length; q += 3) {
    const c = o[q], p = o[q + 1], v = o[q + 2];
    if (!(c >= 0 && c < k && p >= 0 && p < kp)) return null;
    t[c][p] += v;
  }
  // the table must describe these two lines: its row sums are this epoch's sizes, its column sums the previous
  for (let c = 0; c < k; c++) if (t[c].reduce((a, b) => a + b, 0) !== cur.sizes[c]) return null;
  for (let p = 0; p < kp; p++) if (t.reduce((a, row) => a + row[p], 0) !== prev.sizes[p]) return null;
  return t;
}

/** Stable ids for the clusters of consecutive epochs. */
export function trackClusters(epochs: EpochClusters[]): Tracks {
  const ids: number[][] = [], how: Tracks['how'] = [];
  let count = 0;
  epochs.forEach((cur, e) => {
    const k = cur.sizes.length;
    if (e === 0) { ids.push(Array.from({ length: k }, (_, c) => c)); how.push('first'); count = k; return; }
    const prev = epochs[e - 1], table = overlapTable(cur, prev);
    // cost to minimise: minus the shared members, or the difference in size
    const cost = Array.from({ length: k }, (_, c) => prev.sizes.map((s, p) => (table ? -table[c][p] : Math.abs(cur.sizes[c] - s))));
    const row = new Array<number>(k).fill(-1);
    if (k > 0 && prev.sizes.length > 0) for (const [c, p] of munkres(cost)) row[c] = ids[e - 1][p];
    ids.push(row.map((id) => (id >= 0 ? id : count++)));
    how.push(table ? 'overlap' : 'sizes');
  });
  return { ids, how, count };
}
