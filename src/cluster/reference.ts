// Plain TypeScript code store, KMeans and same-cluster sampler: the test oracle for the SIMD kernels and the
// fallback engine where WebAssembly SIMD or SharedArrayBuffer is missing. Typed arrays only; every routine
// here has a twin in assembly/ that follows the same algorithm (and, where stated, the same random draws).

import type { EngineSnapshot, ClusterEngine, ClusterEngineOptions, RelabelOptions, RelabelResult, SubsetBatch } from './engine.js';

// ───────────────────────────────────────── PRNG ─────────────────────────────────────────
// The one PRNG of the project lives in util/rng.ts (the wasm sampler in assembly/rng.ts follows it draw for draw).
export { Rng, splitmix32, deriveSeed, fillNormal } from '../util/rng.js';
import { Rng, deriveSeed, fillNormal } from '../util/rng.js';

/** Random streams the engines draw from (fixed so that runs are reproducible from one root seed). */
export const STREAM = { initCodes: 1, kmeans: 2, sample: 3 } as const;

// ─────────────────────────────────────── distances ───────────────────────────────────────

/** Per-dimension weights for [z‖c] rows: d = dz+dc; w[j] = wz for j<dz, wc otherwise. */
export function dimWeights(dz: number, dc: number, wz: number, wc: number): Float32Array {
  const w = new Float32Array(dz + dc);
  w.fill(wz, 0, dz);
  w.fill(wc, dz);
  return w;
}

/** Weighted squared L2 between row i of a (n×d) and row j of b (k×d), in f64. */
export function sqDist(a: Float32Array, i: number, b: Float32Array, j: number, d: number, w: Float32Array | null): number {
  let s = 0;
  const ai = i * d, bj = j * d;
  if (w === null) {
    for (let t = 0; t < d; t++) {
      const e = a[ai + t] - b[bj + t];
      s += e * e;
    }
  } else {
    for (let t = 0; t < d; t++) {
      const e = a[ai + t] - b[bj + t];
      s += w[t] * e * e;
    }
  }
  return s;
}

/**
 * Brute-force nearest centre for each row. codes n×d, centroids k×d, weights d or null (all 1).
 * Ties go to the lowest centre index. Writes outLabels (n) and, if given, outDist (n, weighted sq. dist).
 * Returns the inertia (sum of weighted squared distances, f64).
 */
export function assign(
  codes: Float32Array, n: number, d: number,
  centroids: Float32Array, k: number,
  weightsPerDim: Float32Array | null,
  outLabels: Int32Array, outDist?: Float32Array,
): number {
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    let best = Infinity, bi = 0;
    for (let c = 0; c < k; c++) {
      const dd = sqDist(codes, i, centroids, c, d, weightsPerDim);
      if (dd < best) { best = dd; bi = c; }
    }
    outLabels[i] = bi;
    if (outDist) outDist[i] = best;
    inertia += best;
  }
  return inertia;
}

// ──────────────────────────────────────── KMeans ────────────────────────────────────────

/** k-means++ seeding (one candidate per step). Writes outCentroids (k×d). Needs n >= 1. */
export function kmeansPlusPlus(
  codes: Float32Array, n: number, d: number, k: number,
  weightsPerDim: Float32Array | null, rng: Rng, outCentroids: Float32Array,
): void {
  const d2 = new Float64Array(n);
  const first = rng.below(n);
  outCentroids.set(codes.subarray(first * d, first * d + d), 0);
  let total = 0;
  for (let i = 0; i < n; i++) { d2[i] = sqDist(codes, i, outCentroids, 0, d, weightsPerDim); total += d2[i]; }
  for (let c = 1; c < k; c++) {
    let pick: number;
    if (!(total > 0)) {
      pick = rng.below(n); // every point sits on a chosen centre: any row will do
    } else {
      const r = rng.nextFloat() * total;
      let acc = 0;
      pick = n - 1;
      for (let i = 0; i < n; i++) {
        acc += d2[i];
        if (acc > r) { pick = i; break; }
      }
    }
    outCentroids.set(codes.subarray(pick * d, pick * d + d), c * d);
    total = 0;
    for (let i = 0; i < n; i++) {
      const dd = sqDist(codes, i, outCentroids, c, d, weightsPerDim);
      if (dd < d2[i]) d2[i] = dd;
      total += d2[i];
    }
  }
}

