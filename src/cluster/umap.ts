// Pseudo-labels by a UMAP-style layout of the codes' neighbour graph, then a Gaussian mixture on the layout
// (cluster.embed = "umap"; the recipe of McConville et al.'s N2D: autoencoder codes → UMAP → GMM). Why: the
// spectral embedding keeps the graph's slow modes, and KMeans on it lands in different partitions from fit to
// fit; the layout instead pulls each code towards its neighbours and pushes it from random others until the
// classes are compact, well-separated blobs, on which a mixture finds the same partition from any start.
// Written from the UMAP paper (McInnes, Healy & Melville 2018), not from its code: fuzzy kNN graph, spectral
// start, SGD with negative sampling.
// Plain TypeScript, typed arrays; O(n·K·epochs·(1 + negatives)·dims) for the layout.
import { Rng } from '../util/rng.js';
import { kmeansFit } from './kmeans.js';
import { gmmFit } from './gmm.js';
import { consensusLabels } from './consensus.js';
import { topEigenvectors } from './spectral.js';
import type { Neighbours } from './types.js';

/** Symmetric fuzzy neighbour graph in CSR form (rows sorted, both directions of every edge stored). */
export interface FuzzyGraph { offsets: Int32Array; cols: Int32Array; vals: Float64Array }

/**
 * The fuzzy union of the n local neighbourhoods (K neighbours each; nb.dist are squared distances):
 * w_ij = exp(−max(0, d_ij − ρ_i)/σ_i) with ρ_i the distance to i's nearest neighbour (at a distance > 0) and σ_i
 * chosen by bisection so that Σ_j w_ij = log₂ K; then W = A + Aᵀ − A∘Aᵀ (an edge is in the union if either end
 * lists it). Each point is thereby connected with weight 1 to its nearest neighbour whatever the local density.
 */
export function fuzzyGraph(n: number, K: number, nb: Neighbours): FuzzyGraph {
  const target = Math.log2(K);
  const d = new Float64Array(K);
  let meanDist = 0;
  for (let t = 0; t < n * K; t++) meanDist += Math.sqrt(nb.dist[t]!) / (n * K);
  const er = new Int32Array(2 * n * K), ec = new Int32Array(2 * n * K), ew = new Float64Array(2 * n * K);
  let e = 0;
  for (let i = 0; i < n; i++) {
    let rho = 0;
    for (let q = 0; q < K; q++) { d[q] = Math.sqrt(nb.dist[i * K + q]!); if (rho === 0 && d[q]! > 0) rho = d[q]!; }
    let lo = 0, hi = Infinity, sigma = 1;
    for (let step = 0; step < 64; step++) {
      let s = 0;
      for (let q = 0; q < K; q++) s += Math.exp(-Math.max(0, d[q]! - rho) / sigma);
      if (Math.abs(s - target) < 1e-5) break;
      if (s > target) { hi = sigma; sigma = (lo + hi) / 2; } else { lo = sigma; sigma = hi === Infinity ? sigma * 2 : (lo + hi) / 2; }
    }
    sigma = Math.max(sigma, 1e-3 * meanDist, 1e-12); // a point among duplicates would otherwise get σ → 0
    for (let q = 0; q < K; q++) {
      const j = nb.idx[i * K + q]!;
      const w = Math.exp(-Math.max(0, d[q]! - rho) / sigma);
      er[e] = i; ec[e] = j; ew[e++] = w;
      er[e] = j; ec[e] = i; ew[e++] = w;
    }
  }
  // sort by (row, col): at (i, j) the entry i listed (forward) and the one j listed (backward) meet
  const order = Int32Array.from({ length: e }, (_, t) => t).sort((a, b) => er[a]! - er[b]! || ec[a]! - ec[b]!);
  const offsets = new Int32Array(n + 1), cols = new Int32Array(e), vals = new Float64Array(e);
  let m = 0;
  for (let t = 0; t < e; t++) {
    const a = order[t]!;
    if (m > 0 && t > 0 && er[order[t - 1]!] === er[a] && ec[order[t - 1]!] === ec[a]) {
      // the same pair from the other end: fuzzy union a + b − ab (a pair is listed at most once per end)
      const prev = vals[m - 1]!;
      vals[m - 1] = prev + ew[a]! - prev * ew[a]!;
      continue;
    }
    cols[m] = ec[a]!; vals[m] = ew[a]!; offsets[er[a]! + 1]++; m++;
  }
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i]!;
  return { offsets, cols: cols.slice(0, m), vals: vals.slice(0, m) };
}

