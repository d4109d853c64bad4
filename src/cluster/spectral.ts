// Spectral embedding of the stored codes (cluster.embed = "spectral"): KMeans then runs on the rows of the top
// eigenvectors of a k-nearest-neighbour graph's normalised affinity instead of on the codes themselves
// (Ng, Jordan & Weiss 2001), with self-tuning edge weights (Zelnik-Manor & Perona 2004). KMeans on raw codes
// cuts the code space into convex cells; the graph follows the manifold the classes lie on, which is what the
// pseudo-labels need. Plain TypeScript on the calling thread, typed arrays throughout: O(n²·d) for the graph
// (brute-force neighbours), O(iters · dims · n·K) for the eigenvectors.
import { Rng } from '../util/rng.js';
import { kmeansFit } from './kmeans.js';
import { consensusLabels } from './consensus.js';
import { knn } from './neighbours.js';
import type { Neighbours } from './types.js';

export interface SpectralOptions {
  /** neighbours per row in the graph (K) */
  neighbors: number;
  /** eigenvectors kept = columns of the embedding */
  dims: number;
  /** per-dimension weights of the squared distance (null: all 1) */
  weights: Float32Array | null;
  /** subspace-iteration steps */
  iters: number;
  /** seed of the random start block */
  seed: number;
}

/** Symmetric normalised affinity S = D^-½ W D^-½ in CSR form (n+1 offsets, cols, vals), W the kNN graph made
 *  symmetric (an edge if either row lists the other), w_ij = exp(−d²_ij / (σ_i σ_j)), σ_i = distance to the
 *  K-th neighbour (floored so duplicate points do not divide by zero). Also returns √degree. */
export function affinity(n: number, K: number, nb: Neighbours): { offsets: Int32Array; cols: Int32Array; vals: Float64Array; sqrtDeg: Float64Array } {
  const sigma = new Float64Array(n);
  let mean = 0;
  for (let i = 0; i < n; i++) { sigma[i] = Math.sqrt(nb.dist[i * K + K - 1]); mean += sigma[i] / n; }
  const floor = Math.max(mean * 1e-3, 1e-12);
  for (let i = 0; i < n; i++) sigma[i] = Math.max(sigma[i], floor);
  // both directions of every listed edge, then sort by (row, col) and merge duplicates
  const E = n * K * 2;
  const er = new Int32Array(E), ec = new Int32Array(E), ew = new Float64Array(E);
  let e = 0;
  for (let i = 0; i < n; i++) for (let q = 0; q < K; q++) {
    const j = nb.idx[i * K + q];
    const wij = Math.exp(-nb.dist[i * K + q] / (sigma[i] * sigma[j]));
    er[e] = i; ec[e] = j; ew[e++] = wij;
    er[e] = j; ec[e] = i; ew[e++] = wij;
  }
  const order = Int32Array.from({ length: E }, (_, t) => t).sort((a, b) => er[a] - er[b] || ec[a] - ec[b]);
  const offsets = new Int32Array(n + 1), cols = new Int32Array(E), vals = new Float64Array(E);
  let m = 0;
  for (let t = 0; t < E; t++) {
    const a = order[t];
    if (m > 0 && t > 0 && er[order[t - 1]] === er[a] && ec[order[t - 1]] === ec[a]) { vals[m - 1] = Math.max(vals[m - 1], ew[a]); continue; }
    cols[m] = ec[a]; vals[m] = ew[a]; offsets[er[a] + 1]++; m++;
  }
  for (let i = 0; i < n; i++) offsets[i + 1] += offsets[i];
  const sqrtDeg = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = 0; for (let p = offsets[i]; p < offsets[i + 1]; p++) s += vals[p]; sqrtDeg[i] = Math.sqrt(Math.max(s, 1e-300)); }
  for (let i = 0; i < n; i++) for (let p = offsets[i]; p < offsets[i + 1]; p++) vals[p] /= sqrtDeg[i] * sqrtDeg[cols[p]];
  return { offsets, cols: cols.subarray(0, m), vals: vals.subarray(0, m), sqrtDeg };
}

/** Orthonormalise the p columns of Q (n×p, row-major: row i's p values are contiguous) in place.
 *  CholeskyQR2: G = QᵀQ (p×p) in one pass over the rows, G = RᵀR, Q ← Q·R⁻¹ in a second pass; twice, which
 *  brings the columns to orthonormal in f64 whenever cond(Q) ≪ 1e8 (Yamamoto et al. 2015). It streams Q twice
 *  per round, where Gram–Schmidt walks one strided column per pair of columns (p²/2 passes over memory once Q
 *  outgrows the caches). If a pivot vanishes (columns
 *  nearly dependent, e.g. a random start that is rank-deficient) it falls back to modified Gram–Schmidt. */
