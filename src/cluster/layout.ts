// The one map of the shared WebAssembly.Memory: where the code store, labels, centroids, counts, the cluster
// index, per-worker partial sums and the batch-slot rings live. Both threads compute offsets only from here.
import type { EngineSnapshot } from './engine.js';

/** What the layout is planned for. */
export interface LayoutParams {
  /** rows of the code store */
  n: number;
  /** columns: dz + dc */
  d: number;
  /** clusters */
  k: number;
  /** partial-sum slots for the parallel Lloyd accumulate (>= 1; one per worker) */
  parts: number;
  /** rows one batch slot holds (writes and samples); larger calls are split (writes) or sampled in TS */
  batchCap: number;
  /** max m (|D|) a sample slot holds */
  mCap: number;
  /** batch slots per ring */
  ring: number;
  /** reserve the n×f64 scratch k-means++ needs */
  kmeansPP: boolean;
  /** neighbours per row for the k-nearest-neighbour graph (cluster.embed = "spectral"); 0/absent: no knn regions */
  knnK?: number;
  /** rows the graph regions hold (the graph rule's rows, ann.ts graphRows; default n); below n, a subsample's codes
   *  are gathered into their own region */
  graphRows?: number;
  /** coarse cells the IVF regions hold (0/absent: none) */
  cells?: number;
}

/** The IVF index over the graph's base rows (ivf-exec.ts), 0 offsets when not reserved. */
export interface IvfRegions {
  /** cells×d f32 centres, their weighted panel and norms (as prepareCentroids lays them out) */
  cent: number;
  panel: number;
  cn: number;
  /** cells+1 i32 offsets into members, cells i32 cursor, sizes and partial sizes; cells×d f64 sums */
  offsets: number;
  cursor: number;
  counts: number;
  partCounts: number;
  sums: number;
  /** graphRows i32: each base row's cell; f32: its distance to the centre; i32: base rows in cell order; the base
   *  in cell order (graphRows×d f32; its panel goes to knnPanel/knnCn) */
  cell: number;
  sorted: number;
  dist: number;
  members: number;
  /** per-thread search scratch: parts + 1 slots of scratchStride bytes */
  scratch: number;
  scratchStride: number;
}

/** One write slot: rows B i32, codes B×d f32, batch labels B i32, batch distances B f32. */
export interface WriteSlot { rows: number; codes: number; blabels: number; bdist: number }
/** One sample slot: rows B i32, subsets B×mCap i32, setSize B i32, cluster B i32, chosen mCap i32. */
export interface SampleSlot { rows: number; subsets: number; setSize: number; cluster: number; chosen: number }

/** Byte offsets (all 64-byte aligned) of every region; plain numbers so it can be posted to workers. */
export interface Layout {
  params: LayoutParams;
  /** first byte used (above the module's static data) */
  base: number;
  /** total bytes needed and 64 KiB pages */
  bytes: number;
  pages: number;
  /** xoshiro128** states: sampler, kmeans (4×u32 each) */
  rngSample: number;
  rngKmeans: number;
  /** per-part stats: 64 bytes each (i32[0] = labels changed) */
  stats: number;
  codes: number;
  labels: number;
  dist: number;
  centroids: number;
  weights: number;
  panel: number;
  cn: number;
  /** cluster sizes after the last relabel/assign (k i32) */
  counts: number;
  /** Sculley per-centre counts (k i32) */
  onlineCounts: number;
  offsets: number;
  members: number;
  cursor: number;
  seen: number;
  /** parts × k×d f64, stride sumsStride bytes */
  sums: number;
  sumsStride: number;
  /** parts × k i32, stride partCountsStride bytes */
  partCounts: number;
  partCountsStride: number;
  /** n f64 (0 when not reserved) */
  d2: number;
  /** Hamerly bounds (n f32 each, weighted, unsquared): to the assigned centre, and to every other centre */
  upper: number;
  lower: number;
  /** centroids the bounds refer to (k×d f32), and their drift since (32 bytes, see boundsDrift) */
  bcent: number;
  drift: number;
  /** per-thread kernel scratch: parts + 1 slots (one per assign part, the last for writes), stride scratchStride */
  scratch: number;
  scratchStride: number;
  writeSlots: WriteSlot[];
  sampleSlots: SampleSlot[];
  /** knn (0 when knnK is 0): the whole store as a weighted "centre" panel (ceil(n/4)·d·16 bytes) and its norms,
   *  and the output, n×knnK i32 neighbour rows and f32 squared distances. Scratch comes from the assign slots. */
  knnPanel: number;
  knnCn: number;
  knnIdx: number;
  knnDist: number;
  /** n i32: labels the spectral task computes (adopted on the main thread, never read by the sampler) */
  knnLabels: number;
  /** when graphRows < n: the subsample's store rows (graphRows i32) and codes (graphRows×d f32); else 0 */
  subRows: number;
  subCodes: number;
  /** graphRows i32: the graph rule's labels of its base rows (a subsample's, before the vote) */
  subLabels: number;
  ivf: IvfRegions;
}