/** "random" init: k distinct rows (partial Fisher–Yates over row ids), k <= n. */
export function randomInit(codes: Float32Array, n: number, d: number, k: number, rng: Rng, outCentroids: Float32Array): void {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  for (let c = 0; c < k; c++) {
    const j = c + rng.below(n - c);
    const t = ids[c]; ids[c] = ids[j]; ids[j] = t;
    outCentroids.set(codes.subarray(ids[c] * d, ids[c] * d + d), c * d);
  }
}

/** Cluster sizes from labels (n) into counts (k). */
export function countLabels(labels: Int32Array, n: number, k: number, counts: Int32Array): void {
  counts.fill(0, 0, k);
  for (let i = 0; i < n; i++) counts[labels[i]]++;
}

/**
 * Re-seed empty clusters: for each empty centre (ascending), take the row farthest from its own centre
 * (among rows whose cluster has > 1 member, ties → lowest row), move it there and put the centre on it.
 * Updates labels, dist (moved row → 0), counts and centroids. Returns how many clusters were re-seeded.
 */
export function reseedEmpty(
  codes: Float32Array, n: number, d: number, centroids: Float32Array, k: number,
  labels: Int32Array, dist: Float32Array, counts: Int32Array,
): number {
  let reseeded = 0;
  for (let c = 0; c < k; c++) {
    if (counts[c] !== 0) continue;
    let best = -1, bi = -1;
    for (let i = 0; i < n; i++) {
      if (counts[labels[i]] > 1 && dist[i] > best) { best = dist[i]; bi = i; }
    }
    if (bi < 0) break; // fewer rows than clusters: nothing left to move
    counts[labels[bi]]--;
    labels[bi] = c;
    counts[c] = 1;
    dist[bi] = 0;
    centroids.set(codes.subarray(bi * d, bi * d + d), c * d);
    reseeded++;
  }
  return reseeded;
}

/** Centroids = mean of their rows (f64 sums; sums is k×d scratch). Centres with no rows are left alone. */
export function updateMeans(
  codes: Float32Array, n: number, d: number, labels: Int32Array, k: number,
  counts: Int32Array, centroids: Float32Array, sums: Float64Array,
): void {
  sums.fill(0, 0, k * d);
  for (let i = 0; i < n; i++) {
    const o = labels[i] * d, r = i * d;
    for (let t = 0; t < d; t++) sums[o + t] += codes[r + t];
  }
  for (let c = 0; c < k; c++) {
    const cnt = counts[c];
    if (cnt === 0) continue;
    const o = c * d;
    for (let t = 0; t < d; t++) centroids[o + t] = sums[o + t] / cnt;
  }
}

/** Scratch and outputs of one Lloyd step / fit. */
export interface KMeansState {
  /** k×d f32 */ centroids: Float32Array;
  /** n i32 */ labels: Int32Array;
  /** n f32: weighted sq. distance of each row to its centre */ dist: Float32Array;
  /** k i32 cluster sizes */ counts: Int32Array;
}

/**
 * Take labels from elsewhere (cluster.embed = "spectral" clusters an embedding, not the codes): st.labels ← labels,
 * each non-empty cluster's centroid ← the mean of its codes (an empty one keeps its centroid), counts, and each
 * row's weighted squared distance to its centroid. Returns the inertia (f64 sum of those distances).
 */
export function adoptLabels(codes: Float32Array, n: number, d: number, k: number, labels: Int32Array, weights: Float32Array | null, st: KMeansState): number {
  const sums = new Float64Array(k * d);
  st.counts.fill(0, 0, k);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < k)) throw new Error(`cluster: label ${c} of row ${i} is outside [0, ${k})`);
    st.labels[i] = c;
    st.counts[c]++;
    for (let t = 0; t < d; t++) sums[c * d + t] += codes[i * d + t];
  }
  for (let c = 0; c < k; c++) {
    if (st.counts[c] === 0) continue;
    for (let t = 0; t < d; t++) st.centroids[c * d + t] = sums[c * d + t] / st.counts[c];
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const dd = sqDist(codes, i, st.centroids, st.labels[i], d, weights);
    st.dist[i] = dd;
    inertia += dd;
  }
  return inertia;
}