export function orthonormalise(Q: Float64Array, n: number, p: number, rng: Rng): void {
  const G = new Float64Array(p * p), x = new Float64Array(p);
  for (let round = 0; round < 2; round++) {
    G.fill(0);
    for (let i = 0, o = 0; i < n; i++, o += p) {
      for (let a = 0; a < p; a++) { const qa = Q[o + a]; for (let b = a; b < p; b++) G[a * p + b] += qa * Q[o + b]; }
    }
    // upper-triangular R with G = RᵀR, stored in G's upper triangle; the diagonal of R is inverted in place
    let maxDiag = 0;
    for (let a = 0; a < p; a++) maxDiag = Math.max(maxDiag, G[a * p + a]);
    for (let a = 0; a < p; a++) {
      let s = G[a * p + a];
      for (let c = 0; c < a; c++) s -= G[c * p + a] * G[c * p + a];
      if (!(s > 1e-12 * maxDiag)) { gramSchmidt(Q, n, p, rng); return; }
      const r = Math.sqrt(s);
      G[a * p + a] = r;
      for (let b = a + 1; b < p; b++) {
        let t = G[a * p + b];
        for (let c = 0; c < a; c++) t -= G[c * p + a] * G[c * p + b];
        G[a * p + b] = t / r;
      }
    }
    // each row q ← q·R⁻¹: forward substitution x·R = q
    for (let i = 0, o = 0; i < n; i++, o += p) {
      for (let c = 0; c < p; c++) {
        let s = Q[o + c];
        for (let a = 0; a < c; a++) s -= x[a] * G[a * p + c];
        x[c] = s / G[c * p + c];
      }
      for (let c = 0; c < p; c++) Q[o + c] = x[c];
    }
  }
}

/** Modified Gram–Schmidt, run twice per column (Kahan), on the columns of Q (n×p row-major) in place; a column
 *  that vanishes is replaced by a fresh random one. The fallback of orthonormalise for nearly dependent columns. */
function gramSchmidt(Q: Float64Array, n: number, p: number, rng: Rng): void {
  for (let a = 0; a < p; a++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let b = 0; b < a; b++) {
        let dot = 0;
        for (let i = 0, o = 0; i < n; i++, o += p) dot += Q[o + a] * Q[o + b];
        for (let i = 0, o = 0; i < n; i++, o += p) Q[o + a] -= dot * Q[o + b];
      }
    }
    let nrm = 0;
    for (let i = 0, o = 0; i < n; i++, o += p) nrm += Q[o + a] * Q[o + a];
    nrm = Math.sqrt(nrm);
    if (nrm < 1e-10) { for (let i = 0; i < n; i++) Q[i * p + a] = rng.nextFloat() - 0.5; a--; continue; }
    const inv = 1 / nrm;
    for (let i = 0, o = 0; i < n; i++, o += p) Q[o + a] *= inv;
  }
}

/** Eigen-decomposition of a symmetric p×p matrix (row-major, destroyed) by cyclic Jacobi rotations. Returns the
 *  eigenvalues and the eigenvectors as columns of V (row-major p×p). */
export function jacobiEigen(A: Float64Array, p: number): { values: Float64Array; V: Float64Array } {
  const V = new Float64Array(p * p);
  for (let i = 0; i < p; i++) V[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += A[i * p + j] ** 2;
    if (off < 1e-22) break;
    for (let r = 0; r < p; r++) for (let c = r + 1; c < p; c++) {
      const arc = A[r * p + c];
      if (Math.abs(arc) < 1e-300) continue;
      // the rotation that zeroes A[r][c]: tan(2θ) = 2a_rc / (a_cc − a_rr), the smaller root for stability
      const theta = (A[c * p + c] - A[r * p + r]) / (2 * arc);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const cs = 1 / Math.sqrt(t * t + 1), sn = t * cs;
      for (let k = 0; k < p; k++) { // A ← A·G (columns r, c)
        const akr = A[k * p + r], akc = A[k * p + c];
        A[k * p + r] = cs * akr - sn * akc; A[k * p + c] = sn * akr + cs * akc;
      }
      for (let k = 0; k < p; k++) { // A ← Gᵀ·A (rows r, c)
        const ark = A[r * p + k], ack = A[c * p + k];
        A[r * p + k] = cs * ark - sn * ack; A[c * p + k] = sn * ark + cs * ack;
      }
      for (let k = 0; k < p; k++) {
        const vkr = V[k * p + r], vkc = V[k * p + c];
        V[k * p + r] = cs * vkr - sn * vkc; V[k * p + c] = sn * vkr + cs * vkc;
      }
    }
  }
  return { values: Float64Array.from({ length: p }, (_, i) => A[i * p + i]), V };
}

