// The first layer's skip of all-zero input rows: the gemm kernels' index lists (assembly/gemm.ts) against the
// triple loop and, bit for bit, against the dense product over the same operands; liveRows against a plain scan;
// and whole CPU-trainer steps with and without the skip, in every mode, on a batch where most pixel rows are 0.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/backend.js';
import { createParams, disposeParams, type Mode, type ModelShape } from '../../src/model/vhe.js';
import { Adam } from '../../src/train/adam.js';
import { BatchBuilder } from '../../src/train/batch.js';
import { SimdTrainer } from '../../src/train/simd/trainer.js';
import { Team, type GemmArgs } from '../../src/train/simd/team.js';
import { compileTrainKernels, createSharedMemory, instantiateTrainKernels } from '../../src/train/simd/kernels.js';
import { Rng } from '../../src/util/rng.js';
import { buildClusterIndex, sampleSubsets } from '../../src/cluster/sampler.js';

const mod = await compileTrainKernels();
const mem = createSharedMemory(256);
const k = instantiateTrainKernels(mod, mem);
const f = new Float32Array(mem.buffer), u = new Uint32Array(mem.buffer), i32 = new Int32Array(mem.buffer);
let top = 0;
function alloc(n: number, rng?: Rng): number {
  const p = top; top += Math.ceil((n * 4) / 64) * 64 + 64;
  for (let i = 0; i < n; i++) f[(p >> 2) + i] = rng ? rng.next() * 2 - 1 : 0;
  return p;
}
function list(idx: number[]): number { const p = alloc(Math.max(1, idx.length)); i32.set(idx, p >> 2); return p; }
const bits = (p: number, n: number): Uint32Array => u.slice(p >> 2, (p >> 2) + n);

/** Every i in [0, n) kept with probability keep, none from [gapLo, gapHi) (an empty 256-block when it spans one). */
function subset(n: number, keep: number, rng: Rng, gapLo = 0, gapHi = 0): number[] {
  return Array.from({ length: n }, (_, i) => i).filter((i) => (i < gapLo || i >= gapHi) && rng.next() < keep);
}

