// How much each code dimension counts in the clustering distance, decided afresh before every relabel
// (cluster.weighting): d²(a, b) = Σ_j w_j (a_j − b_j)², w_j = part weight (z or c), times, for mi, the
// dimension's rate over its variance.
import type { Config } from '../config.js';

export interface WeightContext {
  /** the epoch that just finished (1-based) and the planned number of epochs */
  epoch: number;
  epochs: number;
  /** n×d stored codes [z‖c] (for per-dimension variances) */
  codes: Float32Array;
  n: number;
  dz: number;
  dc: number;
  /** d: mean KL per dimension over the last epoch, nats (null before the first epoch) */
  rates: Float32Array | null;
  /** the latest evaluation's mean ‖∂L/∂z‖ and ‖∂L/∂c‖ (null if none yet) */
  grad: { z: number; c: number } | null;
}

export interface DimWeights {
  /** d per-dimension weights */
  w: Float32Array;
  /** the part weights that went into them (logged as cluster/wz, cluster/wc) */
  wz: number;
  wc: number;
}

/** Per-dimension variance of the stored codes. */
export function dimVariance(codes: Float32Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d), m2 = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += codes[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) { const e = codes[i * d + j] - mean[j]; m2[j] += e * e; }
  for (let j = 0; j < d; j++) m2[j] /= Math.max(1, n - 1);
  return m2;
}

export function clusterDimWeights(c: Config['cluster'], x: WeightContext): DimWeights {
  const d = x.dz + x.dc;
  // 1. part weights
  let wz = c.weights.z, wc = c.weights.c;
  if (c.weighting === 'anneal') {
    // linear from `from` (epoch 1) to `to` (epoch anneal.epochs, default the last), then held
    const span = (c.anneal.epochs || x.epochs) - 1;
    const t = span > 0 ? Math.min(1, (x.epoch - 1) / span) : 1;
    wz = c.anneal.from.z + t * (c.anneal.to.z - c.anneal.from.z);
    wc = c.anneal.from.c + t * (c.anneal.to.c - c.anneal.from.c);
  } else if (c.weighting === 'gradient' && x.grad && x.grad.z + x.grad.c > 0) {
    // the part the loss is more sensitive to counts more; equal sensitivity gives 1 and 1
    wz = (2 * x.grad.z) / (x.grad.z + x.grad.c);
    wc = (2 * x.grad.c) / (x.grad.z + x.grad.c);
  }
  // 2. per-dimension scale (mi): unit variance, a dead dimension weight 0
  const w = new Float32Array(d);
  const variance = c.weighting === 'mi' ? dimVariance(x.codes, x.n, d) : null;
  // 3. information: each dimension's rate relative to the mean rate (mi weighting)
  let meanRate = 0;
  if (c.weighting === 'mi' && x.rates) { for (let j = 0; j < d; j++) meanRate += x.rates[j]; meanRate /= d; }
  for (let j = 0; j < d; j++) {
    let v = j < x.dz ? wz : wc;
    if (variance) v *= variance[j] > 1e-12 ? 1 / variance[j] : 0;
    if (c.weighting === 'mi' && x.rates && meanRate > 0) v *= Math.max(0, x.rates[j]) / meanRate;
    w[j] = v;
  }
  return { w, wz, wc };
}
