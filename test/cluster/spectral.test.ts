// Spectral clustering of codes (cluster.embed = "spectral") against plain references: exact neighbours, the
// eigen-solvers on matrices with known spectra, and rings that KMeans cannot separate but the graph can.
import { describe, expect, it } from 'vitest';
import { kmeansFit } from '../../src/cluster/kmeans.js';
import { knn } from '../../src/cluster/neighbours.js';
import { affinity, jacobiEigen, orthonormalise, spectralLabels, topEigenvectors } from '../../src/cluster/spectral.js';
import { Rng } from '../../src/util/rng.js';
import { clusterAccuracy } from '../../src/eval/metrics.js';

function randomCodes(n: number, d: number, seed: number): Float32Array {
  const g = new Rng(seed);
  return Float32Array.from({ length: n * d }, () => g.nextFloat() * 2 - 1);
}

/** Two concentric rings in 2-d (radius 1 and 3, a little noise) padded with 3 noise dims: not linearly separable. */
function rings(nPer: number, seed: number): { codes: Float32Array; truth: Int32Array } {
  const g = new Rng(seed), d = 5, n = 2 * nPer;
  const codes = new Float32Array(n * d), truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = i < nPer ? 1 : 3, a = g.nextFloat() * 2 * Math.PI;
    truth[i] = i < nPer ? 0 : 1;
    codes[i * d] = r * Math.cos(a) + 0.05 * (g.nextFloat() - 0.5);
    codes[i * d + 1] = r * Math.sin(a) + 0.05 * (g.nextFloat() - 0.5);
    for (let t = 2; t < d; t++) codes[i * d + t] = 0.05 * (g.nextFloat() - 0.5);
  }
  return { codes, truth };
}

describe('knn', () => {
  it('equals sorting every distance (weighted, odd sizes)', () => {
    const n = 57, d = 7, K = 6;
    const codes = randomCodes(n, d, 3);
    const w = Float32Array.from({ length: d }, (_, t) => 0.5 + t / 4);
    const got = knn(codes, n, d, K, w);
    for (let i = 0; i < n; i++) {
      const all: Array<[number, number]> = [];
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        let s = 0;
        for (let t = 0; t < d; t++) s += w[t] * (codes[i * d + t] - codes[j * d + t]) ** 2;
        all.push([s, j]);
      }
      all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      expect(Array.from(got.idx.subarray(i * K, i * K + K))).toEqual(all.slice(0, K).map((p) => p[1]));
      for (let q = 0; q < K; q++) expect(got.dist[i * K + q]).toBeCloseTo(all[q][0], 9);
    }
  });
});

describe('eigen-solvers', () => {
  it('Jacobi: A·v = λ·v for a random symmetric matrix, V orthonormal', () => {
    const p = 9, g = new Rng(5);
    const A = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = i; j < p; j++) { const v = g.nextFloat() - 0.5; A[i * p + j] = v; A[j * p + i] = v; }
    const { values, V } = jacobiEigen(A.slice(), p);
    for (let c = 0; c < p; c++) {
      for (let i = 0; i < p; i++) {
        let av = 0;
        for (let j = 0; j < p; j++) av += A[i * p + j] * V[j * p + c];
        expect(av).toBeCloseTo(values[c] * V[i * p + c], 9);
      }
      for (let c2 = 0; c2 < p; c2++) {
        let dot = 0;
        for (let i = 0; i < p; i++) dot += V[i * p + c] * V[i * p + c2];
        expect(dot).toBeCloseTo(c === c2 ? 1 : 0, 9);
      }
    }
  });

  it('subspace iteration: the top eigenvector of the normalised affinity is √degree with eigenvalue 1', () => {
    const n = 120, d = 4, K = 8;
    const codes = randomCodes(n, d, 9);
    const S = affinity(n, K, knn(codes, n, d, K, null));
    const { U, values } = topEigenvectors(S, n, { dims: 3, iters: 300, seed: 1 });
    expect(values[0]).toBeCloseTo(1, 6);
    expect(values[1]).toBeLessThan(1);
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += S.sqrtDeg[i] ** 2;
    let dot = 0;
    for (let i = 0; i < n; i++) dot += U[i * 3] * S.sqrtDeg[i] / Math.sqrt(nrm);
    expect(Math.abs(dot)).toBeCloseTo(1, 6);
    // and every returned column satisfies S·u ≈ λ·u
    for (let c = 0; c < 3; c++) {
      let res = 0;
      for (let i = 0; i < n; i++) {
        let su = 0;
        for (let q = S.offsets[i]; q < S.offsets[i + 1]; q++) su += S.vals[q] * U[S.cols[q] * 3 + c];
        res = Math.max(res, Math.abs(su - values[c] * U[i * 3 + c]));
      }
      expect(res).toBeLessThan(1e-3);
    }
  });
});

