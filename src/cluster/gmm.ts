// A Gaussian mixture with full covariances, fitted by EM: the last step of cluster.embed = "umap". KMeans
// cuts a low-dimensional layout into convex cells of about equal spread, while the classes there are blobs of
// different sizes and shapes (an elongated 1, a round 0); a mixture with its own covariance per component
// follows them. Plain TypeScript, f64 arithmetic, typed arrays; n×p points with p small (the layout's ≤ 32).

export interface GmmResult {
  /** n labels: the component of highest responsibility */
  labels: Int32Array;
  /** Σ_i log p(x_i) under the fitted mixture, nats */
  logLik: number;
  /** EM iterations run */
  iterations: number;
}

export interface GmmOptions {
  /** n starting labels in [0, k) (e.g. a KMeans fit): the first M step starts from them */
  init: Int32Array;
  /** at most this many EM iterations */
  iters: number;
  /** stop once the mean log-likelihood per point rises by less than this, nats */
  tol: number;
  /** added to every covariance's diagonal (units of the points, squared), keeps each one positive definite */
  reg: number;
}

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * EM for a k-component, full-covariance Gaussian mixture on n×p points X (row-major). The M step from the
 * current responsibilities R (n×k): weight π_c = N_c/n, mean μ_c, covariance Σ_c = Σ_i R_ic (x_i−μ_c)(x_i−μ_c)ᵀ/N_c
 * + reg·I; the E step: log R_ic = log π_c + log N(x_i | μ_c, Σ_c) − log p(x_i), by a Cholesky factor of each Σ_c.
 * A component whose weight falls below one point keeps its previous mean and covariance (it cannot be estimated).
 */
export function gmmFit(X: Float32Array | Float64Array, n: number, p: number, k: number, o: GmmOptions): GmmResult {
  if (!(k >= 1 && k <= n)) throw new Error(`gmm: k must be in [1, n]; got k=${k}, n=${n}`);
  if (o.init.length !== n) throw new Error(`gmm: init needs ${n} labels, got ${o.init.length}`);
  const R = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    const l = o.init[i]!;
    if (!(l >= 0 && l < k)) throw new Error(`gmm: init label ${l} at row ${i} is outside [0, ${k})`);
    R[i * k + l] = 1;
  }
  const mu = new Float64Array(k * p), L = new Float64Array(k * p * p), logDet = new Float64Array(k), logPi = new Float64Array(k);
  const have = new Uint8Array(k); // component has parameters (from some M step)
  const cov = new Float64Array(p * p), diff = new Float64Array(p), sol = new Float64Array(p), lp = new Float64Array(k);
  let prev = -Infinity, logLik = -Infinity, iterations = 0;
  for (let it = 0; it < o.iters; it++) {
    // M step
    for (let c = 0; c < k; c++) {
      let Nc = 0;
      const m = new Float64Array(p);
      for (let i = 0; i < n; i++) {
        const r = R[i * k + c]!;
        if (r === 0) continue;
        Nc += r;
        for (let a = 0; a < p; a++) m[a] += r * X[i * p + a]!;
      }
      logPi[c] = Math.log(Math.max(Nc, 1e-300) / n);
      if (Nc < 1) { if (!have[c]) fallback(X, n, p, c, o.reg, mu, L, logDet); have[c] = 1; continue; }
      for (let a = 0; a < p; a++) m[a] /= Nc;
      cov.fill(0);
      for (let i = 0; i < n; i++) {
        const r = R[i * k + c]!;
        if (r === 0) continue;
        for (let a = 0; a < p; a++) diff[a] = X[i * p + a]! - m[a]!;
        for (let a = 0; a < p; a++) { const ra = r * diff[a]!; for (let b = 0; b <= a; b++) cov[a * p + b] += ra * diff[b]!; }
      }
      for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) cov[a * p + b] = cov[a * p + b]! / Nc + (a === b ? o.reg : 0);
      mu.set(m, c * p);
      logDet[c] = cholesky(cov, p, L, c * p * p);
      have[c] = 1;
    }
    // E step
    logLik = 0;
    for (let i = 0; i < n; i++) {
      let best = -Infinity;
      for (let c = 0; c < k; c++) {
        for (let a = 0; a < p; a++) diff[a] = X[i * p + a]! - mu[c * p + a]!;
        const maha = forwardSolveNorm(L, c * p * p, p, diff, sol);
        const v = logPi[c]! - 0.5 * (p * LOG_2PI + logDet[c]! + maha);
        lp[c] = v;
        if (v > best) best = v;
      }
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(lp[c]! - best);
      const lse = best + Math.log(s);
      logLik += lse;
      for (let c = 0; c < k; c++) R[i * k + c] = Math.exp(lp[c]! - lse);
    }
    iterations = it + 1;
    if (logLik - prev < o.tol * n) break;
    prev = logLik;
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let bc = 0;
    for (let c = 1; c < k; c++) if (R[i * k + c]! > R[i * k + bc]!) bc = c;
    labels[i] = bc;
  }
  return { labels, logLik, iterations };
}

/** Lower Cholesky factor of the symmetric p×p matrix A (lower triangle used) into out[o…]; returns log det A.
 *  A pivot that is not positive (a singular covariance despite reg) is floored at 1e-12. */
export function cholesky(A: Float64Array, p: number, out: Float64Array, o: number): number {
  let logDet = 0;
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) {
      let s = A[a * p + b]!;
      for (let t = 0; t < b; t++) s -= out[o + a * p + t]! * out[o + b * p + t]!;
      if (a === b) {
        const d = Math.sqrt(Math.max(s, 1e-12));
        out[o + a * p + a] = d;
        logDet += 2 * Math.log(d);
      } else {
        out[o + a * p + b] = s / out[o + b * p + b]!;
      }
    }
  }
  return logDet;
}

/** ‖L⁻¹v‖² for the lower-triangular L at out[o…] (the squared Mahalanobis distance when L Lᵀ = Σ). */
function forwardSolveNorm(L: Float64Array, o: number, p: number, v: Float64Array, sol: Float64Array): number {
  let s = 0;
  for (let a = 0; a < p; a++) {
    let t = v[a]!;
    for (let b = 0; b < a; b++) t -= L[o + a * p + b]! * sol[b]!;
    const x = t / L[o + a * p + a]!;
    sol[a] = x;
    s += x * x;
  }
  return s;
}

/** A component that never had a point: the global mean and covariance (it gets weight ~0 anyway). */
function fallback(X: Float32Array | Float64Array, n: number, p: number, c: number, reg: number, mu: Float64Array, L: Float64Array, logDet: Float64Array): void {
  const m = new Float64Array(p), cov = new Float64Array(p * p);
  for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) m[a] += X[i * p + a]! / n;
  for (let i = 0; i < n; i++) for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) cov[a * p + b] += (X[i * p + a]! - m[a]!) * (X[i * p + b]! - m[b]!) / n;
  for (let a = 0; a < p; a++) cov[a * p + a] += reg;
  mu.set(m, c * p);
  logDet[c] = cholesky(cov, p, L, c * p * p);
}