/** One Lloyd iteration: assign, re-seed empties, recompute means. Returns inertia (before the mean update),
 *  re-seeded clusters and how many labels changed. */
export function lloydStep(
  codes: Float32Array, n: number, d: number, k: number, w: Float32Array | null, st: KMeansState, sums: Float64Array,
): { inertia: number; reseeded: number; changed: number } {
  const prev = st.labels.slice(0, n);
  let inertia = assign(codes, n, d, st.centroids, k, w, st.labels, st.dist);
  countLabels(st.labels, n, k, st.counts);
  const moved = collectReseedLoss(st.dist, n);
  const reseeded = reseedEmpty(codes, n, d, st.centroids, k, st.labels, st.dist, st.counts);
  inertia -= moved - collectReseedLoss(st.dist, n);
  updateMeans(codes, n, d, st.labels, k, st.counts, st.centroids, sums);
  let changed = 0;
  for (let i = 0; i < n; i++) if (prev[i] !== st.labels[i]) changed++;
  return { inertia, reseeded, changed };
}

function collectReseedLoss(dist: Float32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += dist[i];
  return s;
}

export interface KMeansFitOptions {
  k: number;
  /** per-dimension weights (d) or null */
  weights: Float32Array | null;
  /** max Lloyd iterations (stops early once no label changes) */
  iters: number;
  init: 'kmeans++' | 'random';
  rng: Rng;
  /** warm start: k×d centroids to start from (copied); init is skipped */
  centroids?: Float32Array;
}

export interface KMeansFitResult extends KMeansState {
  inertia: number;
  /** clusters re-seeded over the whole fit */
  reseeded: number;
  /** Lloyd iterations actually run */
  iterations: number;
}

/**
 * KMeans on codes (n×d): init (or warm start), up to `iters` Lloyd steps, then a final assignment with
 * empty clusters re-seeded, so labels are consistent with the returned centroids (except re-seeded centres,
 * which sit on their single row). Needs 1 <= k <= n.
 */
export function kmeansFit(codes: Float32Array, n: number, d: number, opts: KMeansFitOptions): KMeansFitResult {
  const { k, weights, iters, init, rng } = opts;
  if (!(k >= 1 && k <= n)) throw new Error(`kmeansFit: k must be in [1, n]; got k=${k}, n=${n}`);
  const centroids = new Float32Array(k * d);
  if (opts.centroids) centroids.set(opts.centroids.subarray(0, k * d));
  else if (init === 'kmeans++') kmeansPlusPlus(codes, n, d, k, weights, rng, centroids);
  else randomInit(codes, n, d, k, rng, centroids);
  const st: KMeansState = { centroids, labels: new Int32Array(n).fill(-1), dist: new Float32Array(n), counts: new Int32Array(k) };
  const sums = new Float64Array(k * d);
  let reseeded = 0, iterations = 0;
  for (let it = 0; it < iters; it++) {
    const r = lloydStep(codes, n, d, k, weights, st, sums);
    reseeded += r.reseeded;
    iterations++;
    if (r.changed === 0 && r.reseeded === 0) break;
  }
  let inertia = assign(codes, n, d, centroids, k, weights, st.labels, st.dist);
  countLabels(st.labels, n, k, st.counts);
  const before = collectReseedLoss(st.dist, n);
  reseeded += reseedEmpty(codes, n, d, centroids, k, st.labels, st.dist, st.counts);
  inertia -= before - collectReseedLoss(st.dist, n);
  return { ...st, inertia, reseeded, iterations };
}