describe('gemm through index lists = the triple loop, and the dense product bit for bit', () => {
  // K across three 256-blocks; the lists leave the middle block empty, keep nothing, or keep everything
  const cases: Array<{ M: number; N: number; K: number; keep: number; gap: [number, number] }> = [
    { M: 13, N: 19, K: 601, keep: 0.6, gap: [256, 512] },
    { M: 6, N: 9, K: 300, keep: 0.3, gap: [0, 256] },
    { M: 5, N: 11, K: 77, keep: 1, gap: [0, 0] },
    { M: 7, N: 5, K: 40, keep: 0, gap: [0, 0] },
  ];
  for (const { M, N, K, keep, gap } of cases) for (const tA of [0, 1]) for (const tB of [0, 1]) {
    it(`M ${M} N ${N} K ${K}, ${keep * 100} % of k kept, op(A) ${tA ? 'Aᵀ' : 'A'}, op(B) ${tB ? 'Bᵀ' : 'B'}`, () => {
      const rng = new Rng(M * 100 + K + tA * 7 + tB * 3);
      top = Math.ceil(k.heapBase() / 64) * 64;
      const lda = tA ? M : K, ldb = tB ? K : N;
      const A = alloc(M * K, rng), B = alloc(K * N, rng);
      const opA = (i: number, q: number): number => f[(A >> 2) + (tA ? q * lda + i : i * lda + q)];
      const bAt = (q: number, j: number): number => (B >> 2) + (tB ? j * ldb + q : q * ldb + j);
      const ks = subset(K, keep, rng, gap[0], gap[1]);
      const kept = new Set(ks);
      for (let q = 0; q < K; q++) if (!kept.has(q)) for (let j = 0; j < N; j++) f[bAt(q, j)] = rng.next() < 0.5 ? 0 : -0;
      const kIdx = list(ks), panels = (N + 7) >> 3;
      const pd = alloc(k.gemmPackedBytes(K, N) / 4), pg = alloc(k.gemmPackedBytes(K, N) / 4), tile = alloc(k.gemmTileBytes() / 4);
      const Cd = alloc(M * N), Cg = alloc(M * N, rng);
      k.gemmPack(B, ldb, tB, K, N, 0, panels, pd);
      k.gemmPack(B, ldb, tB, ks.length, N, 0, 1, pg, kIdx, 0); // two calls: panel ranges compose
      k.gemmPack(B, ldb, tB, ks.length, N, 1, panels, pg, kIdx, 0);
      for (const acc of [0, 1]) {
        const split = Math.min(M, 4);
        k.gemmPacked(A, lda, tA, pd, Cd, N, 0, M, N, K, acc, tile);
        k.gemmPacked(A, lda, tA, pg, Cg, N, 0, split, N, ks.length, acc, tile, kIdx, 0);
        k.gemmPacked(A, lda, tA, pg, Cg, N, split, M, N, ks.length, acc, tile, kIdx, 0);
        expect(bits(Cg, M * N), `accumulate ${acc}`).toEqual(bits(Cd, M * N));
      }
      let err = 0; // after overwrite then accumulate, C = 2·op(A)·op(B)
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let s = 0;
        for (let q = 0; q < K; q++) s += opA(i, q) * f[bAt(q, j)];
        err = Math.max(err, Math.abs(2 * s - f[(Cg >> 2) + i * N + j]));
      }
      expect(err).toBeLessThan(2e-5 * Math.max(1, Math.sqrt(K)));
    });
  }

  for (const tB of [0, 1]) {
    it(`a column list (op(B) ${tB ? 'Bᵀ' : 'B'}): the listed columns of C get the product, the others 0 or left as they were`, () => {
      const rng = new Rng(40 + tB);
      top = Math.ceil(k.heapBase() / 64) * 64;
      const M = 11, N = 37, K = 290, lda = K, ldb = tB ? K : N;
      const A = alloc(M * K, rng), B = alloc(K * N, rng);
      const bAt = (q: number, j: number): number => (B >> 2) + (tB ? j * ldb + q : q * ldb + j);
      // a whole panel of columns dead, then 16 live in a row (two panels stored as runs), then scattered ones
      const cols = subset(N, 0.55, rng, 8, 32).concat(Array.from({ length: 16 }, (_, i) => 16 + i)).sort((a, b) => a - b);
      const live = new Set(cols);
      for (let j = 0; j < N; j++) if (!live.has(j)) for (let q = 0; q < K; q++) f[bAt(q, j)] = 0;
      const nIdx = list(cols), panels = (cols.length + 7) >> 3;
      const pd = alloc(k.gemmPackedBytes(K, N) / 4), pg = alloc(k.gemmPackedBytes(K, N) / 4), tile = alloc(k.gemmTileBytes() / 4);
      const Cd = alloc(M * N, rng), Cg = alloc(M * N);
      f.copyWithin(Cg >> 2, Cd >> 2, (Cd >> 2) + M * N);
      const c0 = f.slice(Cg >> 2, (Cg >> 2) + M * N);
      k.gemmPack(B, ldb, tB, K, N, 0, (N + 7) >> 3, pd);
      k.gemmPack(B, ldb, tB, K, cols.length, 0, panels, pg, 0, nIdx);
      for (const acc of [1, 0]) {
        k.gemmPacked(A, lda, 0, pd, Cd, N, 0, M, N, K, acc, tile);
        k.gemmPacked(A, lda, 0, pg, Cg, N, 0, 5, cols.length, K, acc, tile, 0, nIdx);
        k.gemmPacked(A, lda, 0, pg, Cg, N, 5, M, cols.length, K, acc, tile, 0, nIdx);
        expect(bits(Cg, M * N), `accumulate ${acc}`).toEqual(bits(Cd, M * N));
        let err = 0;
        for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
          let s = 0;
          for (let q = 0; q < K; q++) s += f[(A >> 2) + i * lda + q] * f[bAt(q, j)];
          const want = (acc ? c0[i * N + j] : 0) + s, got = f[(Cg >> 2) + i * N + j];
          err = Math.max(err, Math.abs(want - got));
          if (!live.has(j)) expect(got).toBe(acc ? c0[i * N + j] : 0);
        }
        expect(err).toBeLessThan(2e-5 * Math.sqrt(K));
      }
      // no live column at all: the rows are cleared
      k.gemmPacked(A, lda, 0, pg, Cg, N, 0, M, 0, K, 0, tile, 0, nIdx);
      expect(Array.from(f.subarray(Cg >> 2, (Cg >> 2) + M * N)).every((v) => Object.is(v, 0))).toBe(true);
    });
  }

  it('liveRows: the rows with any value other than ±0, tails and NaN included', () => {
    top = Math.ceil(k.heapBase() / 64) * 64;
    for (const cols of [1, 3, 4, 13, 128]) {
      const rows = 29, x = alloc(rows * cols), out = alloc(rows);
      const want: number[] = [];
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) f[(x >> 2) + r * cols + c] = r % 3 === 0 ? -0 : 0;
        if (r % 4 === 1) { f[(x >> 2) + r * cols + cols - 1] = r % 8 === 1 ? 0.25 : NaN; want.push(r); }
        else if (r % 5 === 2) { f[(x >> 2) + r * cols + (r % cols)] = -1e-30; want.push(r); }
      }
      const n = k.liveRows(x, rows, cols, out);
      expect(Array.from(i32.subarray(out >> 2, (out >> 2) + n)), `${cols} columns`).toEqual(want);
    }
  });
});

// whole steps on images that are 0 outside a band of pixel rows (as digits are 0 near their borders)
const N = 61, P = 53, K = 4;
const open: SimdTrainer[] = [];
beforeAll(async () => { await initBackend('wasm'); });
afterAll(async () => { for (const t of open) await t.close(); });

