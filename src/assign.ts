// A run's clustering state for new points: the training codes with their labels (model/clusters.bin + clusters.json,
// docs/formats.md) and the K-nearest-neighbour vote that places a new code in one of the clusters, an inductive
// stand-in for the final rule (which labels only the codes it was given). Pure TypeScript: no tfjs, so the format and
// the vote are usable (and testable) without a backend.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sampleRows } from './cluster/ann.js';

/** Neighbours that vote on a new code's cluster. */
/** Neighbours that vote where the final rule has no neighbour graph of its own (KMeans, vhe's true labels). */
export const ASSIGN_K = 15;

/** Where a run's reference labels come from. */
export type LabelSource = 'final' | 'pseudo' | 'true';

/** The reference set the vote reads: n codes of d dimensions with their labels in 0..k-1. */
export interface ClusterState {
  n: number;
  d: number;
  /** clusters the labels range over */
  k: number;
  /** n×d codes, row-major */
  codes: Float32Array;
  /** n labels in 0..k-1 */
  labels: Int32Array;
  /** d per-dimension weights of the squared distance Σ w_j (a_j − b_j)² */
  weights: Float32Array;
  /** neighbours that vote */
  K: number;
  /** final: the run's final re-clustering (final/*); pseudo: training's last pseudo-labels; true: the true labels (vhe) */
  labelSource: LabelSource;
  /** which part of the encoder's output the codes are: "z", "c" or "zc" ([z‖c]) */
  space: 'z' | 'c' | 'zc';
  /** per cluster: the true label it is matched to (Hungarian on the training labels), or -1; null without labels */
  clusterToLabel: number[] | null;
}

/** clusters.json: the header of clusters.bin (docs/formats.md). */
export interface ClusterHeader {
  format: 'uvhe-clusters';
  version: 1;
  n: number; d: number; k: number; K: number;
  labelSource: LabelSource;
  space: 'z' | 'c' | 'zc';
  /** vote rule: each of the K nearest training codes (weighted squared L2) gives one vote to its label */
  vote: 'majority';
  clusterToLabel: number[] | null;
  /** the blocks of clusters.bin, little-endian, in this order: byte offset, element type and element count */
  blocks: Array<{ name: 'codes' | 'labels' | 'weights'; offset: number; dtype: 'float32' | 'int32'; count: number }>;
  /** leave-one-out agreement of the vote with the labels on the training codes, in [0, 1] */
  looAgreement: number;
}

/** Whether this machine stores typed arrays little-endian (every platform Node runs on does). */
const LE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function leBytes(a: Float32Array | Int32Array): Uint8Array {
  const out = new Uint8Array(a.byteLength);
  const dv = new DataView(out.buffer);
  if (LE) out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  else if (a instanceof Float32Array) a.forEach((v, i) => dv.setFloat32(4 * i, v, true));
  else a.forEach((v, i) => dv.setInt32(4 * i, v, true));
  return out;
}

/** Writes <dir>/clusters.bin and <dir>/clusters.json; looAgreement as measured by the caller. */
export function writeClusterState(dir: string, s: ClusterState, looAgreement: number): ClusterHeader {
  const parts = [
    { name: 'codes' as const, dtype: 'float32' as const, data: s.codes },
    { name: 'labels' as const, dtype: 'int32' as const, data: s.labels },
    { name: 'weights' as const, dtype: 'float32' as const, data: s.weights },
  ];
  let off = 0;
  const blocks = parts.map((p) => { const b = { name: p.name, offset: off, dtype: p.dtype, count: p.data.length }; off += p.data.byteLength; return b; });
  const bin = new Uint8Array(off);
  parts.forEach((p, i) => bin.set(leBytes(p.data), blocks[i]!.offset));
  const header: ClusterHeader = {
    format: 'uvhe-clusters', version: 1, n: s.n, d: s.d, k: s.k, K: s.K, labelSource: s.labelSource, space: s.space,
    vote: 'majority', clusterToLabel: s.clusterToLabel, blocks, looAgreement,
  };
  writeFileSync(join(dir, 'clusters.bin'), bin);
  writeFileSync(join(dir, 'clusters.json'), JSON.stringify(header, null, 2) + '\n');
  return header;
}

/** A malformed clusters.json / clusters.bin: the message names the file. */
export class ClusterFormatError extends Error {}