/** Largest K the knn kernel fits into one assign scratch slot (4 lists of K × 8 bytes in 256 + 128·12 bytes). */
export const MAX_KNN_K = 56;

export const PAGE = 65536;
/** wasm32 limit: 65536 pages = 4 GiB */
export const MAX_PAGES = 65536;

/** Bytes of kernel scratch one thread needs (assignScratchBytes in assembly/distance.ts). */
export function scratchBytes(d: number): number {
  return d * 64 + 256 + 128 * 12;
}

/** Plan the memory map. base: the module's heapBase() (the layout starts at the next 64 KiB boundary). A map above
 *  wasm32's 4 GiB is an error naming the sizes, unless `check` is false (to report its size). */
export function planLayout(params: LayoutParams, base: number, check = true): Layout {
  const { n, d, k, parts, batchCap, mCap, ring, kmeansPP } = params;
  let p = Math.ceil(Math.max(base, 1024) / PAGE) * PAGE;
  const start = p;
  const take = (bytes: number): number => {
    const r = p;
    p += Math.ceil(Math.max(bytes, 1) / 64) * 64;
    return r;
  };
  const G = Math.ceil(k / 4);
  const rngSample = take(16);
  const rngKmeans = take(16);
  const stats = take(64 * Math.max(parts, 1));
  const codes = take(n * d * 4);
  const labels = take(n * 4);
  const dist = take(n * 4);
  const centroids = take(k * d * 4);
  const weights = take(d * 4);
  const panel = take(G * d * 16);
  const cn = take(G * 16);
  const counts = take(k * 4);
  const onlineCounts = take(k * 4);
  const offsets = take((k + 1) * 4);
  const members = take(n * 4);
  const cursor = take(k * 4);
  const seen = take(k * 4);
  const sumsStride = Math.ceil((k * d * 8) / 64) * 64;
  const sums = take(sumsStride * parts);
  const partCountsStride = Math.ceil((k * 4) / 64) * 64;
  const partCounts = take(partCountsStride * parts);
  const d2 = kmeansPP ? take(n * 8) : 0;
  const upper = take(n * 4);
  const lower = take(n * 4);
  const bcent = take(k * d * 4);
  const drift = take(32);
  const scratchStride = Math.ceil(scratchBytes(d) / 64) * 64;
  const scratch = take(scratchStride * (parts + 1));
  const writeSlots: WriteSlot[] = [];
  const sampleSlots: SampleSlot[] = [];
  for (let s = 0; s < ring; s++) {
    writeSlots.push({ rows: take(batchCap * 4), codes: take(batchCap * d * 4), blabels: take(batchCap * 4), bdist: take(batchCap * 4) });
    sampleSlots.push({ rows: take(batchCap * 4), subsets: take(batchCap * mCap * 4), setSize: take(batchCap * 4), cluster: take(batchCap * 4), chosen: take(mCap * 4) });
  }
  const K = params.knnK ?? 0;
  if (K > MAX_KNN_K) throw new Error(`cluster: knn needs K <= ${MAX_KNN_K}; got ${K}`);
  const R = K ? Math.min(n, params.graphRows ?? n) : 0;
  const Gn = Math.ceil(R / 4);
  // the exact search's panel, and the IVF's base in cell order, at different times
  const knnPanel = K ? take(Gn * d * 16) : 0;
  const knnCn = K ? take(Gn * 16) : 0;
  const knnIdx = K ? take(R * K * 4) : 0;
  const knnDist = K ? take(R * K * 4) : 0;
  const knnLabels = K ? take(n * 4) : 0;
  const subRows = K && R < n ? take(R * 4) : 0;
  const subCodes = K && R < n ? take(R * d * 4) : 0;
  const subLabels = K ? take(R * 4) : 0;
  const C = K ? params.cells ?? 0 : 0;
  const Gc = Math.ceil(C / 4);
  // ivfScratchBytes (assembly/ivf.ts) for probe ≤ cells, votes over k labels, lists of up to max(K, VOTE_K) rows
  const ivfStride = Math.ceil((64 + C * 8 + Math.max(K, 64) * 8 + k * 8) / 64) * 64;
  const ivf: IvfRegions = C ? {
    cent: take(C * d * 4), panel: take(Gc * d * 16), cn: take(Gc * 16), offsets: take((C + 1) * 4), cursor: take(C * 4),
    counts: take(C * 4), partCounts: take(C * 4), sums: take(C * d * 8), cell: take(R * 4), sorted: take(R * d * 4), dist: take(R * 4),
    members: take(R * 4), scratch: take(ivfStride * (parts + 1)), scratchStride: ivfStride,
  } : { cent: 0, panel: 0, cn: 0, offsets: 0, cursor: 0, counts: 0, partCounts: 0, sums: 0, cell: 0, sorted: 0, dist: 0, members: 0, scratch: 0, scratchStride: 0 };
  const bytes = p;
  const pages = Math.ceil(bytes / PAGE);
  if (check && pages > MAX_PAGES) {
    throw new Error(`cluster: shared memory would need ${(bytes / 2 ** 30).toFixed(2)} GiB (n=${n}, d=${d}, k=${k}, graph rows ${R}); wasm32 allows 4 GiB`);
  }
  return {
    params, base: start, bytes, pages, rngSample, rngKmeans, stats, codes, labels, dist, centroids, weights, panel, cn,
    counts, onlineCounts, offsets, members, cursor, seen, sums, sumsStride, partCounts, partCountsStride, d2,
    upper, lower, bcent, drift, scratch, scratchStride, writeSlots, sampleSlots, knnPanel, knnCn, knnIdx, knnDist, knnLabels,
    subRows, subCodes, subLabels, ivf,
  };
}