describe('orthonormalise', () => {
  /** max |QᵀQ − I| over the p×p entries of an n×p row-major block */
  function offOrtho(Q: Float64Array, n: number, p: number): number {
    let worst = 0;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Q[i * p + a] * Q[i * p + b];
      worst = Math.max(worst, Math.abs(s - (a === b ? 1 : 0)));
    }
    return worst;
  }
  /** largest residual of projecting each column of A onto span(Q): A − Q·(QᵀA) */
  function outOfSpan(A: Float64Array, Q: Float64Array, n: number, p: number): number {
    let worst = 0;
    for (let c = 0; c < p; c++) {
      const coef = new Float64Array(p);
      for (let a = 0; a < p; a++) for (let i = 0; i < n; i++) coef[a] += Q[i * p + a] * A[i * p + c];
      for (let i = 0; i < n; i++) {
        let r = A[i * p + c];
        for (let a = 0; a < p; a++) r -= Q[i * p + a] * coef[a];
        worst = Math.max(worst, Math.abs(r));
      }
    }
    return worst;
  }

  it('makes well-conditioned columns orthonormal and keeps their span (CholeskyQR2)', () => {
    const n = 500, p = 7, g = new Rng(3);
    // columns of very different scales, as after a few power steps
    const A = Float64Array.from({ length: n * p }, (_, t) => (g.nextFloat() - 0.5) * 10 ** (-(t % p) / 2) + (t % p === 2 ? 0.3 : 0));
    const Q = A.slice();
    orthonormalise(Q, n, p, new Rng(1));
    expect(offOrtho(Q, n, p)).toBeLessThan(1e-12);
    expect(outOfSpan(A, Q, n, p)).toBeLessThan(1e-9);
  });

  it('falls back to Gram–Schmidt on dependent columns and still returns an orthonormal block', () => {
    const n = 200, p = 4, g = new Rng(5);
    const Q = Float64Array.from({ length: n * p }, () => g.nextFloat() - 0.5);
    for (let i = 0; i < n; i++) Q[i * p + 3] = 2 * Q[i * p + 1]; // column 3 = 2 × column 1: rank 3
    orthonormalise(Q, n, p, new Rng(1));
    expect(offOrtho(Q, n, p)).toBeLessThan(1e-12);
  });
});

describe('topEigenvectors fast path', () => {
  it('breadth-first row order + CholeskyQR2 give the eigenpairs of the plain path (data order, Gram–Schmidt)', () => {
    // 3 blobs in shuffled row order, so the breadth-first renumbering is far from the identity
    const n = 600, d = 3, K = 8, g = new Rng(21);
    const codes = new Float32Array(n * d);
    for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) codes[i * d + t] = (i % 3 === t ? 4 : 0) + g.nextFloat() - 0.5;
    const S = affinity(n, K, knn(codes, n, d, K, null));
    const fast = topEigenvectors(S, n, { dims: 5, iters: 200, seed: 7 });
    const plain = topEigenvectors(S, n, { dims: 5, iters: 200, seed: 7, plain: true });
    for (let c = 0; c < 5; c++) {
      expect(fast.values[c]).toBeCloseTo(plain.values[c], 8);
      // same vector up to sign: |⟨u_fast, u_plain⟩| = 1
      let dot = 0;
      for (let i = 0; i < n; i++) dot += fast.U[i * 5 + c] * plain.U[i * 5 + c];
      expect(Math.abs(dot)).toBeCloseTo(1, 6);
    }
  });
});

describe('spectral labels', () => {
  it('separate two rings exactly, where KMeans on the same codes cannot', () => {
    const { codes, truth } = rings(150, 2);
    const n = 300, d = 5;
    const labels = spectralLabels(codes, n, d, 2, { neighbors: 10, dims: 2, weights: null, iters: 2000, seed: 1, fits: 3 });
    expect(clusterAccuracy(truth, labels, 2).accuracy).toBe(1);
    const km = kmeansFit(codes, n, d, { k: 2, weights: null, iters: 100, rng: new Rng(1) });
    expect(clusterAccuracy(truth, km.labels, 2).accuracy).toBeLessThan(0.8);
  });
});