/**
 * Sculley mini-batch KMeans update with B fresh rows (batch B×d): assign every row to its nearest centre
 * first (outLabels B), then for each row in order: counts[c] += 1, η = 1/counts[c], c ← c + η·(x − c).
 * All arithmetic is f32 (Math.fround) so the SIMD kernel can be compared exactly. Returns the batch inertia.
 */
export function miniBatchUpdate(
  batch: Float32Array, B: number, d: number, centroids: Float32Array, k: number,
  w: Float32Array | null, counts: Int32Array, outLabels: Int32Array,
): number {
  const inertia = assign(batch, B, d, centroids, k, w, outLabels);
  const f = Math.fround;
  for (let b = 0; b < B; b++) {
    const c = outLabels[b];
    const cnt = ++counts[c];
    const eta = f(1 / cnt);
    const o = c * d, r = b * d;
    for (let t = 0; t < d; t++) centroids[o + t] = f(centroids[o + t] + f(eta * f(batch[r + t] - centroids[o + t])));
  }
  return inertia;
}

// ──────────────────────────────────── cluster index ────────────────────────────────────

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

// ─────────────────────────────────────── sampler ───────────────────────────────────────

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

// ─────────────────────────────────────── engine ───────────────────────────────────────

/** Validate engine options; errors name the field. Returns d = dz + dc. */
export function validateEngineOptions(o: ClusterEngineOptions): number {
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`cluster.${name} must be an integer >= ${min}; got ${v}`);
  };
  int(o.n, 'n', 1);
  int(o.dz, 'dz', 0);
  int(o.dc, 'dc', 0);
  int(o.k, 'k', 1);
  int(o.iters, 'iters', 0);
  int(o.batchSize, 'batchSize', 1);
  int(o.workers, 'workers', 0);
  if (o.dz + o.dc < 1) throw new Error('cluster: dz + dc must be >= 1');
  if (o.k > o.n) throw new Error(`cluster.k must be <= n (${o.n}); got ${o.k}`);
  if (!Number.isInteger(o.seed)) throw new Error(`cluster.seed must be an integer; got ${o.seed}`);
  if (!(o.weights.z >= 0) || !(o.weights.c >= 0) || !Number.isFinite(o.weights.z) || !Number.isFinite(o.weights.c))
    throw new Error(`cluster.weights.z and .c must be finite and >= 0; got ${o.weights.z}, ${o.weights.c}`);
  if (o.init !== 'kmeans++' && o.init !== 'random') throw new Error(`cluster.init must be "kmeans++" or "random"; got ${o.init}`);
  if (o.refit !== 'epoch' && o.refit !== 'online' && o.refit !== 'background') throw new Error(`cluster.refit must be "epoch", "online" or "background"; got ${o.refit}`);
  return o.dz + o.dc;
}

/** Validate one writeCodes call (B rows, B×d codes, rows in [0,n)). Returns B. */
export function checkWrite(rows: Int32Array, codes: Float32Array, n: number, d: number): number {
  const B = rows.length;
  if (codes.length !== B * d) throw new Error(`writeCodes: codes must have rows.length×${d} = ${B * d} floats; got ${codes.length}`);
  for (let b = 0; b < B; b++) if (!(rows[b] >= 0 && rows[b] < n)) throw new Error(`writeCodes: row ${rows[b]} out of [0, ${n})`);
  return B;
}

/** Validate one sample call. */
export function checkSample(rows: Int32Array, m: number, n: number): void {
  if (!Number.isInteger(m) || m < 1) throw new Error(`sample: m must be a positive integer; got ${m}`);
  for (let b = 0; b < rows.length; b++) if (!(rows[b] >= 0 && rows[b] < n)) throw new Error(`sample: row ${rows[b]} out of [0, ${n})`);
}

/** The plain TypeScript engine: everything runs synchronously on the caller's thread. */
export class ReferenceEngine implements ClusterEngine {
  readonly kind = 'reference';
  readonly n: number;
  readonly d: number;
  readonly k: number;
  /** n×d unweighted [z‖c] */
  readonly codes: Float32Array;
  readonly state: KMeansState;
  /** Sculley per-centre counts (reset to the cluster sizes at each relabel) */
  readonly onlineCounts: Int32Array;
  weights: Float32Array | null;
  index: ClusterIndex;
  private indexDirty = false;
  private readonly kmRng: Rng;
  private readonly sampleRng: Rng;
  private readonly seen: Int32Array;
  private waitMs = 0;
  private closed = false;