/** Typed-array views of the big regions over one memory buffer (views, never copies). */
export interface LayoutViews {
  codes: Float32Array;
  labels: Int32Array;
  dist: Float32Array;
  centroids: Float32Array;
  weights: Float32Array;
  counts: Int32Array;
  onlineCounts: Int32Array;
  offsets: Int32Array;
  members: Int32Array;
  seen: Int32Array;
  rngSample: Uint32Array;
  rngKmeans: Uint32Array;
  upper: Float32Array;
  lower: Float32Array;
}

export function layoutViews(L: Layout, buffer: ArrayBufferLike): LayoutViews {
  const { n, d, k } = L.params;
  return {
    codes: new Float32Array(buffer, L.codes, n * d),
    labels: new Int32Array(buffer, L.labels, n),
    dist: new Float32Array(buffer, L.dist, n),
    centroids: new Float32Array(buffer, L.centroids, k * d),
    weights: new Float32Array(buffer, L.weights, d),
    counts: new Int32Array(buffer, L.counts, k),
    onlineCounts: new Int32Array(buffer, L.onlineCounts, k),
    offsets: new Int32Array(buffer, L.offsets, k + 1),
    members: new Int32Array(buffer, L.members, n),
    seen: new Int32Array(buffer, L.seen, k),
    rngSample: new Uint32Array(buffer, L.rngSample, 4),
    rngKmeans: new Uint32Array(buffer, L.rngKmeans, 4),
    upper: new Float32Array(buffer, L.upper, n),
    lower: new Float32Array(buffer, L.lower, n),
  };
}

/** A copy of the engine state in the views (the cluster index is rebuilt from the labels on restore). */
export function snapshotViews(v: LayoutViews): EngineSnapshot {
  const rng = new Uint32Array(8);
  rng.set(v.rngSample, 0); rng.set(v.rngKmeans, 4);
  return {
    codes: v.codes.slice(), labels: v.labels.slice(), dist: v.dist.slice(), centroids: v.centroids.slice(),
    counts: v.counts.slice(), onlineCounts: v.onlineCounts.slice(), rng,
  };
}

/** Write a snapshot (of an engine with the same shape, see checkSnapshot) into the views. */
export function restoreViews(v: LayoutViews, s: EngineSnapshot): void {
  v.codes.set(s.codes); v.labels.set(s.labels); v.dist.set(s.dist); v.centroids.set(s.centroids);
  v.counts.set(s.counts); v.onlineCounts.set(s.onlineCounts);
  v.rngSample.set(s.rng.subarray(0, 4)); v.rngKmeans.set(s.rng.subarray(4, 8));
}

/** Row ranges [lo, hi) splitting n rows into `parts` near-equal pieces (multiples of 4 where possible). */
export function rowRanges(n: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const per = Math.ceil(n / parts / 4) * 4;
  for (let lo = 0; lo < n; lo += per) out.push([lo, Math.min(n, lo + per)]);
  return out;
}