/** The curve 1/(1 + a·d^2b) that the layout fits to its similarities, for min_dist = 0 and spread 1 (a least-
 *  squares fit of exp(−d) on d ∈ [0, 3]): how strongly near points attract. */
export const CURVE = { a: 1.9328, b: 0.7905 } as const;

export interface LayoutOptions {
  /** dimensions of the layout */
  dims: number;
  /** SGD epochs over the graph */
  epochs: number;
  /** negative samples per positive one */
  negatives: number;
  /** subspace-iteration steps of the spectral start */
  eigenIters: number;
  seed: number;
}

/**
 * An n×dims layout (row-major f64) of the fuzzy graph. Start: the graph's top non-trivial eigenvectors of
 * D^-½ W D^-½, each column scaled to [0, 10]. Then SGD, learning rate 1 → 0 linearly: edge (i, j) of weight w is
 * visited every w_max/w epochs (edges below w_max/epochs never); a visit moves i and j together along the
 * gradient of log(1/(1 + a‖y_i − y_j‖^2b)) and moves i away from `negatives` uniformly drawn points along the
 * gradient of log(1 − 1/(1 + a‖y_i − y_k‖^2b)), each coordinate step clipped to ±4.
 */
export function umapLayout(g: FuzzyGraph, n: number, o: LayoutOptions): Float64Array {
  const p = o.dims, { a, b } = CURVE;
  const Y = spectralStart(g, n, p, o.eigenIters, o.seed);
  const rng = new Rng(o.seed ^ 0x2545f491);
  // the edge list with its sampling schedule
  const E = g.cols.length;
  let wMax = 0;
  for (let t = 0; t < E; t++) wMax = Math.max(wMax, g.vals[t]!);
  const head = new Int32Array(E), tail = new Int32Array(E), every = new Float64Array(E), next = new Float64Array(E);
  let m = 0;
  for (let i = 0; i < n; i++) {
    for (let q = g.offsets[i]!; q < g.offsets[i + 1]!; q++) {
      const w = g.vals[q]!;
      if (w < wMax / o.epochs) continue;
      head[m] = i; tail[m] = g.cols[q]!; every[m] = wMax / w; next[m] = wMax / w; m++;
    }
  }
  for (let ep = 0; ep < o.epochs; ep++) {
    const lr = 1 - ep / o.epochs;
    for (let t = 0; t < m; t++) {
      if (next[t]! > ep + 1) continue;
      next[t] += every[t]!;
      const i = head[t]! * p, j = tail[t]! * p;
      let d2 = 0;
      for (let c = 0; c < p; c++) { const v = Y[i + c]! - Y[j + c]!; d2 += v * v; }
      if (d2 > 0) {
        // d2^(b−1) = d2^b / d2: one power per edge visit, taken as exp(b·ln d2), which V8 evaluates faster than
        // Math.pow; this is the layout's innermost loop
        const pb = Math.exp(b * Math.log(d2));
        const coef = (-2 * a * b * pb) / (d2 * (1 + a * pb));
        for (let c = 0; c < p; c++) {
          const gc = clip4(coef * (Y[i + c]! - Y[j + c]!)) * lr;
          Y[i + c] += gc; Y[j + c] -= gc;
        }
      }
      for (let s = 0; s < o.negatives; s++) {
        const kq = rng.below(n);
        if (kq === head[t]) continue;
        const k = kq * p;
        let e2 = 0;
        for (let c = 0; c < p; c++) { const v = Y[i + c]! - Y[k + c]!; e2 += v * v; }
        // two points on top of each other push apart at the clip (the gradient is unbounded there)
        const coef = e2 > 0 ? (2 * b) / ((0.001 + e2) * (1 + a * Math.exp(b * Math.log(e2)))) : 0;
        for (let c = 0; c < p; c++) Y[i + c] += (e2 > 0 ? clip4(coef * (Y[i + c]! - Y[k + c]!)) : 4) * lr;
      }
    }
  }
  return Y;
}

