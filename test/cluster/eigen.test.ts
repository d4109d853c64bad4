// The dense symmetric eigen-solver behind the PCA (Householder + implicit QR) against the definition
// (A·v = λ·v, V orthonormal), against cyclic Jacobi as the plain reference for the spectrum, and on the matrices
// that break careless deflation: repeated eigenvalues, zero rows, already-diagonal and rank-one inputs.
import { describe, expect, it } from 'vitest';
import { symmetricEigen } from '../../src/cluster/eigen.js';
import { jacobiEigen } from '../../src/cluster/spectral.js';
import { Rng } from '../../src/util/rng.js';

function randomSymmetric(p: number, seed: number): Float64Array {
  const g = new Rng(seed), A = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = i; j < p; j++) { const v = g.nextFloat() - 0.5; A[i * p + j] = v; A[j * p + i] = v; }
  return A;
}

/** max |A·V − V·Λ| and max |VᵀV − I| */
function residuals(A: Float64Array, p: number, values: Float64Array, V: Float64Array): { eig: number; orth: number } {
  let eig = 0, orth = 0;
  for (let c = 0; c < p; c++) {
    for (let i = 0; i < p; i++) {
      let av = 0;
      for (let j = 0; j < p; j++) av += A[i * p + j] * V[j * p + c];
      eig = Math.max(eig, Math.abs(av - values[c] * V[i * p + c]));
    }
    for (let c2 = 0; c2 < p; c2++) {
      let dot = 0;
      for (let i = 0; i < p; i++) dot += V[i * p + c] * V[i * p + c2];
      orth = Math.max(orth, Math.abs(dot - (c === c2 ? 1 : 0)));
    }
  }
  return { eig, orth };
}

const sorted = (v: Float64Array): number[] => [...v].sort((a, b) => a - b);

describe('symmetricEigen', () => {
  it.each([1, 2, 3, 7, 40, 120])('p = %i: A·v = λ·v, V orthonormal, and the spectrum of cyclic Jacobi', (p) => {
    const A = randomSymmetric(p, 100 + p);
    const { values, V } = symmetricEigen(A.slice(), p);
    const r = residuals(A, p, values, V);
    expect(r.eig).toBeLessThan(1e-12);
    expect(r.orth).toBeLessThan(1e-12);
    const ref = sorted(jacobiEigen(A.slice(), p).values), got = sorted(values);
    for (let i = 0; i < p; i++) expect(got[i]).toBeCloseTo(ref[i], 11);
  });

  it('a known spectrum: Q·diag(λ)·Qᵀ with repeated eigenvalues and a zero block', () => {
    const p = 12, lambda = [5, 5, 5, 2, 2, 0, 0, 0, 0, -1, 3.5, 1e-9];
    // Q from Gram–Schmidt of a random matrix
    const g = new Rng(3), Q = new Float64Array(p * p);
    for (let c = 0; c < p; c++) {
      for (let i = 0; i < p; i++) Q[i * p + c] = g.nextFloat() - 0.5;
      for (let c2 = 0; c2 < c; c2++) {
        let dot = 0;
        for (let i = 0; i < p; i++) dot += Q[i * p + c] * Q[i * p + c2];
        for (let i = 0; i < p; i++) Q[i * p + c] -= dot * Q[i * p + c2];
      }
      let nrm = 0;
      for (let i = 0; i < p; i++) nrm += Q[i * p + c] ** 2;
      for (let i = 0; i < p; i++) Q[i * p + c] /= Math.sqrt(nrm);
    }
    const A = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) { let s = 0; for (let c = 0; c < p; c++) s += Q[i * p + c] * lambda[c] * Q[j * p + c]; A[i * p + j] = s; }
    const { values, V } = symmetricEigen(A.slice(), p);
    const got = sorted(values), want = [...lambda].sort((a, b) => a - b);
    for (let i = 0; i < p; i++) expect(got[i]).toBeCloseTo(want[i], 12);
    const r = residuals(A, p, values, V);
    expect(r.eig).toBeLessThan(1e-12);
    expect(r.orth).toBeLessThan(1e-12);
  });

  it('already diagonal, all zero, rank one, and zero rows and columns (dead pixels of a covariance)', () => {
    const diag = new Float64Array([3, 0, 0, 0, -2, 0, 0, 0, 7]);
    expect(sorted(symmetricEigen(diag.slice(), 3).values)).toEqual([-2, 3, 7]);
    const zero = new Float64Array(16);
    const z = symmetricEigen(zero, 4);
    expect([...z.values]).toEqual([0, 0, 0, 0]);
    expect(residuals(new Float64Array(16), 4, z.values, z.V).orth).toBe(0);
    // rank one: u·uᵀ has eigenvalue ‖u‖² along u, 0 elsewhere; rows 1 and 3 are all zero
    const u = [1, 0, 2, 0, -2], p = 5, A = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) A[i * p + j] = u[i] * u[j];
    const { values, V } = symmetricEigen(A.slice(), p);
    const top = values.indexOf(Math.max(...values));
    expect(values[top]).toBeCloseTo(9, 12);
    for (let i = 0; i < p; i++) expect(Math.abs(V[i * p + top])).toBeCloseTo(Math.abs(u[i]) / 3, 12);
    expect(residuals(A, p, values, V).eig).toBeLessThan(1e-12);
  });

  it('refuses a buffer that is not p×p', () => {
    expect(() => symmetricEigen(new Float64Array(5), 2)).toThrow(/expected 2×2 = 4 entries; got 5/);
  });
});