  /** Use createReferenceEngine(); this constructor takes codes and an already-fitted state. */
  constructor(readonly opts: ClusterEngineOptions, codes: Float32Array, state: KMeansState, kmRng: Rng) {
    this.d = validateEngineOptions(opts);
    this.n = opts.n;
    this.k = opts.k;
    this.codes = codes;
    this.state = state;
    const { z, c } = opts.weights;
    this.weights = z === 1 && c === 1 ? null : dimWeights(opts.dz, opts.dc, z, c);
    this.kmRng = kmRng;
    this.sampleRng = new Rng(deriveSeed(opts.seed, STREAM.sample));
    this.onlineCounts = state.counts.slice();
    this.index = buildClusterIndex(state.labels, this.k, this.n);
    this.seen = new Int32Array(this.k);
  }

  private live(): void {
    if (this.closed) throw new Error('ClusterEngine is closed');
  }

  writeCodes(rows: Int32Array, codes: Float32Array): void {
    this.live();
    const t0 = performance.now();
    const B = checkWrite(rows, codes, this.n, this.d);
    const d = this.d;
    for (let b = 0; b < B; b++) this.codes.set(codes.subarray(b * d, b * d + d), rows[b] * d);
    if (this.opts.refit === 'online') {
      const lab = new Int32Array(B);
      miniBatchUpdate(codes, B, d, this.state.centroids, this.k, this.weights, this.onlineCounts, lab);
      for (let b = 0; b < B; b++) this.state.labels[rows[b]] = lab[b];
      this.indexDirty = true;
    }
    this.waitMs += performance.now() - t0;
  }

  async assignLabels(labels: Int32Array, dimWeights?: Float32Array): Promise<RelabelResult> {
    this.live();
    const t0 = performance.now();
    if (labels.length !== this.n) throw new Error(`cluster: assignLabels got ${labels.length} labels, expected n=${this.n}`);
    if (dimWeights) this.weights = dimWeights.slice();
    const inertia = adoptLabels(this.codes, this.n, this.d, this.k, labels, this.weights, this.state);
    this.onlineCounts.set(this.state.counts);
    this.index = buildClusterIndex(this.state.labels, this.k, this.n, this.index);
    this.indexDirty = false;
    return { labels: this.state.labels.slice(), sizes: this.state.counts.slice(), inertia, reseeded: 0, ms: performance.now() - t0 };
  }

  async relabel(ro: RelabelOptions = {}): Promise<RelabelResult> {
    this.live();
    const t0 = performance.now();
    if (ro.dimWeights) {
      if (ro.dimWeights.length !== this.d) throw new Error(`cluster: dimWeights has ${ro.dimWeights.length} values, expected d=${this.d}`);
      this.weights = ro.dimWeights.slice();
    }
    const common = { k: this.k, weights: this.weights, iters: this.opts.iters, rng: this.kmRng };
    // Candidates: the warm start from the previous centroids, then fresh k-means++ fits; lowest inertia wins.
    let fit = ro.warmStart === false ? null : kmeansFit(this.codes, this.n, this.d, { ...common, init: this.opts.init, centroids: this.state.centroids });
    const fresh = (ro.restarts ?? 0) + (fit ? 0 : 1);
    for (let r = 0; r < fresh; r++) {
      const f = kmeansFit(this.codes, this.n, this.d, { ...common, init: 'kmeans++' });
      if (!fit || f.inertia < fit.inertia) fit = f;
    }
    fit = fit!;
    this.state.centroids.set(fit.centroids);
    this.state.labels.set(fit.labels);
    this.state.dist.set(fit.dist);
    this.state.counts.set(fit.counts);
    this.onlineCounts.set(fit.counts);
    this.index = buildClusterIndex(this.state.labels, this.k, this.n, this.index);
    this.indexDirty = false;
    const ms = performance.now() - t0;
    return { labels: fit.labels.slice(), sizes: fit.counts.slice(), inertia: fit.inertia, reseeded: fit.reseeded, ms };
  }