function clip4(v: number): number { return v > 4 ? 4 : v < -4 ? -4 : v; }

/** The layout's start: eigenvectors 2…p+1 of D^-½ W D^-½ (the first is √degree), each column scaled to [0, 10]. */
function spectralStart(g: FuzzyGraph, n: number, p: number, iters: number, seed: number): Float64Array {
  const deg = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let q = g.offsets[i]!; q < g.offsets[i + 1]!; q++) deg[i] += g.vals[q]!;
  const vals = new Float64Array(g.vals.length);
  for (let i = 0; i < n; i++) {
    for (let q = g.offsets[i]!; q < g.offsets[i + 1]!; q++) vals[q] = g.vals[q]! / Math.sqrt(Math.max(deg[i]! * deg[g.cols[q]!]!, 1e-300));
  }
  const q = Math.min(p + 1, n);
  const { U } = topEigenvectors({ offsets: g.offsets, cols: g.cols, vals }, n, { dims: q, iters, seed });
  const Y = new Float64Array(n * p);
  for (let c = 0; c < p; c++) {
    const src = Math.min(c + 1, q - 1);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < n; i++) { const v = U[i * q + src]!; if (v < lo) lo = v; if (v > hi) hi = v; }
    const span = hi - lo > 0 ? hi - lo : 1;
    for (let i = 0; i < n; i++) Y[i * p + c] = (10 * (U[i * q + src]! - lo)) / span;
  }
  return Y;
}

export interface UmapLabelOptions {
  /** neighbours per code in the graph */
  neighbors: number;
  /** layout dimensions */
  dims: number;
  epochs: number;
  /** subspace-iteration steps of the layout's spectral start */
  eigenIters: number;
  /** layouts from different seeds; with more than one, the labels are the consensus of their partitions */
  layouts: number;
  /** mixture fits per layout, each from its own k-means++ KMeans fit; the highest likelihood wins */
  fits: number;
  seed: number;
}

/**
 * Pseudo-labels at k: fuzzy graph of the neighbours → `layouts` layouts (seeds seed, seed + 1, …) → on each, the
 * most likely of `fits` Gaussian mixtures → the consensus of those partitions (./consensus.ts) when layouts > 1.
 * Why several layouts: the SGD lands in different layouts from seed to seed, and a layout can fuse two classes
 * into one blob, where even the most likely mixture is wrong; no likelihood within one layout can see that, a vote
 * across layouts does.
 */
export function umapLabels(n: number, k: number, o: UmapLabelOptions, nb: Neighbours): Int32Array {
  const K = Math.min(o.neighbors, n - 1);
  if (nb.idx.length !== n * K) throw new Error(`umap: got ${nb.idx.length / n} neighbours per row, expected ${K}`);
  const graph = fuzzyGraph(n, K, nb);
  const rng = new Rng(o.seed ^ 0x5bd1e995);
  const parts: Int32Array[] = [];
  for (let l = 0; l < Math.max(1, o.layouts); l++) {
    const Y = umapLayout(graph, n, { dims: o.dims, epochs: o.epochs, negatives: 5, eigenIters: o.eigenIters, seed: o.seed + l });
    const Yf = Float32Array.from(Y);
    let best: { logLik: number; labels: Int32Array } | null = null;
    for (let r = 0; r < Math.max(1, o.fits); r++) {
      const init = kmeansFit(Yf, n, o.dims, { k, weights: null, iters: 100, rng }).labels;
      const f = gmmFit(Y, n, o.dims, k, { init, iters: 200, tol: 1e-6, reg: 1e-4 });
      if (!best || f.logLik > best.logLik) best = f;
    }
    parts.push(best!.labels);
  }
  return parts.length === 1 ? parts[0]! : consensusLabels(parts, n, k, k, { restarts: 5, iters: 100, rng }).labels;
}
