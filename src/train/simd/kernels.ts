// The CPU trainer's view of the wasm module (assembly/gemm.ts, assembly/train-ops.ts): the same build the clustering
// pool loads (the strict one: products rounded before each add, so every runtime gives the same bits), typed for
// the exports the trainer calls. Pointers are byte offsets into the trainer's shared memory.
import { compileKernels, createSharedMemory, instantiateKernels, simdUnavailableReason } from '../../cluster/kernels.js';

export interface TrainKernels {
  heapBase(): number;
  gemmPackedBytes(K: number, N: number): number;
  gemmTileBytes(): number;
  gemmPack(B: number, ldb: number, transB: number, K: number, N: number, panelLo: number, panelHi: number, dst: number): void;
  gemmPacked(A: number, lda: number, transA: number, packed: number, C: number, ldc: number,
    lo: number, hi: number, N: number, K: number, accumulate: number, tile: number): void;
  biasAct(y: number, b: number, cols: number, lo: number, hi: number, relu: number): void;
  reluBackward(d: number, h: number, lo: number, hi: number): void;
  rowSums(x: number, cols: number, lo: number, hi: number, out: number): void;
  anyNonFinite(x: number, lo: number, hi: number): number;
  adamRange(w: number, g: number, m: number, v: number, lo: number, hi: number, b1: number, b2: number, a: number, cb2: number, eps: number): void;
  peakProbe(iters: number, seed: number): number;
}

export function compileTrainKernels(): Promise<WebAssembly.Module> {
  return compileKernels('strict');
}

export function instantiateTrainKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): TrainKernels {
  return instantiateKernels(module, memory) as unknown as TrainKernels;
}

export { createSharedMemory, simdUnavailableReason };
