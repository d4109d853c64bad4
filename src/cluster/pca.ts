// Principal components of n×d feature rows, for the final re-clustering of wide features (eval.codes = "hidden":
// H = 512 ReLU units per x). Why: exact neighbours cost O(n²·d), so at 60,000 rows 512 dimensions take minutes
// where the top 64 components take seconds, and Euclidean distances in the top components are the closest
// m-dimensional approximation of the full ones (Eckart–Young). Plain TypeScript, f64 accumulation.
import { symmetricEigen } from './eigen.js';

export interface Pca {
  /** d: the mean row (f64) */
  mean: Float64Array;
  /** d×m row-major: the top m principal directions as orthonormal columns, by decreasing variance */
  basis: Float64Array;
  /** m: the variance along each direction (per row, 1/rows normalisation) */
  variances: Float64Array;
  /** the share of the total variance the m directions hold, in [0, 1] */
  explained: number;
}

/**
 * The top m principal directions of rows X (n×d, row-major f32), from the covariance of at most `sample` rows
 * (every ⌈n/sample⌉-th row, so the estimate is deterministic; the full covariance costs n·d² multiply-adds,
 * 16·10⁹ at 60,000 × 512). The eigen-decomposition is Householder tridiagonalisation plus implicit QR on the d×d
 * covariance (d ≤ 1,024; eigen.ts says why not Jacobi).
 */
export function pcaFit(X: Float32Array, n: number, d: number, m: number, sample = 20000): Pca {
  if (!(m >= 1 && m <= d)) throw new Error(`pca: components must be in [1, ${d}]; got ${m}`);
  if (d > 1024) throw new Error(`pca: at most 1,024 dimensions (the d×d eigen-solver is O(d³)); got ${d}`);
  const { mean, C } = covariance(X, n, d, sample);
  let total = 0;
  for (let a = 0; a < d; a++) total += C[a * d + a];
  const { values, V } = symmetricEigen(C, d);
  const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[b] - values[a]);
  const basis = new Float64Array(d * m), variances = new Float64Array(m);
  let kept = 0;
  for (let c = 0; c < m; c++) {
    const e = order[c];
    variances[c] = Math.max(0, values[e]);
    kept += variances[c];
    for (let t = 0; t < d; t++) basis[t * m + c] = V[t * d + e];
  }
  return { mean, basis, variances, explained: total > 0 ? kept / total : 1 };
}

/** The mean (d) and the full symmetric covariance (d×d, row-major, 1/rows normalisation) of every
 *  ⌈n/sample⌉-th row of X (n×d). Exported for the eigen-solver benchmark. */
export function covariance(X: Float32Array, n: number, d: number, sample = 20000): { mean: Float64Array; C: Float64Array } {
  const stride = Math.max(1, Math.ceil(n / sample));
  const rows: number[] = [];
  for (let i = 0; i < n; i += stride) rows.push(i);
  const r = rows.length;
  const mean = new Float64Array(d);
  for (const i of rows) for (let t = 0; t < d; t++) mean[t] += X[i * d + t] / r;
  // upper triangle of Σ (x − μ)(x − μ)ᵀ / r, one centred row at a time
  const C = new Float64Array(d * d), xc = new Float64Array(d);
  for (const i of rows) {
    for (let t = 0; t < d; t++) xc[t] = X[i * d + t] - mean[t];
    for (let a = 0; a < d; a++) {
      const va = xc[a] / r;
      if (va === 0) continue; // dead ReLU units are common: their rows and columns stay 0
      const o = a * d;
      for (let b = a; b < d; b++) C[o + b] += va * xc[b];
    }
  }
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) C[b * d + a] = C[a * d + b];
  return { mean, C };
}

/** Rows X (n×d) in the fit's m principal coordinates: (x − μ)·basis, n×m f32. */
export function pcaProject(p: Pca, X: Float32Array, n: number, d: number): Float32Array {
  const m = p.variances.length;
  if (p.mean.length !== d) throw new Error(`pca: the fit has ${p.mean.length} dimensions, the rows ${d}`);
  const out = new Float32Array(n * m), acc = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    acc.fill(0);
    for (let t = 0; t < d; t++) {
      const v = X[i * d + t] - p.mean[t];
      if (v === 0) continue;
      const o = t * m;
      for (let c = 0; c < m; c++) acc[c] += v * p.basis[o + c];
    }
    for (let c = 0; c < m; c++) out[i * m + c] = acc[c];
  }
  return out;
}