function images(seed: number): Uint8Array {
  const r = new Rng(seed);
  // every third pixel carries ink; pixel 7 only in every fifth image, the others in none
  return new Uint8Array(N * P).map((_, i) => { const p = i % P; return (p % 3 === 0 || (p === 7 && i % 5 === 0)) ? r.int(256) : 0; });
}

describe('CPU trainer step with the all-zero input rows skipped = the dense step, bit for bit', () => {
  for (const mode of ['vae', 'vhe', 'uvhe'] as Mode[]) {
    it(`${mode}: loss, every gradient, codes, the weights and Adam moments after two steps, an evaluation batch, one thread and two`, async () => {
      const shape: ModelShape = { mode, pixels: P, hidden: 21, zDim: 5, cDim: mode === 'vae' ? 0 : 3, logStdBound: 5 };
      const B = 13, m = 3, imgs = images(5);
      const labels = Int32Array.from({ length: N }, (_, i) => i % K);
      const rows = Int32Array.from({ length: B }, (_, i) => (i * 7 + 2) % N);
      const sub = mode === 'vae' ? null : sampleSubsets(rows, labels, buildClusterIndex(labels, K), K, m, false, true, new Rng(6));
      const runs = [];
      const gemm = vi.spyOn(Team.prototype, 'gemm');
      for (const [limit, threads] of [[0, 1], [1, 1], [1, 2]]) {
        gemm.mockClear();
        const params = createParams(shape, 5), opt = new Adam(params, 1e-3);
        const t = await SimdTrainer.create({ shape, params, opt, maxB: B, subsetSize: m, threads, images: imgs, liveRowLimit: limit,
          grain: 1, mainTakesPart: threads === 1 });
        open.push(t);
        const bb = new BatchBuilder(imgs, N, P, B, m, shape.zDim, shape.cDim);
        const rng = new Rng(11);
        const steps = [t.step(bb, rows, sub?.subsets ?? null, m, sub?.setSize ?? null, rng), t.step(bb, rows, sub?.subsets ?? null, m, sub?.setSize ?? null, rng)];
        const last = t.lossAndGradients(bb, rows, sub?.subsets ?? null, m, sub?.setSize ?? null, rng);
        // an evaluation batch (its pixels written by this thread): loss terms and latent-gradient norms
        const ev = t.evalBatch((host) => bb.buildHost(rows, sub?.subsets ?? null, m, sub?.setSize ?? null, new Rng(12), host), m);
        // forward and weight-gradient products of q(z|x) and (but in vae mode) q(c|D) in each of the three training
        // passes, and their forward products in the evaluation
        const encoders = mode === 'vae' ? 1 : 2;
        expect(gemm.mock.calls.filter(([g]: [GemmArgs]) => g.kIdx || g.nIdx).length, 'products through a live-row list').toBe(limit ? 7 * encoders : 0);
        t.sync();
        const st = opt.getState();
        const weights = Object.fromEntries(Object.keys(params).map((n) => [n, params[n].dataSync().slice() as Float32Array]));
        runs.push({ steps, last, ev, weights, m: st.m, v: st.v });
        await t.close();
        disposeParams(params);
      }
      gemm.mockRestore();
      const [dense, ...skipped] = runs;
      const u32 = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);
      // the dead pixels' columns of the first layers' gradients are 0, the others not
      for (const n of mode === 'vae' ? ['encZ/Wx'] : ['encZ/Wx', 'encC/W1']) {
        const g = dense.last.grads[n];
        expect(g.some((v) => v === 0) && g.some((v) => v !== 0), n).toBe(true);
      }
      for (const r of skipped) {
        for (let s = 0; s < 2; s++) {
          expect(r.steps[s].nonFinite).toBeNull();
          expect(r.steps[s].loss).toEqual(dense.steps[s].loss);
          expect(r.steps[s].codes).toEqual(dense.steps[s].codes);
          expect(r.steps[s].rates).toEqual(dense.steps[s].rates);
        }
        expect(r.last.loss).toEqual(dense.last.loss);
        expect(r.ev.loss).toEqual(dense.ev.loss);
        expect(r.ev.gz).toEqual(dense.ev.gz);
        expect(r.ev.gc).toEqual(dense.ev.gc);
        for (const n of Object.keys(dense.last.grads)) {
          expect(u32(r.last.grads[n]), `gradient of ${n}`).toEqual(u32(dense.last.grads[n]));
          expect(u32(r.weights[n]), `weights ${n}`).toEqual(u32(dense.weights[n]));
          expect(u32(r.m[n]), `m of ${n}`).toEqual(u32(dense.m[n]));
          expect(u32(r.v[n]), `v of ${n}`).toEqual(u32(dense.v[n]));
        }
      }
    });
  }
});
