// A team of threads for the CPU trainer: the main thread and threads−1 workers over one shared memory. Each
// operation is split into chunks that every member claims while any is left (protocol.ts), so a member that the
// OS has descheduled (a relabel running on the same cores) delays a step by at most the chunk it holds. With one
// thread everything runs inline. Results do not depend on the number of threads: a chunk computes its outputs
// exactly as a whole-range call would (row ranges of a product, element ranges of Adam).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TrainKernels } from './kernels.js';
import { CTL, Op, claimChunks, type TeamWorkerInit } from './protocol.js';

/** One product C (+)= op(A)·op(B) of row-major matrices at byte offsets; lda/ldb/ldc are row strides in floats. */
export interface GemmArgs {
  A: number; lda: number; transA?: boolean;
  B: number; ldb: number; transB?: boolean;
  C: number; ldc: number;
  M: number; N: number; K: number;
  accumulate?: boolean;
}

export interface TeamOptions {
  kernels: TrainKernels;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  threads: number;
  /** byte offsets: the control block, the packed-B buffer, and one gemm tile per thread */
  ctl: number;
  packed: number;
  tiles: number[];
}

export class Team {
  readonly threads: number;
  private readonly k: TrainKernels;
  private readonly ctl: Int32Array;
  private readonly ctlF: Float32Array;
  private readonly workers: Worker[] = [];
  private gen = 0;
  private readonly packed: number;
  private readonly tile: number;
  /** a worker's uncaught error: the next operation throws it (the step cannot complete without that worker) */
  private failed: Error | null = null;

  constructor(o: TeamOptions) {
    this.threads = o.threads;
    this.k = o.kernels;
    this.ctl = new Int32Array(o.memory.buffer, o.ctl, 32);
    this.ctlF = new Float32Array(o.memory.buffer, o.ctl, 32);
    this.packed = o.packed;
    this.tile = o.tiles[0];
    this.gen = Atomics.load(this.ctl, CTL.gen);
    if (o.threads > 1) {
      const url = new URL('./worker.ts', import.meta.url);
      // tsx's ESM API, registered inside the worker before its entry is imported (an --import hook is registered
      // too late for a worker's own entry module)
      const tsxApi = new URL('./dist/esm/api/index.mjs', pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json'))).href;
      const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
      for (let t = 1; t < o.threads; t++) {
        const init: TeamWorkerInit = { module: o.module, memory: o.memory, ctl: o.ctl, tile: o.tiles[t] };
        const w = new Worker(boot, { eval: true, workerData: init });
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

  /** Publishes op with its integer (and float) arguments over `chunks` chunks, takes part, and returns when done. */
  private run(op: Op, chunks: number, args: number[], fargs: number[] = []): void {
    const c = this.ctl;
    for (let i = 0; i < args.length; i++) c[CTL.args + i] = args[i];
    for (let i = 0; i < fargs.length; i++) this.ctlF[CTL.fargs + i] = fargs[i];
    c[CTL.op] = op;
    c[CTL.chunks] = chunks;
    Atomics.store(c, CTL.done, 0);
    const g = (this.gen = (this.gen + 1) & 0x7fff);
    Atomics.store(c, CTL.claim, g << 16);
    if (this.workers.length) { Atomics.store(c, CTL.gen, g); Atomics.notify(c, CTL.gen); }
    claimChunks(this.k, c, this.ctlF, g, this.tile);
    for (let d = Atomics.load(c, CTL.done), s = 0; d < chunks; d = Atomics.load(c, CTL.done), s++) {
      if (s > 2000) {
        if (this.failed) throw new Error(`cpu trainer: a worker thread failed: ${this.failed.message}`);
        Atomics.wait(c, CTL.done, d, 1);
      }
    }
  }

  private chunks(units: number): number {
    return this.threads === 1 ? 1 : Math.max(1, Math.min(units, this.threads * 4));
  }

  /** C[0..M, 0..N) (+)= op(A)·op(B). */
  gemm(g: GemmArgs): void {
    if (g.M <= 0 || g.N <= 0) return;
    const panels = (g.N + 7) >> 3;
    if (g.K > 0) this.run(Op.Pack, Math.min(panels, this.threads === 1 ? 1 : this.threads * 2), [g.B, g.ldb, g.transB ? 1 : 0, g.K, g.N, this.packed]);
    this.run(Op.Mm, this.chunks(Math.ceil(g.M / 4)), [g.A, g.lda, g.transA ? 1 : 0, this.packed, g.C, g.ldc, g.M, g.N, g.K, g.accumulate ? 1 : 0]);
  }

  /** Adam over n flat weights (adamRange's maths). */
  adam(w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, a: number, cb2: number, eps: number): void {
    this.run(Op.Adam, this.chunks(Math.ceil(n / 4096)), [w, g, m, v, n], [b1, b2, a, cb2, eps]);
  }

  /** d[i] = 0 where h[i] ≤ 0, over n elements. */
  reluBackward(d: number, h: number, n: number): void {
    this.run(Op.ReluBackward, this.chunks(Math.ceil(n / 4096)), [d, h, n]);
  }

  /** y[r, ·] += b[r] (then ReLU) over a [rows, cols] matrix. */
  biasAct(y: number, b: number, rows: number, cols: number, relu: boolean): void {
    this.run(Op.BiasAct, this.chunks(Math.ceil((rows * cols) / 4096)), [y, b, cols, rows, relu ? 1 : 0]);
  }

  /** Stops the workers (between operations: no chunk is in flight then). */
  async close(): Promise<void> {
    if (!this.workers.length) return;
    Atomics.store(this.ctl, CTL.quit, 1);
    Atomics.store(this.ctl, CTL.gen, (this.gen = (this.gen + 1) & 0x7fff));
    Atomics.notify(this.ctl, CTL.gen);
    // terminate rather than wait for an exit: the loader hooks tsx registered keep a worker's event loop alive
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