/** Rows of the symmetric graph S in breadth-first order (each component from its lowest unvisited row,
 *  neighbours in stored order): perm[r] is the original row placed at r. */
function bfsOrder(offsets: Int32Array, cols: Int32Array, n: number): Int32Array {
  const perm = new Int32Array(n), seen = new Uint8Array(n);
  let head = 0, tail = 0;
  for (let root = 0; root < n; root++) {
    if (seen[root]) continue;
    seen[root] = 1; perm[tail++] = root;
    while (head < tail) {
      const i = perm[head++];
      for (let q = offsets[i]; q < offsets[i + 1]; q++) { const j = cols[q]; if (!seen[j]) { seen[j] = 1; perm[tail++] = j; } }
    }
  }
  return perm;
}

/** S with its rows and columns renumbered: new row r is old row perm[r]. */
function permuteRows(S: { offsets: Int32Array; cols: Int32Array; vals: Float64Array }, n: number, perm: Int32Array): { offsets: Int32Array; cols: Int32Array; vals: Float64Array } {
  const pos = new Int32Array(n);
  for (let r = 0; r < n; r++) pos[perm[r]] = r;
  const offsets = new Int32Array(n + 1), cols = new Int32Array(S.cols.length), vals = new Float64Array(S.vals.length);
  let m = 0;
  for (let r = 0; r < n; r++) {
    const i = perm[r];
    for (let q = S.offsets[i]; q < S.offsets[i + 1]; q++) { cols[m] = pos[S.cols[q]]; vals[m++] = S.vals[q]; }
    offsets[r + 1] = m;
  }
  return { offsets, cols, vals };
}

export interface EigenOptions {
  /** eigenvectors wanted (columns of U) */
  dims: number;
  /** subspace-iteration steps */
  iters: number;
  /** seed of the random start block */
  seed: number;
  /** the textbook iteration (the data's own row order, Gram–Schmidt) that tests and benchmarks hold the default
   *  one against (default false) */
  plain?: boolean;
}

/**
 * The top `dims` eigenvectors of S (the largest eigenvalues; the first is √degree up to sign, eigenvalue 1) by
 * subspace iteration on (S + I)/2, whose spectrum is S's shifted into [0, 1] so that "largest" is also "largest in
 * magnitude", with a few extra columns for convergence and Rayleigh–Ritz at the end. S is n×n in CSR form.
 * Returns U (n×dims, row-major) and the eigenvalues of S, descending.
 */
