// Plain TypeScript KMeans over n×d f32 rows: the production fit of the graph embeddings and the oracle that the
// SIMD kernels in assembly/ are checked against (each routine here has a twin there that follows the same steps).
//
// The routines over (codes, n, d, centroids, k, …) keep positional parameters: they are inner kernels over typed
// arrays, called once per pass with the same shapes as their wasm twins, so an options object would only hide that
// correspondence.
import type { Rng } from '../util/rng.js';

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

/** k distinct rows as centroids (partial Fisher–Yates over row ids), k <= n: the cheap seeding of benchmark
 *  engines that skip the initial fit (PoolOptions.skipInitialFit). */
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
 * Take labels from elsewhere (a graph relabel clusters an embedding, not the codes): st.labels ← labels,
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
  /** draws of the k-means++ seeding (unused with a warm start) */
  rng: Rng;
  /** warm start: k×d centroids to start from (copied) instead of k-means++ seeding */
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
 * KMeans on codes (n×d): k-means++ seeding (or a warm start), up to `iters` Lloyd steps, then a final assignment with
 * empty clusters re-seeded, so labels are consistent with the returned centroids (except re-seeded centres,
 * which sit on their single row). Needs 1 <= k <= n.
 */
export function kmeansFit(codes: Float32Array, n: number, d: number, opts: KMeansFitOptions): KMeansFitResult {
  const { k, weights, iters, rng } = opts;
  if (!(k >= 1 && k <= n)) throw new Error(`kmeansFit: k must be in [1, n]; got k=${k}, n=${n}`);
  const centroids = new Float32Array(k * d);
  if (opts.centroids) centroids.set(opts.centroids.subarray(0, k * d));
  else kmeansPlusPlus(codes, n, d, k, weights, rng, centroids);
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

/** The lowest-inertia of `fits` k-means++ KMeans fits (50 Lloyd steps each) of n×d codes under weights (d; null:
 *  all 1), drawing from rng: n labels. The final rule without an embedding, on a pool worker or this thread. */
export function bestKmeans(codes: { rows: Float32Array; n: number; d: number }, k: number, weights: Float32Array | null, fits: number, rng: Rng): Int32Array {
  let best: KMeansFitResult | null = null;
  for (let r = 0; r < fits; r++) {
    const f = kmeansFit(codes.rows, codes.n, codes.d, { k, weights, iters: 50, rng });
    if (!best || f.inertia < best.inertia) best = f;
  }
  return best!.labels;
}
