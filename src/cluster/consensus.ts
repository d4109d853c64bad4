// Consensus of several KMeans fits (evidence accumulation): the final labels at k = classes are a KMeans
// partition of the examples by how often the fits put them together, instead of the one fit with the lowest
// inertia. Why: KMeans on a spectral embedding lands in different local optima from fit to fit, and the lowest
// inertia is a weak guide to which one matches the classes (a split of one class by slant can cost as little as
// the split between two classes). Pairs that most fits keep together are the stable part of the structure.
//
// Each example i is the row h_i = [onehot(l_1(i)) … onehot(l_M(i))] / √M (M fits, k labels each; M·k columns),
// so ‖h_i − h_j‖² = 2·(1 − fraction of fits that put i and j together). KMeans on these rows is done without
// forming them: a centre is M per-fit label histograms (M·k values), and h_i·μ_c needs only the M entries that
// i's labels pick, so a distance costs M reads instead of M·k.
import { Rng } from '../util/rng.js';

export interface ConsensusResult {
  labels: Int32Array;
  /** Σ_i ‖h_i − μ_label(i)‖², in the units above (0 when every fit agrees, up to renaming) */
  inertia: number;
}

/**
 * KMeans (k-means++ start, Lloyd steps until no label changes, at most `iters`) on the fits' co-membership
 * rows; the best of `restarts` starts by inertia. fits: M label arrays of length n, labels in [0, kIn).
 */
export function consensusLabels(fits: Int32Array[], n: number, kIn: number, k: number, opts: { restarts: number; iters: number; rng: Rng }): ConsensusResult {
  const M = fits.length;
  if (M < 1) throw new Error('consensus: needs at least one fit');
  if (!(k >= 1 && k <= n)) throw new Error(`consensus: k must be in [1, n]; got k=${k}, n=${n}`);
  for (const f of fits) if (f.length !== n) throw new Error(`consensus: every fit needs ${n} labels`);
  // L[i·M + m] = m·kIn + label of i in fit m: the column of h_i that fit m sets
  const L = new Int32Array(n * M);
  for (let m = 0; m < M; m++) {
    const f = fits[m];
    for (let i = 0; i < n; i++) {
      const l = f[i];
      if (!(l >= 0 && l < kIn)) throw new Error(`consensus: fit ${m} has label ${l} at row ${i}, outside [0, ${kIn})`);
      L[i * M + m] = m * kIn + l;
    }
  }
  const W = M * kIn;
  let best: ConsensusResult | null = null;
  for (let r = 0; r < Math.max(1, opts.restarts); r++) {
    const res = lloyd(L, n, M, W, k, opts.iters, opts.rng);
    if (!best || res.inertia < best.inertia) best = res;
  }
  return best!;
}

/** ‖h_i − μ_c‖²·M = M·(‖h_i‖² + ‖μ_c‖² − 2 h_i·μ_c) with ‖h_i‖² = 1: centre c as M histograms (cen, W wide, sums
 *  of member rows' one-hots divided by the count), cn = ‖μ_c‖²·M. Kept in "agreement" units to save the divisions. */
function dist(L: Int32Array, i: number, M: number, cen: Float64Array, c: number, W: number, cn: number): number {
  let dot = 0;
  const o = c * W, li = i * M;
  for (let m = 0; m < M; m++) dot += cen[o + L[li + m]];
  return (M + cn - 2 * dot) / M;
}

function lloyd(L: Int32Array, n: number, M: number, W: number, k: number, iters: number, rng: Rng): ConsensusResult {
  const cen = new Float64Array(k * W), cn = new Float64Array(k);
  const setRow = (c: number, i: number): void => { // centre c := h_i (in histogram units: one hit per fit)
    cen.fill(0, c * W, c * W + W);
    for (let m = 0; m < M; m++) cen[c * W + L[i * M + m]] = 1;
    cn[c] = M;
  };
  // k-means++: first centre uniform, then each next one with probability ∝ squared distance to the nearest
  const d2 = new Float64Array(n).fill(Infinity);
  setRow(0, rng.below(n));
  for (let c = 1; c <= k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) { const d = Math.max(0, dist(L, i, M, cen, c - 1, W, cn[c - 1])); if (d < d2[i]) d2[i] = d; total += d2[i]; }
    if (c === k) break;
    let pick = n - 1;
    if (total > 0) {
      let u = rng.nextFloat() * total;
      for (let i = 0; i < n; i++) { u -= d2[i]; if (u < 0) { pick = i; break; } }
    } else pick = rng.below(n);
    setRow(c, pick);
  }
  const labels = new Int32Array(n).fill(-1), counts = new Int32Array(k);
  let inertia = 0;
  for (let it = 0; it <= iters; it++) {
    // assign
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < n; i++) {
      let bc = 0, bd = Infinity;
      for (let c = 0; c < k; c++) { const d = dist(L, i, M, cen, c, W, cn[c]); if (d < bd) { bd = d; bc = c; } }
      if (labels[i] !== bc) { labels[i] = bc; changed++; }
      inertia += Math.max(0, bd);
    }
    if (changed === 0 || it === iters) break;
    // update: each centre is the mean of its rows; an emptied centre keeps its place
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[labels[i]]++;
    for (let c = 0; c < k; c++) if (counts[c] > 0) cen.fill(0, c * W, c * W + W);
    for (let i = 0; i < n; i++) {
      const o = labels[i] * W;
      for (let m = 0; m < M; m++) cen[o + L[i * M + m]] += 1;
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue;
      const o = c * W, inv = 1 / counts[c];
      let s = 0;
      for (let w = 0; w < W; w++) { cen[o + w] *= inv; s += cen[o + w] * cen[o + w]; }
      cn[c] = s;
    }
  }
  return { labels, inertia };
}
