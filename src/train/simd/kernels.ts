// The CPU trainer's view of the wasm module (assembly/gemm.ts, train-ops.ts, train-loss.ts, team.ts): the same
// build the clustering pool loads (the strict one: products rounded before each add, so every runtime gives the
// same bits), typed for the exports the trainer calls. Pointers are byte offsets into the trainer's shared memory.
import { compileKernels, createSharedMemory, instantiateKernels, simdUnavailableReason } from '../../cluster/kernels.js';

export interface TrainKernels {
  heapBase(): number;
  gemmPackedBytes(K: number, N: number): number;
  gemmTileBytes(): number;
  /** kIdx, nIdx, cIdx: i32 index lists (assembly/gemm.ts); left out, 0: none */
  gemmPack(B: number, ldb: number, transB: number, K: number, N: number, panelLo: number, panelHi: number, dst: number, kIdx?: number, nIdx?: number): void;
  gemmPacked(A: number, lda: number, transA: number, packed: number, C: number, ldc: number,
    lo: number, hi: number, N: number, K: number, accumulate: number, tile: number, kIdx?: number, cIdx?: number): void;
  liveRows(x: number, rows: number, cols: number, out: number): number;
  anyNonFinite(x: number, lo: number, hi: number): number;
  adamRange(w: number, g: number, m: number, v: number, lo: number, hi: number, b1: number, b2: number, a: number, cb2: number, eps: number): void;
  peakProbe(iters: number, seed: number): number;
  rowEpilogue(C: number, ldc: number, N: number, lo: number, hi: number, bias: number, relu: number, mask: number, rowsum: number, flag: number): void;
  headOut(y: number, b: number, sOut: number, eps: number, out: number, d: number, cols: number, lo: number, hi: number, bound: number): void;
  sampleBack(dOut: number, s: number, eps: number, dy: number, db: number, d: number, cols: number, lo: number, hi: number, bound: number): void;
  mixGather(hu: number, U: number, idx: number, m: number, w: number, hbar: number, B: number, lo: number, hi: number): void;
  mixScatter(dhbar: number, B: number, idx: number, m: number, w: number, dhu: number, hu: number, U: number, rowsum: number, lo: number, hi: number): void;
  bceRows(logits: number, x: number, dl: number, cols: number, lo: number, hi: number, invB: number, rowLoss: number, db: number): void;
  klZRows(yq: number, sq: number, yp: number, sp: number, dyq: number, dyp: number, d: number, cols: number, lo: number, hi: number,
    prior: number, invB: number, rowKl: number): void;
  klCRows(yc: number, sc: number, dy: number, inv: number, d: number, cols: number, lo: number, hi: number, invB: number, rowKl: number, rowKlW: number): void;
  /** the thread team (assembly/team.ts): claim and run chunks of generation gen; the protocol's slot hash */
  teamClaim(ctl: number, gen: number, tile: number): number;
  teamProtocol(): number;
}

export function compileTrainKernels(): Promise<WebAssembly.Module> {
  return compileKernels('strict');
}

export function instantiateTrainKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): TrainKernels {
  return instantiateKernels(module, memory) as unknown as TrainKernels;
}

export { createSharedMemory, simdUnavailableReason };
