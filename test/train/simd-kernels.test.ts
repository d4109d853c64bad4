// The CPU trainer's SIMD kernels (assembly/gemm.ts, assembly/train-ops.ts) against plain reference loops, with
// odd sizes (no dimension a multiple of the 4 × 8 register block, K across the 256-row blocking).
import { describe, expect, it } from 'vitest';
import { compileTrainKernels, createSharedMemory, instantiateTrainKernels } from '../../src/train/simd/kernels.js';
import { Rng } from '../../src/util/rng.js';

const mod = await compileTrainKernels();
const mem = createSharedMemory(256);
const k = instantiateTrainKernels(mod, mem);
const f = new Float32Array(mem.buffer);
let top = Math.ceil(k.heapBase() / 64) * 64;
function alloc(n: number, rng?: Rng): number {
  const p = top; top += Math.ceil((n * 4) / 64) * 64 + 64;
  for (let i = 0; i < n; i++) f[(p >> 2) + i] = rng ? rng.next() * 2 - 1 : 0;
  return p;
}
const at = (p: number, i: number): number => f[(p >> 2) + i];

describe('gemm (packed) = the triple loop', () => {
  const shapes: Array<[number, number, number]> = [[7, 13, 9], [9, 17, 300], [5, 8, 257], [1, 1, 1], [13, 31, 513], [4, 8, 0]];
  for (const [M, N, K] of shapes) {
    for (const tA of [0, 1]) for (const tB of [0, 1]) {
      it(`M ${M} N ${N} K ${K}, op(A) ${tA ? 'Aᵀ' : 'A'}, op(B) ${tB ? 'Bᵀ' : 'B'}, overwrite and accumulate, row ranges`, () => {
        const rng = new Rng(M * 1000 + N * 10 + K + tA * 3 + tB);
        top = Math.ceil(k.heapBase() / 64) * 64;
        const A = alloc(M * K, rng), B = alloc(K * N, rng), C = alloc(M * N, rng);
        const packed = alloc(k.gemmPackedBytes(K, N) / 4), tile = alloc(k.gemmTileBytes() / 4);
        const lda = tA ? M : K, ldb = tB ? K : N;
        const c0 = f.slice(C >> 2, (C >> 2) + M * N);
        const panels = (N + 7) >> 3;
        k.gemmPack(B, ldb, tB, K, N, 0, 1, packed); // two calls: panel ranges compose
        k.gemmPack(B, ldb, tB, K, N, 1, panels, packed);
        for (const acc of [1, 0]) {
          const split = Math.min(M, 4);
          k.gemmPacked(A, lda, tA, packed, C, N, 0, split, N, K, acc, tile);
          k.gemmPacked(A, lda, tA, packed, C, N, split, M, N, K, acc, tile);
          let err = 0;
          for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
            let s = 0;
            for (let q = 0; q < K; q++) s += at(A, tA ? q * lda + i : i * lda + q) * at(B, tB ? j * ldb + q : q * ldb + j);
            const want = (acc ? c0[i * N + j] : 0) + s;
            err = Math.max(err, Math.abs(want - at(C, i * N + j)));
          }
          expect(err).toBeLessThan(1e-5 * Math.max(1, Math.sqrt(K)));
          if (acc) f.set(c0, C >> 2); // the overwrite pass starts from the same C
        }
      });
    }
  }
});

describe('elementwise kernels = plain loops', () => {
  const rng = new Rng(2);
  it('biasAct (with and without ReLU), reluBackward, rowSums, anyNonFinite', () => {
    top = Math.ceil(k.heapBase() / 64) * 64;
    const R = 7, Cc = 13;
    const y = alloc(R * Cc, rng), b = alloc(R, rng);
    const y0 = f.slice(y >> 2, (y >> 2) + R * Cc);
    k.biasAct(y, b, Cc, 0, 3, 1);
    k.biasAct(y, b, Cc, 3, R, 0);
    for (let r = 0; r < R; r++) for (let c = 0; c < Cc; c++) {
      const v = Math.fround(y0[r * Cc + c] + at(b, r));
      expect(at(y, r * Cc + c)).toBe(r < 3 ? Math.max(v, 0) : v);
    }
    const d = alloc(R * Cc, rng), d0 = f.slice(d >> 2, (d >> 2) + R * Cc);
    k.reluBackward(d, y, 0, R * Cc);
    for (let i = 0; i < R * Cc; i++) expect(at(d, i)).toBe(at(y, i) > 0 ? d0[i] : 0);
    const out = alloc(R);
    k.rowSums(d, Cc, 0, R, out);
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let c = 0; c < Cc; c++) s = Math.fround(s + at(d, r * Cc + c));
      expect(at(out, r)).toBe(s);
    }
    expect(k.anyNonFinite(d, 0, R * Cc)).toBe(0);
    f[(d >> 2) + 11] = Infinity;
    expect(k.anyNonFinite(d, 0, 11)).toBe(0);
    expect(k.anyNonFinite(d, 0, R * Cc)).toBe(1);
    f[(d >> 2) + 11] = NaN;
    expect(k.anyNonFinite(d, 5, 12)).toBe(1);
  });

  it('adamRange = PyTorch-form Adam in float32, SIMD body and scalar tail', () => {
    top = Math.ceil(k.heapBase() / 64) * 64;
    const n = 23;
    const w = alloc(n, rng), g = alloc(n, rng), m = alloc(n, rng), v = alloc(n);
    for (let i = 0; i < n; i++) f[(v >> 2) + i] = rng.next();
    const [w0, g0, m0, v0] = [w, g, m, v].map((p) => f.slice(p >> 2, (p >> 2) + n));
    const b1 = 0.9, b2 = 0.999, t = 3, lr = 1e-3, eps = 1e-8;
    const a = lr / (1 - b1 ** t), cb2 = 1 / (1 - b2 ** t);
    k.adamRange(w, g, m, v, 0, n, b1, b2, a, cb2, eps);
    for (let i = 0; i < n; i++) {
      const mi = b1 * m0[i] + (1 - b1) * g0[i], vi = b2 * v0[i] + (1 - b2) * g0[i] * g0[i];
      expect(at(m, i)).toBeCloseTo(mi, 6);
      expect(at(v, i)).toBeCloseTo(vi, 6);
      expect(at(w, i)).toBeCloseTo(w0[i] - (a * mi) / (Math.sqrt(vi * cb2) + eps), 6);
    }
  });
});