/** Reads <dir>/clusters.json and clusters.bin, checking every size against the header. */
export function readClusterState(dir: string): ClusterState & { looAgreement: number } {
  const hPath = join(dir, 'clusters.json'), bPath = join(dir, 'clusters.bin');
  let h: ClusterHeader;
  try { h = JSON.parse(readFileSync(hPath, 'utf8')) as ClusterHeader; } catch (e) {
    throw new ClusterFormatError(`${hPath}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (the run has no clustering state)' : (e as Error).message}`);
  }
  if (h.format !== 'uvhe-clusters' || h.version !== 1) throw new ClusterFormatError(`${hPath}: not a uvhe-clusters version 1 header`);
  let buf: Buffer;
  try { buf = readFileSync(bPath); } catch { throw new ClusterFormatError(`${bPath}: cannot read`); }
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const block = (name: string, want: number): { offset: number; count: number } => {
    const b = h.blocks?.find((x) => x.name === name);
    if (!b || b.count !== want || b.offset + 4 * b.count > buf.byteLength) throw new ClusterFormatError(`${bPath}: block ${name} is missing or does not hold ${want} values`);
    return b;
  };
  const cb = block('codes', h.n * h.d), lb = block('labels', h.n), wb = block('weights', h.d);
  const codes = Float32Array.from({ length: cb.count }, (_, i) => dv.getFloat32(cb.offset + 4 * i, true));
  const labels = Int32Array.from({ length: lb.count }, (_, i) => dv.getInt32(lb.offset + 4 * i, true));
  const weights = Float32Array.from({ length: wb.count }, (_, i) => dv.getFloat32(wb.offset + 4 * i, true));
  if (labels.some((l) => l < 0 || l >= h.k)) throw new ClusterFormatError(`${bPath}: a label lies outside 0..${h.k - 1}`);
  return {
    n: h.n, d: h.d, k: h.k, K: h.K, codes, labels, weights, labelSource: h.labelSource, space: h.space,
    clusterToLabel: h.clusterToLabel, looAgreement: h.looAgreement,
  };
}

/** Clusters of q query codes and the share of the K votes each cluster won, in (0, 1]. */
export interface Assignment { cluster: Int32Array; confidence: Float32Array }

/**
 * Places q query codes (q×d, row-major) by a majority vote of their K nearest reference codes under the weighted
 * squared distance; a tied vote goes to the tied cluster whose nearest voter is nearer. `exclude(i)`, when given,
 * is the reference row query i must not count (leave-one-out), or -1. O(q·n·d) time, O(K) memory per query.
 */
export function knnAssign(s: ClusterState, queries: Float32Array, exclude?: (i: number) => number): Assignment {
  const { n, d, k, codes, labels, weights: w } = s;
  const q = Math.floor(queries.length / d);
  const K = Math.min(s.K, n - (exclude ? 1 : 0));
  const cluster = new Int32Array(q), confidence = new Float32Array(q);
  const nd = new Float64Array(K), ni = new Int32Array(K); // the K nearest so far, sorted by distance
  const votes = new Int32Array(k), nearest = new Float64Array(k);
  for (let i = 0; i < q; i++) {
    const skip = exclude ? exclude(i) : -1;
    let have = 0;
    const qo = i * d;
    for (let r = 0; r < n; r++) {
      if (r === skip) continue;
      const ro = r * d;
      let dist = 0;
      for (let j = 0; j < d; j++) { const t = queries[qo + j]! - codes[ro + j]!; dist += w[j]! * t * t; }
      if (have === K && dist >= nd[K - 1]!) continue;
      let p = have < K ? have++ : K - 1;
      while (p > 0 && nd[p - 1]! > dist) { nd[p] = nd[p - 1]!; ni[p] = ni[p - 1]!; p--; }
      nd[p] = dist; ni[p] = r;
    }
    votes.fill(0); nearest.fill(Infinity);
    for (let t = 0; t < have; t++) {
      const l = labels[ni[t]!]!;
      votes[l]!++;
      if (nd[t]! < nearest[l]!) nearest[l] = nd[t]!;
    }
    let best = 0;
    for (let c = 1; c < k; c++) if (votes[c]! > votes[best]! || (votes[c] === votes[best] && nearest[c]! < nearest[best]!)) best = c;
    cluster[i] = best;
    confidence[i] = have ? votes[best]! / have : 0;
  }
  return { cluster, confidence };
}

/** Distances the leave-one-out agreement computes at most: each query row scores all n reference codes, so above
 *  √LOO_PAIRS codes the agreement is measured on a seeded sample of ⌈LOO_PAIRS / n⌉ rows (1,000 at a million). */
export const LOO_PAIRS = 1e9;

/** Leave-one-out agreement: the share of reference codes whose vote (without themselves) gives their own label
 *  (of every code, or of a seeded sample of them, see LOO_PAIRS). */
export function looAgreement(s: ClusterState): number {
  if (s.n < 2) return 1;
  const q = Math.min(s.n, Math.ceil(LOO_PAIRS / s.n));
  const rows = q < s.n ? sampleRows(s.n, q, 7) : Int32Array.from({ length: s.n }, (_, i) => i);
  const queries = new Float32Array(q * s.d);
  for (let t = 0; t < q; t++) queries.set(s.codes.subarray(rows[t]! * s.d, rows[t]! * s.d + s.d), t * s.d);
  const a = knnAssign(s, queries, (t) => rows[t]!);
  let same = 0;
  for (let t = 0; t < q; t++) if (a.cluster[t] === s.labels[rows[t]!]) same++;
  return same / q;
}

/** The part of rows [z‖c] (n×(dz+dc)) that `space` keeps: n×d rows. */
export function selectSpace(rows: Float32Array, n: number, dz: number, dc: number, space: 'z' | 'c' | 'zc'): Float32Array {
  const D = dz + dc;
  if (space === 'zc') return rows.slice(0, n * D);
  const from = space === 'z' ? 0 : dz, d = space === 'z' ? dz : dc;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) out.set(rows.subarray(i * D + from, i * D + from + d), i * d);
  return out;
}
