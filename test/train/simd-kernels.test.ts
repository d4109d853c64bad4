// The CPU trainer's SIMD kernels (assembly/gemm.ts, train-ops.ts, train-loss.ts) against plain reference loops,
// with odd sizes (no dimension a multiple of the 4 × 8 register block or of 4 lanes, K across the 256-row
// blocking), and the loss and head kernels' polynomial exp, log1p and tanh against float64 on extreme inputs.
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
  /** |got − want| ≤ rel·|want| + abs (abs: where the value is a difference of larger terms, their scale times rel) */
  const close = (got: number, want: number, rel: number, what: string, abs = 1e-30): void => {
    expect(Math.abs(got - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(rel * Math.abs(want) + abs);
  };

  it('rowEpilogue: bias + ReLU; ReLU mask + row sums; the non-finite flag; anyNonFinite', () => {
    top = Math.ceil(k.heapBase() / 64) * 64;
    const R = 7, Cc = 13, ld = 15;
    const y = alloc(R * ld, rng), b = alloc(R, rng), flag = alloc(1);
    const y0 = f.slice(y >> 2, (y >> 2) + R * ld);
    k.rowEpilogue(y, ld, Cc, 0, 3, b, 1, 0, 0, 0);
    k.rowEpilogue(y, ld, Cc, 3, R, b, 0, 0, 0, flag);
    for (let r = 0; r < R; r++) for (let c = 0; c < ld; c++) {
      const v = c < Cc ? Math.fround(y0[r * ld + c] + at(b, r)) : y0[r * ld + c];
      expect(at(y, r * ld + c)).toBe(r < 3 && c < Cc ? Math.max(v, 0) : v);
    }
    expect(new Int32Array(mem.buffer, flag, 1)[0]).toBe(0);
    const d = alloc(R * ld, rng), d0 = f.slice(d >> 2, (d >> 2) + R * ld), sums = alloc(R);
    k.rowEpilogue(d, ld, Cc, 0, R, 0, 0, y, sums, 0);
    for (let r = 0; r < R; r++) {
      let s = 0;
      for (let c = 0; c < Cc; c++) {
        const want = at(y, r * ld + c) > 0 ? d0[r * ld + c] : 0;
        expect(at(d, r * ld + c)).toBe(want);
        s += want;
      }
      close(at(sums, r), s, 1e-6, 'row sum');
    }
    f[(d >> 2) + 2 * ld + 11] = Infinity;
    k.rowEpilogue(d, ld, Cc, 0, 2, 0, 0, 0, 0, flag);
    expect(new Int32Array(mem.buffer, flag, 1)[0]).toBe(0);
    k.rowEpilogue(d, ld, Cc, 2, 3, 0, 0, 0, 0, flag);
    expect(new Int32Array(mem.buffer, flag, 1)[0]).toBe(1);
    expect(k.anyNonFinite(d, 0, 2 * ld + 11)).toBe(0);
    expect(k.anyNonFinite(d, 0, R * ld)).toBe(1);
    f[(d >> 2) + 11] = NaN;
    expect(k.anyNonFinite(d, 5, 12)).toBe(1);
  });

  it('bceRows, headOut (tanh bound, sampling) and sampleBack = float64 loops, extreme logits and log-stds included', () => {
    top = Math.ceil(k.heapBase() / 64) * 64;
    const R = 3, Cc = 23, d = R;
    const extreme = [-200, -88, -30, -9, -1e-3, 0, 1e-6, 0.29, 0.31, 2, 17, 40, 150];
    const val = (i: number): number => (i < extreme.length ? extreme[i] : rng.next() * 16 - 8);
    const lg = alloc(R * Cc), x = alloc(R * Cc), dl = alloc(R * Cc), rowL = alloc(R), db = alloc(R);
    for (let i = 0; i < R * Cc; i++) { f[(lg >> 2) + i] = val(i); f[(x >> 2) + i] = rng.next(); }
    k.bceRows(lg, x, dl, Cc, 0, 1, 1 / 8, rowL, db);
    k.bceRows(lg, x, dl, Cc, 1, R, 1 / 8, rowL, db);
    for (let r = 0; r < R; r++) {
      let L = 0, D = 0;
      for (let c = 0; c < Cc; c++) {
        const l = at(lg, r * Cc + c), xi = at(x, r * Cc + c);
        const bce = Math.max(l, 0) + Math.log1p(Math.exp(-Math.abs(l))) - xi * l, g = (1 / (1 + Math.exp(-l)) - xi) / 8;
        close(at(dl, r * Cc + c), g, 2e-6, `dl(${l})`, 2e-7 / 8);
        L += bce; D += g;
      }
      close(at(rowL, r), L, 2e-6, 'bce row'); close(at(db, r), D, 1e-5, 'db row', 1e-6);
    }
    // a head: y [2d, Cc] (means, raw log-stds), bias [2d], bound 5, then its backward
    const Lb = 5, y = alloc(2 * d * Cc), b = alloc(2 * d, rng), sO = alloc(d * Cc), eps = alloc(d * Cc, rng), z = alloc(d * Cc);
    for (let i = 0; i < 2 * d * Cc; i++) f[(y >> 2) + i] = 3 * val(i % (d * Cc));
    const y0 = f.slice(y >> 2, (y >> 2) + 2 * d * Cc);
    k.headOut(y, b, sO, eps, z, d, Cc, 0, d, Lb);
    const dOut = alloc(d * Cc, rng), dy = alloc(2 * d * Cc, rng), dbh = alloc(2 * d);
    const dy0 = f.slice(dy >> 2, (dy >> 2) + 2 * d * Cc);
    k.sampleBack(dOut, sO, eps, dy, dbh, d, Cc, 0, 2, Lb);
    k.sampleBack(dOut, sO, eps, dy, dbh, d, Cc, 2, d, Lb);
    for (let j = 0; j < d; j++) {
      let sm = 0, ss = 0;
      for (let c = 0; c < Cc; c++) {
        const i = j * Cc + c, mu = Math.fround(y0[i] + at(b, j)), raw = Math.fround(y0[d * Cc + i] + at(b, d + j));
        const sv = Lb * Math.tanh(raw / Lb);
        close(at(sO, i), sv, 2e-6, `s(${raw})`);
        close(at(z, i), mu + Math.exp(sv) * at(eps, i), 2e-6, 'sample');
        const g = dy0[d * Cc + i] + at(dOut, i) * Math.exp(at(sO, i)) * at(eps, i), gm = dy0[i] + at(dOut, i), ds = g * (1 - (at(sO, i) / Lb) ** 2);
        close(at(dy, i), gm, 1e-6, 'dμ'); close(at(dy, d * Cc + i), ds, 1e-5, 'd raw', 3e-7 * Math.abs(g)); // 1 − (s/L)² cancels near the bound
        sm += gm; ss += ds;
      }
      close(at(dbh, j), sm, 1e-5, 'dbhead μ'); close(at(dbh, d + j), ss, 1e-5, 'dbhead s');
    }
  });

  it('klZRows (with and without a prior) and klCRows = float64 loops', () => {
    top = Math.ceil(k.heapBase() / 64) * 64;
    const d = 3, Cc = 9, n = d * Cc;
    const yq = alloc(n, rng), sq = alloc(n, rng), yp = alloc(n, rng), sp = alloc(n, rng), inv = alloc(Cc);
    for (let c = 0; c < Cc; c++) f[(inv >> 2) + c] = 1 / (c + 2);
    for (const prior of [1, 0]) {
      const dyq = alloc(2 * n), dyp = alloc(2 * n), row = alloc(d);
      k.klZRows(yq, sq, yp, sp, dyq, dyp, d, Cc, 0, d, prior, 1 / Cc, row);
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let c = 0; c < Cc; c++) {
          const i = j * Cc + c, mq = at(yq, i), lq = at(sq, i), mp = at(yp, i), lp = at(sp, i), vq = Math.exp(2 * lq);
          const kl = prior ? lp - lq - 0.5 + 0.5 * (vq + (mq - mp) ** 2) * Math.exp(-2 * lp) : 0.5 * (vq + mq * mq) - lq - 0.5;
          s += kl;
          close(at(dyq, i), (prior ? (mq - mp) * Math.exp(-2 * lp) : mq) / Cc, 2e-6, 'dμq', 1e-7);
          close(at(dyq, n + i), (prior ? vq * Math.exp(-2 * lp) - 1 : vq - 1) / Cc, 2e-6, 'dsq', 1e-6 * (1 + vq * Math.exp(-2 * lp)) / Cc);
          if (prior) close(at(dyp, n + i), (1 - (vq + (mq - mp) ** 2) * Math.exp(-2 * lp)) / Cc, 2e-6, 'dsp', 1e-6 * (1 + (vq + (mq - mp) ** 2) * Math.exp(-2 * lp)) / Cc);
        }
        close(at(row, j), s, 2e-6, 'KL row', 1e-6);
      }
    }
    const dy = alloc(2 * n), row = alloc(d), rowW = alloc(d);
    k.klCRows(yq, sq, dy, inv, d, Cc, 0, d, 1 / Cc, row, rowW);
    for (let j = 0; j < d; j++) {
      let s = 0, sw = 0;
      for (let c = 0; c < Cc; c++) {
        const i = j * Cc + c, mu = at(yq, i), lq = at(sq, i), vq = Math.exp(2 * lq), kl = 0.5 * (vq + mu * mu) - lq - 0.5;
        s += kl; sw += kl * at(inv, c);
        close(at(dy, n + i), ((vq - 1) * at(inv, c)) / Cc, 2e-6, 'dsc', 1e-7);
      }
      close(at(row, j), s, 2e-6, 'KL(c) row', 1e-6); close(at(rowW, j), sw, 2e-6, 'weighted KL(c) row', 1e-6);
    }
  });

  it('mixGather / mixScatter = the dense averaging products, duplicates in a D included', () => {
    top = Math.ceil(k.heapBase() / 64) * 64;
    const R = 5, U = 11, B = 6, m = 3, w = Math.fround(1 / m);
    const hu = alloc(R * U, rng), idx = alloc(B * m), hbar = alloc(R * B), dhbar = alloc(R * B, rng), dhu = alloc(R * U, rng), sums = alloc(R);
    const ix = new Int32Array(mem.buffer, idx, B * m);
    for (let i = 0; i < B * m; i++) ix[i] = (i * 7) % U;
    ix[4] = ix[3]; // a duplicate inside D_1
    k.mixGather(hu, U, idx, m, w, hbar, B, 0, 2);
    k.mixGather(hu, U, idx, m, w, hbar, B, 2, R);
    k.mixScatter(dhbar, B, idx, m, w, dhu, hu, U, sums, 0, 3);
    k.mixScatter(dhbar, B, idx, m, w, dhu, hu, U, sums, 3, R);
    for (let r = 0; r < R; r++) {
      for (let b = 0; b < B; b++) {
        let s = 0;
        for (let j = 0; j < m; j++) s += at(hu, r * U + ix[b * m + j]) / m;
        close(at(hbar, r * B + b), s, 1e-5, 'gather', 1e-7);
      }
      let rs = 0;
      for (let u = 0; u < U; u++) {
        let s = 0;
        for (let b = 0; b < B; b++) for (let j = 0; j < m; j++) if (ix[b * m + j] === u) s += at(dhbar, r * B + b) / m;
        const want = at(hu, r * U + u) > 0 ? s : 0;
        close(at(dhu, r * U + u), want, 1e-5, 'scatter', 1e-7);
        rs += want;
      }
      close(at(sums, r), rs, 1e-5, 'scatter row sum', 1e-6);
    }
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
