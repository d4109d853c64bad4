// A team of threads for the CPU trainer: the main thread and threads−1 workers (worker.mjs) over one shared
// memory. Each operation is split into chunks that every member claims while any is left (protocol.ts; the claim
// loop is the wasm module's teamClaim), so a member that the OS has descheduled (a relabel running on the same
// cores) delays a step by at most the chunk it holds. With one thread everything runs inline. Results do not
// depend on the number of threads: a chunk computes its outputs exactly as a whole-range call would (whole rows
// of every row operation, whole elements of Adam), and no sum runs across chunks.
import { Worker } from 'node:worker_threads';
import type { TrainKernels } from './kernels.js';
import { CTL, CTL_WORDS, Op, PROTOCOL_HASH, type OpArgs, type TeamWorkerInit } from './protocol.js';

/** One product C (+)= op(A)·op(B) of row-major matrices at byte offsets; lda/ldb/ldc are row strides in floats.
 *  The epilogue (assembly/train-ops.ts rowEpilogue) runs on each chunk's rows right after its product. */
export interface GemmArgs {
  A: number; lda: number; transA?: boolean;
  B: number; ldb: number; transB?: boolean;
  C: number; ldc: number;
  M: number; N: number; K: number;
  accumulate?: boolean;
  /** + bias[row] (a [M] vector), then max(·, 0) */
  bias?: number; relu?: boolean;
  /** zero where mask[row, col] ≤ 0 (a ReLU's output, stride ldc), then row sums into rowsum [M] */
  mask?: number; rowsum?: number;
  /** set the i32 at flag to 1 when C holds a NaN or ±Inf */
  flag?: number;
  /** ascending i32 index lists (assembly/gemm.ts) at these byte offsets. kIdx [K]: only these k (op(B)'s rows,
   *  op(A)'s columns), the other terms being known to be 0. nIdx [N]: only these columns of op(B) and of C, op(B)'s
   *  other columns being known to be 0, so C's are set to 0 (C's rows are then ldc wide; with N = 0 C is cleared) */
  kIdx?: number; nIdx?: number;
}

/** The claim word's chunk field while an operation is being published: above any chunk count, so nothing claims. */
const CLAIM_CLOSED = 0xffff;

/** Polls of the generation word before a worker sleeps (see worker.mjs). */
const SPIN = 20000;

export interface TeamOptions {
  kernels: TrainKernels;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  threads: number;
  /** byte offsets: the control block, the packed-B buffer, and one gemm tile per thread */
  ctl: number;
  packed: number;
  tiles: number[];
  /** smallest work (about flops or elements) worth a chunk of its own: below it a waking thread costs more than it
   *  saves (default 16384; the tests use 1 to split every operation) */
  grain?: number;
  /** false: this thread only publishes and waits, the workers run every chunk (the tests' way to make sure the
   *  workers' results are the ones checked) */
  mainTakesPart?: boolean;
}

export class Team {
  readonly threads: number;
  private readonly k: TrainKernels;
  private readonly ctl: Int32Array;
  private readonly ctlAt: number;
  private readonly ctlF: Float32Array;
  private readonly workers: Worker[] = [];
  private gen = 0;
  private readonly packed: number;
  private readonly tile: number;
  private readonly grain: number;
  private readonly mainTakesPart: boolean;
  /** chunks run in all, and by this thread (the rest ran on workers) */
  chunksAll = 0;
  chunksMain = 0;
  /** a worker's uncaught error: the next operation throws it (the step cannot complete without that worker) */
  private failed: Error | null = null;

  constructor(o: TeamOptions) {
    this.threads = o.threads;
    this.k = o.kernels;
    this.ctl = new Int32Array(o.memory.buffer, o.ctl, CTL_WORDS);
    this.ctlAt = o.ctl;
    this.ctlF = new Float32Array(o.memory.buffer, o.ctl, CTL_WORDS);
    this.packed = o.packed;
    this.tile = o.tiles[0];
    this.grain = o.grain ?? 16384;
    this.mainTakesPart = o.mainTakesPart ?? true;
    if (!this.mainTakesPart && o.threads < 2) throw new Error('cpu trainer: mainTakesPart false needs a worker thread');
    this.gen = Atomics.load(this.ctl, CTL.gen);
    const proto = o.kernels.teamProtocol();
    if (proto !== PROTOCOL_HASH) throw new Error(`cpu trainer: build/uvhe.wasm speaks team protocol ${proto}, expected ${PROTOCOL_HASH}; run npm run build:wasm`);
    if (o.threads > 1) {
      // plain JavaScript (no TypeScript loader, so no execArgv: it would only slow the start)
      const url = new URL('./worker.mjs', import.meta.url);
      for (let t = 1; t < o.threads; t++) {
        const init: TeamWorkerInit = {
          module: o.module, memory: o.memory, ctl: o.ctl, words: CTL_WORDS, tile: o.tiles[t],
          slots: { gen: CTL.gen, quit: CTL.quit, ready: CTL.ready }, spin: SPIN,
        };
        const w = new Worker(url, { workerData: init, execArgv: [] });
        w.unref(); // a team that was never closed must not keep the process alive
        w.on('error', (e) => { this.failed ??= e; });
        this.workers.push(w);
      }
    }
  }

