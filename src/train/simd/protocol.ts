// The CPU trainer's thread protocol, declared once for both sides: the control block (an Int32Array over the
// trainer's shared memory), the operations a team of threads splits into chunks, and the one function that runs a
// chunk. The main thread writes an operation's arguments, publishes a new generation and claims chunks like every
// worker; a claim is a compare-exchange on a word holding (generation, next chunk), so a thread that wakes late
// can never run a chunk of an operation under another one's arguments.

/** What a worker gets at start-up (workerData). */
export interface TeamWorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** byte offset of the control block */
  ctl: number;
  /** byte offset of this worker's gemm tile (gemmTileBytes) */
  tile: number;
}

/** Int32 slots of the control block. */
export const CTL = {
  /** bumped (mod 2^16) to publish an operation; workers Atomics.wait on it */
  gen: 0,
  /** (gen << 16) | next unclaimed chunk */
  claim: 1,
  /** chunks finished in this generation; the main thread waits on it */
  done: 2,
  /** 1 asks the workers to exit */
  quit: 3,
  op: 4,
  /** workers that have instantiated the kernels and wait for work */
  ready: 6,
  chunks: 5,
  /** integer arguments from here (ARGS slots) */
  args: 8,
  /** float arguments (a Float32Array view) from here */
  fargs: 24,
} as const;
export const CTL_BYTES = 32 * 4;

export const enum Op {
  /** gemmPack over panels: B, ldb, transB, K, N, dst */
  Pack = 1,
  /** gemmPacked over rows: A, lda, transA, packed, C, ldc, M, N, K, accumulate */
  Mm = 2,
  /** adamRange over elements: w, g, m, v, n; floats b1, b2, a, cb2, eps */
  Adam = 3,
  /** reluBackward over elements: d, h, n */
  ReluBackward = 4,
  /** biasAct over rows: y, b, cols, rows, relu */
  BiasAct = 5,
}

/** Minimal kernel surface a chunk needs (the TrainKernels of either side). */
export interface ChunkKernels {
  gemmPack(B: number, ldb: number, transB: number, K: number, N: number, panelLo: number, panelHi: number, dst: number): void;
  gemmPacked(A: number, lda: number, transA: number, packed: number, C: number, ldc: number,
    lo: number, hi: number, N: number, K: number, accumulate: number, tile: number): void;
  adamRange(w: number, g: number, m: number, v: number, lo: number, hi: number, b1: number, b2: number, a: number, cb2: number, eps: number): void;
  reluBackward(d: number, h: number, lo: number, hi: number): void;
  biasAct(y: number, b: number, cols: number, lo: number, hi: number, relu: number): void;
}

/** [lo, hi) of chunk i of n over total units, boundaries multiples of align (the last takes the rest). */
export function chunkRange(total: number, n: number, i: number, align: number): [number, number] {
  const units = Math.ceil(total / align);
  const lo = Math.floor((units * i) / n) * align, hi = Math.floor((units * (i + 1)) / n) * align;
  return [Math.min(lo, total), i === n - 1 ? total : Math.min(hi, total)];
}

/** Total units an operation splits (rows, panels or elements) and their alignment. */
export function opUnits(op: Op, a: Int32Array): [number, number] {
  const x = CTL.args;
  switch (op) {
    case Op.Pack: return [(a[x + 4] + 7) >> 3, 1];
    case Op.Mm: return [a[x + 6], 4];
    case Op.Adam: return [a[x + 4], 64];
    case Op.ReluBackward: return [a[x + 2], 64];
    case Op.BiasAct: return [a[x + 3], 1];
  }
}

/** Runs chunk i of the operation in the control block (ctl, ctlF: views of it). */
export function runChunk(k: ChunkKernels, ctl: Int32Array, ctlF: Float32Array, i: number, tile: number): void {
  const op = ctl[CTL.op] as Op, n = ctl[CTL.chunks], x = CTL.args, f = CTL.fargs;
  const [total, align] = opUnits(op, ctl);
  const [lo, hi] = chunkRange(total, n, i, align);
  if (hi <= lo) return;
  switch (op) {
    case Op.Pack: k.gemmPack(ctl[x], ctl[x + 1], ctl[x + 2], ctl[x + 3], ctl[x + 4], lo, hi, ctl[x + 5]); break;
    case Op.Mm: k.gemmPacked(ctl[x], ctl[x + 1], ctl[x + 2], ctl[x + 3], ctl[x + 4], ctl[x + 5], lo, hi, ctl[x + 7], ctl[x + 8], ctl[x + 9], tile); break;
    case Op.Adam: k.adamRange(ctl[x], ctl[x + 1], ctl[x + 2], ctl[x + 3], lo, hi, ctlF[f], ctlF[f + 1], ctlF[f + 2], ctlF[f + 3], ctlF[f + 4]); break;
    case Op.ReluBackward: k.reluBackward(ctl[x], ctl[x + 1], lo, hi); break;
    case Op.BiasAct: k.biasAct(ctl[x], ctl[x + 1], ctl[x + 2], lo, hi, ctl[x + 4]); break;
  }
}

/** Claims and runs chunks of the current generation `gen` until none is left; returns how many it ran. */
export function claimChunks(k: ChunkKernels, ctl: Int32Array, ctlF: Float32Array, gen: number, tile: number): number {
  let ran = 0;
  for (;;) {
    const cur = Atomics.load(ctl, CTL.claim);
    if (cur >>> 16 !== gen) return ran;
    const i = cur & 0xffff;
    if (i >= ctl[CTL.chunks]) return ran;
    if (Atomics.compareExchange(ctl, CTL.claim, cur, cur + 1) !== cur) continue;
    runChunk(k, ctl, ctlF, i, tile);
    ran++;
    if (Atomics.add(ctl, CTL.done, 1) + 1 === ctl[CTL.chunks]) Atomics.notify(ctl, CTL.done);
  }
}