  async sample(rows: Int32Array, m: number, includeSelf: boolean, shareD: boolean): Promise<SubsetBatch> {
    this.live();
    const t0 = performance.now();
    checkSample(rows, m, this.n);
    if (this.indexDirty) {
      this.index = buildClusterIndex(this.state.labels, this.k, this.n, this.index);
      this.indexDirty = false;
    }
    const out = sampleSubsets(rows, this.state.labels, this.index, this.k, m, includeSelf, shareD, this.sampleRng, undefined, this.seen);
    this.waitMs += performance.now() - t0;
    return out;
  }

  async readCodes(): Promise<Float32Array> {
    this.live();
    return this.codes.slice();
  }

  async labels(): Promise<Int32Array> {
    this.live();
    return this.state.labels.slice();
  }

  async snapshot(): Promise<EngineSnapshot> {
    this.live();
    const st = this.state;
    const rng = new Uint32Array(8);
    rng.set(this.sampleRng.s, 0); rng.set(this.kmRng.s, 4);
    return {
      codes: this.codes.slice(), labels: st.labels.slice(), dist: st.dist.slice(), centroids: st.centroids.slice(),
      counts: st.counts.slice(), onlineCounts: this.onlineCounts.slice(), rng,
    };
  }

  async restore(s: EngineSnapshot): Promise<void> {
    this.live();
    checkSnapshot(s, this.n, this.d, this.k);
    this.codes.set(s.codes);
    this.state.labels.set(s.labels); this.state.dist.set(s.dist); this.state.centroids.set(s.centroids);
    this.state.counts.set(s.counts); this.onlineCounts.set(s.onlineCounts);
    this.sampleRng.s.set(s.rng.subarray(0, 4)); this.kmRng.s.set(s.rng.subarray(4, 8));
    this.index = buildClusterIndex(this.state.labels, this.k, this.n, this.index);
    this.indexDirty = false;
  }

  takeWaitMs(): number {
    const w = this.waitMs;
    this.waitMs = 0;
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A snapshot must come from an engine of the same shape; the message names the first field that differs. */
export function checkSnapshot(s: EngineSnapshot, n: number, d: number, k: number): void {
  const want: Array<[keyof EngineSnapshot, number]> = [
    ['codes', n * d], ['labels', n], ['dist', n], ['centroids', k * d], ['counts', k], ['onlineCounts', k], ['rng', 8],
  ];
  for (const [f, len] of want) {
    if (!s[f] || s[f].length !== len) throw new Error(`cluster: snapshot field ${f} has ${s[f]?.length ?? 0} values, expected ${len} (n=${n}, d=${d}, k=${k})`);
  }
}

/** Initial codes: n×d N(0,1) from the root seed's initCodes stream (shared by every engine kind). */
export function initialCodes(opts: ClusterEngineOptions): Float32Array {
  const d = opts.dz + opts.dc;
  const codes = new Float32Array(opts.n * d);
  fillNormal(new Rng(deriveSeed(opts.seed, STREAM.initCodes)), codes);
  return codes;
}

/** Reference engine: every code drawn from N(0,1), then KMeans initialised with those codes and fitted. */
export async function createReferenceEngine(opts: ClusterEngineOptions): Promise<ReferenceEngine> {
  const d = validateEngineOptions(opts);
  const codes = initialCodes(opts);
  const { z, c } = opts.weights;
  const w = z === 1 && c === 1 ? null : dimWeights(opts.dz, opts.dc, z, c);
  const kmRng = new Rng(deriveSeed(opts.seed, STREAM.kmeans));
  const fit = kmeansFit(codes, opts.n, d, { k: opts.k, weights: w, iters: opts.iters, init: opts.init, rng: kmRng });
  return new ReferenceEngine(opts, codes, { centroids: fit.centroids, labels: fit.labels, dist: fit.dist, counts: fit.counts }, kmRng);
}
