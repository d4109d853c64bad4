// The full eigen-decomposition of a dense symmetric matrix, for the PCA of pixels (d = 784) and of hidden units
// (d = 512). Why not the cyclic Jacobi of spectral.ts: each Jacobi sweep costs about 6·d³ multiply-adds and it
// needs several sweeps; Householder reduction to tridiagonal form plus implicit QR steps costs about
// (4/3 + 2/3)·d³ for the reduction with its transform and ~3·d³ for the rotations, once. Plain TypeScript, f64. The eigenvectors are kept as rows while they are built (W = Vᵀ), so every rotation and every
// reflection touches two or more contiguous rows instead of strided columns.

/**
 * Eigenvalues and eigenvectors of a symmetric p×p matrix A (row-major; destroyed). Returns the same shape as
 * jacobiEigen: values (p, in no particular order) and V (row-major p×p) whose column j is the unit eigenvector of
 * values[j]. Throws if the QR iteration does not converge (it converges for every finite symmetric input; the
 * guard is 30 steps per eigenvalue).
 */
export function symmetricEigen(A: Float64Array, p: number): { values: Float64Array; V: Float64Array } {
  if (A.length !== p * p) throw new Error(`eigen: expected ${p}×${p} = ${p * p} entries; got ${A.length}`);
  const W = new Float64Array(p * p); // W = Qᵀ, then Zᵀ: row j is eigenvector j
  for (let i = 0; i < p; i++) W[i * p + i] = 1;
  const d = new Float64Array(p), e = new Float64Array(Math.max(0, p - 1));
  tridiagonalise(A, p, W, d, e);
  implicitQr(d, e, p, W);
  const V = new Float64Array(p * p);
  for (let j = 0; j < p; j++) for (let i = 0; i < p; i++) V[i * p + j] = W[j * p + i];
  return { values: d, V };
}

/** A = Q·T·Qᵀ by p − 2 Householder reflections H_k = I − 2vvᵀ, each zeroing column k below its subdiagonal.
 *  Writes T's diagonal to d and its off-diagonal to e (e[i] = T[i][i+1]) and left-multiplies W by each H_k,
 *  so W ends as Qᵀ·W. A is overwritten. */
function tridiagonalise(A: Float64Array, p: number, W: Float64Array, d: Float64Array, e: Float64Array): void {
  const v = new Float64Array(p), q = new Float64Array(p), u = new Float64Array(p);
  for (let k = 0; k + 2 < p; k++) {
    const m = p - k - 1; // the trailing block A[k+1:, k+1:] is m×m; x = A[k+1:, k]
    let xx = 0;
    for (let a = 0; a < m; a++) { const x = A[(k + 1 + a) * p + k]; v[a] = x; xx += x * x; }
    const nx = Math.sqrt(xx);
    if (nx === 0) continue; // the column is already reduced
    // H·x = alpha·e₁ with alpha of the sign opposite to x₀, so v = x − alpha·e₁ does not cancel
    const alpha = v[0] > 0 ? -nx : nx;
    v[0] -= alpha;
    let vv = 0;
    for (let a = 0; a < m; a++) vv += v[a] * v[a];
    const inv = 1 / Math.sqrt(vv);
    for (let a = 0; a < m; a++) v[a] *= inv;
    // H·B·H = B − 2(v·wᵀ + w·vᵀ) for the trailing block B, with q = B·v and w = q − (vᵀq)·v
    let K = 0;
    for (let a = 0; a < m; a++) {
      const o = (k + 1 + a) * p + k + 1;
      let s = 0;
      for (let b = 0; b < m; b++) s += A[o + b] * v[b];
      q[a] = s; K += v[a] * s;
    }
    for (let a = 0; a < m; a++) q[a] -= K * v[a];
    for (let a = 0; a < m; a++) {
      const o = (k + 1 + a) * p + k + 1, va = 2 * v[a], qa = 2 * q[a];
      for (let b = 0; b < m; b++) A[o + b] -= va * q[b] + qa * v[b];
    }
    A[(k + 1) * p + k] = alpha; A[k * p + k + 1] = alpha;
    for (let a = 1; a < m; a++) { A[(k + 1 + a) * p + k] = 0; A[k * p + k + 1 + a] = 0; }
    // W ← H·W on rows k+1…p−1: u = vᵀ·W[k+1:, :], then W[k+1+a, :] −= 2·v[a]·u
    u.fill(0);
    for (let a = 0; a < m; a++) { const o = (k + 1 + a) * p, va = v[a]; if (va !== 0) for (let t = 0; t < p; t++) u[t] += va * W[o + t]; }
    for (let a = 0; a < m; a++) { const o = (k + 1 + a) * p, va = 2 * v[a]; if (va !== 0) for (let t = 0; t < p; t++) W[o + t] -= va * u[t]; }
  }
  for (let i = 0; i < p; i++) d[i] = A[i * p + i];
  for (let i = 0; i + 1 < p; i++) e[i] = A[i * p + i + 1];
}

/** Diagonalises the symmetric tridiagonal (d, e) by implicit QR steps with Wilkinson shifts (chasing the bulge
 *  with Givens rotations), deflating off-diagonals that fall below f64 precision. Each rotation G on (k, k+1)
 *  is applied as T ← Gᵀ·T·G and W ← Gᵀ·W, so W's rows end as the eigenvectors of the matrix W started from. */
function implicitQr(d: Float64Array, e: Float64Array, p: number, W: Float64Array): void {
  const small = (i: number): boolean => Math.abs(e[i]) <= 1e-16 * (Math.abs(d[i]) + Math.abs(d[i + 1])) || Math.abs(e[i]) < 1e-300;
  let hi = p - 1, steps = 0;
  while (hi > 0) {
    if (small(hi - 1)) { e[hi - 1] = 0; hi--; continue; }
    let lo = hi - 1;
    while (lo > 0 && !small(lo - 1)) lo--;
    if (lo > 0) e[lo - 1] = 0;
    if (++steps > 30 * p) throw new Error(`eigen: QR iteration did not converge after ${steps - 1} steps (p = ${p})`);
    // Wilkinson's shift: the eigenvalue of the trailing 2×2 block nearer to its last diagonal entry
    const delta = (d[hi - 1] - d[hi]) / 2, b = e[hi - 1];
    const mu = d[hi] - (b * b) / (delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, b));
    let x = d[lo] - mu, z = e[lo], bulge = 0;
    for (let k = lo; k < hi; k++) {
      if (k > lo) { x = e[k - 1]; z = bulge; }
      const r = Math.hypot(x, z);
      const c = r === 0 ? 1 : x / r, s = r === 0 ? 0 : -z / r; // Gᵀ·(x, z) = (r, 0)
      if (k > lo) e[k - 1] = r;
      const a = d[k], bb = e[k], dd = d[k + 1], cs = c * s;
      d[k] = a * c * c - 2 * bb * cs + dd * s * s;
      d[k + 1] = a * s * s + 2 * bb * cs + dd * c * c;
      e[k] = (a - dd) * cs + bb * (c * c - s * s);
      if (k + 1 < hi) { bulge = -s * e[k + 1]; e[k + 1] *= c; }
      const ok = k * p, ok1 = ok + p;
      for (let t = 0; t < p; t++) {
        const wk = W[ok + t], wk1 = W[ok1 + t];
        W[ok + t] = c * wk - s * wk1; W[ok1 + t] = s * wk + c * wk1;
      }
    }
  }
}