export function topEigenvectors(S: { offsets: Int32Array; cols: Int32Array; vals: Float64Array }, n: number, o: EigenOptions): { U: Float64Array; values: Float64Array } {
  const { dims, iters, seed, plain = false } = o;
  const p = Math.min(n, dims + Math.max(4, Math.ceil(dims / 2)));
  const rng = new Rng(seed);
  // Q and Z are n×p row-major, so each stored edge of S updates p contiguous values
  // Rows are renumbered in breadth-first order of the graph, so that a row's neighbours mostly sit a few rows
  // away: each product S·Q fetches one row of Q per stored edge, and in the data's own (shuffled) order every
  // fetch is a cache miss once Q outgrows the caches.
  // The start block is drawn in the original order and permuted, so the result does not depend on the order.
  const perm = plain ? Int32Array.from({ length: n }, (_, i) => i) : bfsOrder(S.offsets, S.cols, n);
  const ortho = plain ? gramSchmidt : orthonormalise;
  const { offsets, cols, vals } = permuteRows(S, n, perm);
  let Q = new Float64Array(n * p), Z = new Float64Array(n * p);
  for (let i = 0; i < Q.length; i++) Z[i] = rng.nextFloat() - 0.5;
  for (let r = 0; r < n; r++) Q.set(Z.subarray(perm[r] * p, perm[r] * p + p), r * p);
  ortho(Q, n, p, rng);
  const acc = new Float64Array(p);
  const apply = (src: Float64Array, dst: Float64Array): void => { // dst = (S + I)/2 · src
    for (let i = 0; i < n; i++) {
      const o = i * p;
      for (let a = 0; a < p; a++) acc[a] = src[o + a];
      const q1 = offsets[i + 1];
      for (let q = offsets[i]; q < q1; q++) {
        const v = vals[q], oj = cols[q] * p;
        for (let a = 0; a < p; a++) acc[a] += v * src[oj + a];
      }
      for (let a = 0; a < p; a++) dst[o + a] = 0.5 * acc[a];
    }
  };
  for (let it = 0; it < iters; it++) {
    apply(Q, Z);
    [Q, Z] = [Z, Q];
    // (S + I)/2 has its spectrum in [0, 1], so a few steps between orthonormalisations lose nothing in f64; the
    // Gram–Schmidt (p²·n) would otherwise cost more than the p sparse products
    if (it % 4 === 3 || it === iters - 1) ortho(Q, n, p, rng);
  }
  // Rayleigh–Ritz: H = Qᵀ S Q (p×p), eigenvectors Y, Ritz vectors Q·Y
  apply(Q, Z);
  const H = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let a = 0; a < p; a++) { const qa = Q[o + a]; for (let b = 0; b < p; b++) H[a * p + b] += qa * Z[o + b]; }
  }
  for (let a = 0; a < p; a++) for (let b = a + 1; b < p; b++) { const m = 0.5 * (H[a * p + b] + H[b * p + a]); H[a * p + b] = m; H[b * p + a] = m; }
  const { values, V } = jacobiEigen(H, p);
  const order = Array.from({ length: p }, (_, i) => i).sort((a, b) => values[b] - values[a]).slice(0, dims);
  const U = new Float64Array(n * dims);
  for (let i = 0; i < n; i++) {
    const o = i * p;
    for (let c = 0; c < dims; c++) {
      const y = order[c];
      let s = 0;
      for (let a = 0; a < p; a++) s += Q[o + a] * V[a * p + y];
      U[perm[i] * dims + c] = s;
    }
  }
  return { U, values: Float64Array.from(order, (y) => 2 * values[y] - 1) };
}

/** The embedding KMeans runs on: rows of the top eigenvectors, each scaled to unit length (Ng–Jordan–Weiss),
 *  n×dims f32. */
export function spectralEmbedding(codes: Float32Array, n: number, d: number, o: SpectralOptions, nb?: Neighbours): Float32Array {
  const K = Math.min(o.neighbors, n - 1);
  if (nb && nb.idx.length !== n * K) throw new Error(`spectral: got ${nb.idx.length / n} neighbours per row, expected ${K}`);
  const S = affinity(n, K, nb ?? knn(codes, n, d, K, o.weights));
  const dims = Math.min(o.dims, n);
  const { U } = topEigenvectors(S, n, { dims, iters: o.iters, seed: o.seed });
  const out = new Float32Array(n * dims);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < dims; c++) s += U[i * dims + c] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < dims; c++) out[i * dims + c] = U[i * dims + c] * inv;
  }
  return out;
}

/** `o.count` single k-means++ KMeans fits (drawing from o.rng) on the embedding above, of which a consensus is
 *  taken (consensus.ts); several graphs' fits can be pooled into one consensus. */
export function spectralFits(codes: Float32Array, n: number, d: number, k: number, o: SpectralOptions & { count: number; rng: Rng }, nb?: Neighbours): Int32Array[] {
  const { count, rng } = o;
  const E = spectralEmbedding(codes, n, d, o, nb);
  const dims = E.length / n;
  return Array.from({ length: count }, () => kmeansFit(E, n, dims, { k, weights: null, iters: 100, rng }).labels);
}

/** Pseudo-labels by spectral clustering of the codes: the embedding above, then the best of `fits` k-means++
 *  KMeans fits on it (lowest inertia in the embedding), or, with `consensus` > 0, the consensus of that many
 *  single fits (./consensus.ts). */
export function spectralLabels(codes: Float32Array, n: number, d: number, k: number, o: SpectralOptions & { fits: number; consensus?: number }, nb?: Neighbours): Int32Array {
  const rng = new Rng(o.seed ^ 0x5bd1e995);
  if (o.consensus && o.consensus > 0) {
    const fits = spectralFits(codes, n, d, k, { ...o, count: o.consensus, rng }, nb);
    return consensusLabels(fits, n, k, k, { restarts: 5, iters: 100, rng }).labels;
  }
  const E = spectralEmbedding(codes, n, d, o, nb);
  const dims = E.length / n;
  let best: { inertia: number; labels: Int32Array } | null = null;
  for (let r = 0; r < Math.max(1, o.fits); r++) {
    const f = kmeansFit(E, n, dims, { k, weights: null, iters: 100, rng });
    if (!best || f.inertia < best.inertia) best = f;
  }
  return best!.labels;
}