  /** Resolves once every worker has started (a step before that would simply run on fewer threads). */
  async ready(): Promise<void> {
    const want = this.workers.length;
    for (;;) {
      if (this.failed) throw new Error(`cpu trainer: a worker thread failed to start: ${this.failed.message}`);
      const r = Atomics.load(this.ctl, CTL.ready);
      if (r >= want) return;
      await new Promise((res) => setTimeout(res, 5));
    }
  }

  /** Publishes op over `chunks` chunks of `units` (boundaries multiples of align), takes part, returns when done. */
  private run<O extends keyof OpArgs>(op: O, units: number, align: number, chunks: number, ints: OpArgs[O]['ints'], floats: OpArgs[O]['floats']): void {
    const c = this.ctl;
    const g = (this.gen = (this.gen + 1) & 0x7fff);
    // Close the claim word before touching the arguments: a thread still in the last operation's claim loop may
    // have read its claim word and be about to read the chunk count; with the word closed its compare-exchange
    // fails, so it can never run (and count) a chunk of this operation under a stale claim.
    Atomics.store(c, CTL.claim, (g << 16) | CLAIM_CLOSED);
    for (let i = 0; i < ints.length; i++) c[CTL.args + i] = ints[i];
    for (let i = 0; i < floats.length; i++) this.ctlF[CTL.fargs + i] = floats[i];
    c[CTL.op] = op;
    c[CTL.units] = units;
    c[CTL.align] = align;
    c[CTL.chunks] = chunks;
    Atomics.store(c, CTL.done, 0);
    Atomics.store(c, CTL.claim, g << 16);
    if (this.workers.length) { Atomics.store(c, CTL.gen, g); Atomics.notify(c, CTL.gen); }
    if (this.mainTakesPart) this.chunksMain += this.k.teamClaim(this.ctlAt, g, this.tile);
    this.chunksAll += chunks;
    for (let d = Atomics.load(c, CTL.done), s = 0; d < chunks; d = Atomics.load(c, CTL.done), s++) {
      if (s > 2000) {
        if (this.failed) throw new Error(`cpu trainer: a worker thread failed: ${this.failed.message}`);
        Atomics.wait(c, CTL.done, d, 1);
      }
    }
  }

  /** Chunks for `units` units of about `cost` each: up to 4 per thread, none much under `grain`. */
  private chunks(units: number, cost = 1): number {
    if (this.threads === 1) return 1;
    return Math.max(1, Math.min(units, this.threads * 4, Math.ceil((units * cost) / this.grain)));
  }

  /** C[0..M, 0..N) (+)= op(A)·op(B), then the epilogue. */
  gemm(g: GemmArgs): void {
    if (g.M <= 0 || (g.N <= 0 && !g.nIdx)) return;
    const panels = (g.N + 7) >> 3, kIdx = g.kIdx ?? 0, nIdx = g.nIdx ?? 0;
    if (g.K > 0 && panels > 0) this.run(Op.Pack, panels, 1, this.chunks(panels, 8 * g.K), [g.B, g.ldb, g.transB ? 1 : 0, g.K, g.N, this.packed, kIdx, nIdx], []);
    this.run(Op.Mm, g.M, 4, this.chunks(Math.ceil(g.M / 4), 4 * Math.max(1, g.N) * Math.max(1, g.K)), [g.A, g.lda, g.transA ? 1 : 0, this.packed, g.C, g.ldc, g.N, g.K,
      g.accumulate ? 1 : 0, g.bias ?? 0, g.relu ? 1 : 0, g.mask ?? 0, g.rowsum ?? 0, g.flag ?? 0, kIdx, nIdx], []);
  }

  /** Adam over n flat weights (adamRange's maths). */
  adam(w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, a: number, cb2: number, eps: number): void {
    this.run(Op.Adam, n, 64, this.chunks(Math.ceil(n / 64), 64), [w, g, m, v], [b1, b2, a, cb2, eps]);
  }

  /** Row operations of the step (assembly/train-ops.ts, train-loss.ts): rows units of `cols` columns each. */
  rows<O extends Op.HeadOut | Op.SampleBack | Op.Bce | Op.KlZ | Op.KlC | Op.MixGather | Op.MixScatter | Op.Gather>(op: O, rows: number, cols: number, ints: OpArgs[O]['ints'], floats: OpArgs[O]['floats']): void {
    if (rows > 0) this.run(op, rows, 1, this.chunks(rows, cols), ints, floats);
  }

  /** Stops the workers (between operations: no chunk is in flight then). */
  async close(): Promise<void> {
    if (!this.workers.length) return;
    Atomics.store(this.ctl, CTL.quit, 1);
    Atomics.store(this.ctl, CTL.gen, (this.gen = (this.gen + 1) & 0x7fff));
    Atomics.notify(this.ctl, CTL.gen);
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
