// Principal components (src/cluster/pca.ts) against the plain definitions: each returned direction is an
// eigenvector of the covariance written out the obvious way, with its eigenvalue as the variance along it;
// directions come out by decreasing variance; with every component kept, distances between rows are unchanged.
import { describe, expect, it } from 'vitest';
import { pcaFit, pcaProject } from '../../src/cluster/pca.js';
import { Rng } from '../../src/util/rng.js';

/** n rows in d dims: independent Gaussians with sd `sds[j]` along the axes of a random rotation, plus an offset;
 *  one dimension is a dead unit (always 0.25), as ReLU layers have */
function data(n: number, d: number, sds: number[], seed: number): Float32Array {
  const rng = new Rng(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
  // a random orthonormal basis by Gram–Schmidt
  const B: number[][] = [];
  while (B.length < d) {
    const v = Array.from({ length: d }, gauss);
    for (const b of B) { const p = v.reduce((s, x, t) => s + x * b[t]!, 0); for (let t = 0; t < d; t++) v[t]! -= p * b[t]!; }
    const nv = Math.hypot(...v); B.push(v.map((x) => x / nv));
  }
  const X = new Float32Array(n * (d + 1));
  for (let i = 0; i < n; i++) {
    const a = sds.map((s) => s * gauss());
    for (let t = 0; t < d; t++) X[i * (d + 1) + t] = 3 + a.reduce((s, ai, j) => s + ai * B[j]![t]!, 0);
    X[i * (d + 1) + d] = 0.25;
  }
  return X;
}

/** the covariance of all n rows, plainly */
function covariance(X: Float32Array, n: number, d: number): number[][] {
  const mu = Array.from({ length: d }, (_, t) => { let s = 0; for (let i = 0; i < n; i++) s += X[i * d + t]!; return s / n; });
  return Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, b) => {
    let s = 0; for (let i = 0; i < n; i++) s += (X[i * d + a]! - mu[a]!) * (X[i * d + b]! - mu[b]!); return s / n;
  }));
}

describe('pcaFit', () => {
  const n = 600, d = 6, D = d + 1;
  const sds = [5, 3, 2, 1, 0.5, 0.2];
  const X = data(n, d, sds, 11);

  it('returns eigenvectors of the covariance, by decreasing eigenvalue, as orthonormal columns', () => {
    const m = 4;
    const p = pcaFit(X, n, D, m);
    const C = covariance(X, n, D);
    for (let c = 0; c < m; c++) {
      const v = Array.from({ length: D }, (_, t) => p.basis[t * m + c]!);
      const Cv = C.map((row) => row.reduce((s, x, t) => s + x * v[t]!, 0));
      for (let t = 0; t < D; t++) expect(Cv[t]).toBeCloseTo(p.variances[c]! * v[t]!, 6);
      for (let c2 = 0; c2 < m; c2++) {
        const dot = v.reduce((s, x, t) => s + x * p.basis[t * m + c2]!, 0);
        expect(dot).toBeCloseTo(c === c2 ? 1 : 0, 9);
      }
      if (c > 0) expect(p.variances[c]).toBeLessThan(p.variances[c - 1]!);
    }
    // the variances are those the data was drawn with, up to sampling error
    for (let c = 0; c < m; c++) expect(Math.sqrt(p.variances[c]!)).toBeGreaterThan(0.85 * sds[c]!);
    const total = C.reduce((s, row, a) => s + row[a]!, 0);
    expect(p.explained).toBeCloseTo(p.variances.reduce((s, v) => s + v, 0) / total, 9);
    expect(p.explained).toBeGreaterThan(0.98);
    // the dead unit has no weight in any direction
    for (let c = 0; c < m; c++) expect(Math.abs(p.basis[d * m + c]!)).toBeLessThan(1e-9);
  });

  it('keeps every distance when every component is kept, and centres the rows', () => {
    const p = pcaFit(X, n, D, D);
    const Y = pcaProject(p, X, n, D);
    const dist = (A: Float32Array, w: number, i: number, j: number): number => {
      let s = 0; for (let t = 0; t < w; t++) s += (A[i * w + t]! - A[j * w + t]!) ** 2; return Math.sqrt(s);
    };
    for (const [i, j] of [[0, 1], [5, 77], [300, 599]] as const) expect(dist(Y, D, i, j)).toBeCloseTo(dist(X, D, i, j), 4);
    for (let c = 0; c < D; c++) { let s = 0; for (let i = 0; i < n; i++) s += Y[i * D + c]!; expect(Math.abs(s / n)).toBeLessThan(1e-4); }
  });

  it('fits on every ⌈n/sample⌉-th row when asked to sample, and refuses impossible sizes', () => {
    const full = pcaFit(X, n, D, 2);
    const sub = pcaFit(X, n, D, 2, 200); // rows 0, 3, 6, …
    // the leading direction is the same up to sign and sampling error
    const dot = Array.from({ length: D }, (_, t) => full.basis[t * 2]! * sub.basis[t * 2]!).reduce((s, v) => s + v, 0);
    expect(Math.abs(dot)).toBeGreaterThan(0.98);
    expect(() => pcaFit(X, n, D, 0)).toThrow(/components must be in \[1, 7\]/);
    expect(() => pcaProject(full, X, n, d)).toThrow(/the fit has 7 dimensions, the rows 6/);
  });
});