describe('knn on the pool (SIMD kernel, 2 workers)', () => {
  it('equals the TypeScript knn on integer codes, and finds the same neighbours on float codes', async () => {
    const { PoolEngine } = await import('../../src/cluster/index.js');
    const n = 301, dz = 6, dc = 5, d = dz + dc, K = 7;
    const g = new Rng(21);
    const ints = Float32Array.from({ length: n * d }, () => g.below(5) - 2);
    const p = await PoolEngine.create({ n, dz, dc, k: 4, seed: 1, weights: { z: 1, c: 1 }, iters: 2, batchSize: 32, refit: 'epoch', workers: 2, knnK: K }, { codes: ints });
    try {
      const w = Float32Array.from({ length: d }, (_, t) => (t < dz ? 1 : 0.25));
      const a = await p.knn(K, w), b = knn(ints, n, d, K, w);
      expect(a.idx).toEqual(b.idx);
      expect(Array.from(a.dist)).toEqual(Array.from(b.dist, (x) => Math.fround(x)));
      // float codes: the same neighbour sets up to near-ties, distances within f32 rounding
      const fl = randomCodes(n, d, 4);
      p.writeCodes(Int32Array.from({ length: n }, (_, i) => i), fl);
      const c = await p.knn(K, new Float32Array(d).fill(1)), e = knn(fl, n, d, K, null); // weights persist: reset them
      let same = 0;
      for (let i = 0; i < n * K; i++) {
        expect(c.dist[i]).toBeCloseTo(e.dist[i], 4);
        if (c.idx[i] === e.idx[i]) same++;
      }
      expect(same / (n * K)).toBeGreaterThan(0.99);
      await expect(p.knn(K + 1)).rejects.toThrow(/knnK/);
    } finally {
      await p.close();
    }
  });

  it('answers a smaller K than knnK with the nearest K of each row, the TypeScript knn at that K exactly', async () => {
    const { PoolEngine } = await import('../../src/cluster/index.js');
    const n = 257, dz = 4, dc = 3, d = dz + dc, KK = 12;
    const g = new Rng(5);
    // integer codes: exact f32 distances, so ties and their order must match the TypeScript knn too
    const ints = Float32Array.from({ length: n * d }, () => g.below(4) - 1);
    const p = await PoolEngine.create({ n, dz, dc, k: 3, seed: 1, weights: { z: 1, c: 1 }, iters: 2, batchSize: 32, refit: 'epoch', workers: 2, knnK: KK }, { codes: ints });
    try {
      for (const K of [1, 5, KK]) {
        const a = await p.knn(K), b = knn(ints, n, d, K, null);
        expect(a.idx).toEqual(b.idx);
        expect(Array.from(a.dist)).toEqual(Array.from(b.dist, (x) => Math.fround(x)));
      }
    } finally {
      await p.close();
    }
  });
});

describe('graphRelabel on the pool', () => {
  it('gives the labels of the main-thread path (same neighbours, seeds, arithmetic); in the background it samples from frozen labels', async () => {
    const { PoolEngine } = await import('../../src/cluster/index.js');
    const n = 400, dz = 3, dc = 2, d = dz + dc, K = 8;
    const { codes: ring } = rings(200, 6);
    const opts = { n, dz, dc, k: 2, seed: 3, weights: { z: 1, c: 1 }, iters: 2, batchSize: 32, refit: 'epoch' as const, workers: 2, knnK: K };
    const a = await PoolEngine.create(opts, { codes: ring });
    const b = await PoolEngine.create(opts, { codes: ring });
    try {
      const so = { K, dims: 2, iters: 2000, seed: 11, fits: 3 };
      const got = await a.graphRelabel(so);
      const nb = await b.knn(K);
      const want = await b.assignLabels(spectralLabels(ring, n, d, 2, { neighbors: K, weights: null, ...so }, nb));
      expect(got.labels).toEqual(want.labels);
      expect(got.sizes).toEqual(want.sizes);
      expect(clusterAccuracy(Int32Array.from({ length: n }, (_, i) => (i < 200 ? 0 : 1)), got.labels, 2).accuracy).toBe(1);
      // the consensus of several fits travels to the worker and gives the main thread's labels too
      const co = { ...so, seed: 13, consensus: 5 };
      const gotC = await a.graphRelabel(co);
      const wantC = spectralLabels(ring, n, d, 2, { neighbors: K, weights: null, ...co }, nb);
      expect(gotC.labels).toEqual((await b.assignLabels(wantC)).labels);
      expect(clusterAccuracy(Int32Array.from({ length: n }, (_, i) => (i < 200 ? 0 : 1)), gotC.labels, 2).accuracy).toBe(1);
      // a graph smaller than the engine's knnK uses each row's nearest K (the main thread's labels at that K)
      const small = { ...so, K: 5, seed: 14 };
      const gotS = await a.graphRelabel(small);
      const wantS = spectralLabels(ring, n, d, 2, { neighbors: 5, weights: null, ...small }, knn(ring, n, d, 5, null));
      expect(gotS.labels).toEqual((await b.assignLabels(wantS)).labels);
      await expect(a.graphRelabel({ ...so, K: K + 1 })).rejects.toThrow(/knnK >= 9/);
      // background: a sample answers at once from the labels before the refit
      const before = await a.labels();
      const bg = a.graphRelabel({ ...so, seed: 12, background: true });
      const rows = Int32Array.from({ length: 16 }, (_, i) => i * 25);
      const s = await a.sample(rows, 3, false, false);
      for (let i = 0; i < 48; i++) expect(before[s.subsets[i]]).toBe(before[rows[Math.floor(i / 3)]]);
      await expect(a.graphRelabel({ ...so, background: true })).rejects.toThrow(/already running/);
      expect((await bg).sizes.reduce((x, y) => x + y, 0)).toBe(n);
    } finally {
      await a.close(); await b.close();
    }
  });
});
