// PoolEngine: the ClusterEngine over one shared WebAssembly.Memory and a Piscina pool of SIMD workers.
// Calls are queued in issue order on one chain (so a sample sees every earlier write); only the O(n·k·d)
// assignment inside relabel() is split across workers by row ranges. sample() returns at once (prefetch).
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import type { ClusterEngine, ClusterEngineOptions, EngineSnapshot, GraphRelabelOptions, RelabelOptions, RelabelResult, SubsetBatch } from './engine.js';
import type { GraphRule } from './graph.js';
import { TaskRunner, firstNeighbours } from './exec.js';
import { compileKernels, createSharedMemory, instantiateKernels, resolveKernelVariant, type Kernels } from './kernels.js';
import { layoutViews, planLayout, rowRanges, type Layout, type LayoutViews } from './layout.js';
import type { ResultOf, Task, WorkerInit } from './protocol.js';
import {
  Rng, STREAM, checkSample, checkSnapshot, checkWrite, deriveSeed, dimWeights, initialCodes, randomInit,
  adoptLabels, sampleSubsets, validateEngineOptions,
} from './reference.js';

/** Extra knobs for the pool (tests and benchmarks); the defaults suit training. */
export interface PoolOptions {
  /** rows per batch slot (default max(batchSize, 512)) */
  batchCap?: number;
  /** max |D| per sample slot (default 64; larger m is sampled in TS on the same RNG stream) */
  mCap?: number;
  /** batch slots per ring (default 4) */
  ring?: number;
  /** split an assignment across workers when 2·n·k·d exceeds this many flops (default 2e7) */
  splitFlops?: number;
  /** skip the initial fit (codes N(0,1), centroids seeded, labels assigned once) — benchmarks only */
  skipInitialFit?: boolean;
  /** initial codes (n×d) instead of N(0,1) draws, or a function that fills the store in place — tests, benchmarks */
  codes?: Float32Array | ((store: Float32Array) => void);
  /** keep Hamerly bounds across assignment passes and skip rows whose label cannot change (default true; exact:
   *  labels, distances and centroids are bit-identical to the brute-force passes) */
  bounds?: boolean;
}

/** What the assignment passes of the last relabel (or assignPass) did. */
export interface PassStats {
  /** assignment passes over the whole store */
  passes: number;
  /** rows whose distances to every centre were computed, summed over the passes (n·passes without bounds) */
  scored: number;
  /** n·passes */
  rows: number;
}

/**
 * A big pass is cut into up to this many row chunks per worker, queued on the pool: a worker that other processes
 * slow down (this machine is shared) takes fewer chunks instead of holding up the whole pass. Each chunk has its
 * own partial-sum slot, reduced by lloydFinish.
 */
const CHUNKS_PER_WORKER = 4;
/** ...but a chunk keeps at least this many flops (~2 ms), so the ~50 µs per task stays negligible. */
const MIN_CHUNK_FLOPS = 5e7;

/** Where the worker module is and how Node must load it (tsx's loader for a .ts file). */
function workerSpec(): { filename: string; execArgv: string[] } {
  const url = new URL('./worker.ts', import.meta.url);
  const req = createRequire(import.meta.url);
  return { filename: url.href, execArgv: ['--import', pathToFileURL(req.resolve('tsx')).href] };
}

/** A promise that adds to `sink` the time between the first await/then on it and its settlement. */
function trackWait<T>(p: Promise<T>, sink: (ms: number) => void): Promise<T> {
  let settled = false;
  let waitingSince = -1;
  const done = (): void => {
    settled = true;
    if (waitingSince >= 0) sink(performance.now() - waitingSince);
  };
  p.then(done, done);
  const origThen = p.then.bind(p);
  // `await p` on a native promise skips an own `then`; hiding `constructor` makes await go through it.
  Object.defineProperty(p, 'constructor', { value: undefined });
  Object.defineProperty(p, 'then', {
    value: (a?: (v: T) => unknown, b?: (e: unknown) => unknown) => {
      if (!settled && waitingSince < 0) waitingSince = performance.now();
      return origThen(a, b);
    },
  });
  return p;
}

const MAX_WORKER_RESTARTS = 16;

export class PoolEngine implements ClusterEngine {
  readonly kind = 'wasm-simd-pool';
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly views: LayoutViews;
  private tail: Promise<unknown> = Promise.resolve();
  private failure: unknown = null;
  private indexDirty = false;
  /** While a background relabel runs: the labels and cluster index it started from, which sample() draws from, and
   *  the rest of the clustering state as it was then, which snapshot() returns (the relabel rewrites it in place). */
  private frozen: {
    labels: Int32Array; offsets: Int32Array; members: Int32Array;
    centroids: Float32Array; dist: Float32Array; counts: Int32Array; onlineCounts: Int32Array; rngKmeans: Uint32Array;
  } | null = null;
  /** Writes issued but not yet applied to the store, oldest first. While a background relabel holds the queue,
   *  readCodes() and snapshot() lay them over the store instead of waiting behind the relabel for them. */
  private readonly unapplied: { rows: Int32Array; codes: Float32Array }[] = [];
  private waitMs = 0;
  private closed = false;
  private readonly freeWriteSlots: number[];
  private readonly splitFlops: number;
  private readonly sampleRng: Rng;
  private readonly kmRng: Rng;
  private readonly useBounds: boolean;
  /** the upper/lower arrays hold valid bounds for the current labels (relative to the bounds' centroids) */
  private boundsValid = false;
  /** counters of the last relabel / assignPass */
  lastPass: PassStats = { passes: 0, scored: 0, rows: 0 };

  private constructor(
    readonly opts: ClusterEngineOptions,
    readonly layout: Layout,
    readonly memory: WebAssembly.Memory,
    readonly kernels: Kernels,
    private readonly local: TaskRunner,
    private readonly pool: Piscina,
    readonly workers: number,
    popts: PoolOptions,
    /** the kernel build in use: "relaxed" (fused multiply-adds) or "strict" */
    readonly simd: 'relaxed' | 'strict',
  ) {
    this.n = opts.n;
    this.d = opts.dz + opts.dc;
    this.k = opts.k;
    this.views = layoutViews(layout, memory.buffer);
    this.freeWriteSlots = layout.writeSlots.map((_, i) => i);
    this.splitFlops = popts.splitFlops ?? 2e7;
    this.sampleRng = new Rng(this.views.rngSample);
    this.kmRng = new Rng(this.views.rngKmeans);
    this.useBounds = popts.bounds ?? true;
  }

  /** Build the memory, the workers, the initial codes and the initial fit. */
  static async create(opts: ClusterEngineOptions, popts: PoolOptions = {}): Promise<PoolEngine> {
    const d = validateEngineOptions(opts);
    const simd = resolveKernelVariant(opts.simd ?? 'auto');
    const module = await compileKernels(simd);
    const probe = instantiateKernels(module, createSharedMemory(1));
    const workers = Math.max(1, opts.workers);
    const layout = planLayout({
      n: opts.n, d, k: opts.k, parts: workers * CHUNKS_PER_WORKER,
      batchCap: popts.batchCap ?? Math.max(opts.batchSize, 512), mCap: popts.mCap ?? 64, ring: popts.ring ?? 4,
      kmeansPP: true, // scratch for k-means++ seeding: the first fit and relabel restarts
      knnK: opts.knnK ?? 0,
    }, probe.heapBase());
    const memory = createSharedMemory(layout.pages);
    const kernels = instantiateKernels(module, memory);
    const local = new TaskRunner(kernels, layout, memory);
    const init: WorkerInit = { memory, module, layout };
    const spec = workerSpec();
    const pool = new Piscina({
      filename: spec.filename, execArgv: spec.execArgv, workerData: init,
      minThreads: workers, maxThreads: workers, idleTimeout: 2 ** 31 - 1, concurrentTasksPerWorker: 1,
    });
    const e = new PoolEngine(opts, layout, memory, kernels, local, pool, workers, popts, simd);
    try {
      await e.initialise(popts);
    } catch (err) {
      await pool.destroy();
      throw err;
    }
    return e;
  }

  private async initialise(popts: PoolOptions): Promise<void> {
    const { opts, views } = this;
    if (typeof popts.codes === 'function') popts.codes(views.codes);
    else views.codes.set(popts.codes ?? initialCodes(opts));
    views.weights.set(dimWeights(opts.dz, opts.dc, opts.weights.z, opts.weights.c));
    Rng.seedState(views.rngSample, deriveSeed(opts.seed, STREAM.sample));
    Rng.seedState(views.rngKmeans, deriveSeed(opts.seed, STREAM.kmeans));
    views.labels.fill(-1);
    if (opts.init === 'kmeans++' && !popts.skipInitialFit) await this.exec({ op: 'kmeans++' });
    else {
      randomInit(views.codes, this.n, this.d, this.k, this.kmRng, views.centroids);
      this.local.run({ op: 'prepare' });
    }
    await this.fit(popts.skipInitialFit ? 0 : opts.iters);
  }

  /** Run one task on a worker. */
  /** Run a task on a worker. If the worker dies under it, Piscina starts a replacement (minThreads), and the
   *  task runs again there: everything lives in the shared memory, which outlives any worker, and every task
   *  is safe to repeat (assign re-zeroes its partial sums; bounds only loosen; writes and the index are
   *  overwritten; a repeated sample draws afresh). Gives up after MAX_WORKER_RESTARTS deaths in one engine. */
  private async exec<T extends Task>(task: T): Promise<ResultOf<T>> {
    for (;;) {
      try {
        return await (this.pool.run(task) as Promise<ResultOf<T>>);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (this.closed || !/worker exited|terminat/i.test(msg)) throw err;
        this.workerRestarts++;
        if (this.workerRestarts > MAX_WORKER_RESTARTS) {
          throw new Error(`cluster: a pool worker died ${this.workerRestarts} times (last: ${msg}); giving up`);
        }
      }
    }
  }

  /** How many times a worker died and its task was re-run (logged per epoch as pool/workerRestarts). */
  workerRestarts = 0;

  /** Queue fn after every earlier call; failures reject fn's promise and do not stop the queue. */
  private enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private live(): void {
    if (this.closed) throw new Error('ClusterEngine is closed');
    if (this.failure !== null) {
      const f = this.failure;
      this.failure = null;
      throw f instanceof Error ? f : new Error(String(f));
    }
  }

  /**
   * One parallel assignment pass: split by rows when it is worth the dispatch cost (or into `force` parts).
   * bounds: use (or first record) the Hamerly bounds; the drift of the centres since the bounds' centroids is
   * computed here on the main thread (O(k·d)) before the rows are dispatched.
   */
  private async assignAll(accumulate: boolean, force?: number, bounds = this.useBounds): Promise<{ inertia: number; changed: number; parts: number }> {
    const flops = 2 * this.n * this.k * this.d;
    const chunks = Math.max(this.workers, Math.min(this.workers * CHUNKS_PER_WORKER, Math.floor(flops / MIN_CHUNK_FLOPS)));
    const parts = force ?? (flops >= this.splitFlops ? Math.min(chunks, Math.ceil(this.n / 4)) : 1);
    const ranges = rowRanges(this.n, parts);
    let mode: 'off' | 'record' | 'use' = 'off';
    if (bounds) {
      mode = this.boundsValid ? 'use' : 'record';
      this.local.run({ op: 'drift' });
    }
    this.boundsValid = false; // until every part has landed
    const res = await Promise.all(ranges.map(([lo, hi], part) => this.exec({ op: 'assign', lo, hi, part, accumulate, bounds: mode })));
    if (bounds) this.boundsValid = true;
    let inertia = 0, changed = 0, scored = 0;
    for (const r of res) { inertia += r.inertia; changed += r.changed; scored += r.scored; }
    this.lastPass.passes++;
    this.lastPass.scored += scored;
    this.lastPass.rows += this.n;
    return { inertia, changed, parts: ranges.length };
  }

  /** Lloyd iterations (stop once nothing changes), final assignment, re-seeding, index. */
  private async fit(iters: number, bounds = this.useBounds): Promise<{ inertia: number; reseeded: number }> {
    let reseeded = 0;
    this.lastPass = { passes: 0, scored: 0, rows: 0 };
    for (let it = 0; it < iters; it++) {
      const deaths = this.workerRestarts;
      const a = await this.assignAll(true, undefined, bounds);
      const f = await this.exec({ op: 'finish', parts: a.parts });
      reseeded += f.reseeded;
      // labels equal to the ones the current means came from: converged (never at it=0: the stored labels come
      // from the previous final assignment, not from the means — the same rule as kmeansFit in reference.ts).
      // Not after a worker died in this pass: its re-run compared against labels the dead worker had already
      // partly rewritten, so its change count is too low to prove convergence.
      if (it > 0 && a.changed === 0 && f.reseeded === 0 && this.workerRestarts === deaths) break;
    }
    const a = await this.assignAll(false, undefined, bounds);
    const z = await this.exec({ op: 'finalize' });
    this.indexDirty = false;
    return { inertia: a.inertia + z.inertiaDelta, reseeded: reseeded + z.reseeded };
  }

  writeCodes(rows: Int32Array, codes: Float32Array): void {
    this.live();
    const B = checkWrite(rows, codes, this.n, this.d);
    const cap = this.layout.params.batchCap;
    for (let lo = 0; lo < B; lo += cap) {
      const hi = Math.min(B, lo + cap);
      this.queueWrite(rows.subarray(lo, hi), codes.subarray(lo * this.d, hi * this.d));
    }
  }

  private queueWrite(rows: Int32Array, codes: Float32Array): void {
    const B = rows.length;
    const online = this.opts.refit === 'online';
    // A JS copy stays in `unapplied` until the write lands (B×d f32: 20 KB for a 128-row batch of 40-d codes), and
    // goes into a free ring slot now, or, when the ring is full, once one frees.
    const entry = { rows: rows.slice(), codes: codes.slice() };
    this.unapplied.push(entry);
    let slot = this.freeWriteSlots.pop();
    const fill = (s: number): void => {
      const ws = this.layout.writeSlots[s];
      new Int32Array(this.memory.buffer, ws.rows, B).set(entry.rows);
      new Float32Array(this.memory.buffer, ws.codes, B * this.d).set(entry.codes);
    };
    if (slot !== undefined) fill(slot);
    if (online) this.indexDirty = true;
    void this.enqueue(async () => {
      if (slot === undefined) {
        slot = this.freeWriteSlots.pop()!; // the queue is serial, so a slot is free by now
        fill(slot);
      }
      try {
        await this.exec({ op: 'write', slot, B, online });
      } finally {
        this.freeWriteSlots.push(slot);
        // (writes land in issue order, so this is the oldest entry)
        const i = this.unapplied.indexOf(entry);
        if (i >= 0) this.unapplied.splice(i, 1);
      }
    }).catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  /** Before a background relabel: freeze what the sampler reads now (false if one is running already). Nothing
   *  queued before changes labels or the index unless the refit is online; an online index is rebuilt lazily, so
   *  it is rebuilt here, on this thread, before the copy. */
  private freeze(): boolean {
    if (this.frozen) return false;
    const v = this.views;
    if (this.indexDirty) { this.local.run({ op: 'index' }); this.indexDirty = false; }
    this.frozen = {
      labels: v.labels.slice(), offsets: v.offsets.slice(), members: v.members.slice(),
      centroids: v.centroids.slice(), dist: v.dist.slice(), counts: v.counts.slice(), onlineCounts: v.onlineCounts.slice(),
      rngKmeans: v.rngKmeans.slice(),
    };
    return true;
  }

  /** n×d: the store as every write issued so far leaves it, without queueing (the store, then the writes not yet
   *  applied laid over it in issue order; a write a worker is applying right now is laid over its own rows). */
  private latestCodes(): Float32Array {
    const out = this.views.codes.slice();
    const d = this.d;
    for (const w of this.unapplied) {
      for (let i = 0; i < w.rows.length; i++) out.set(w.codes.subarray(i * d, (i + 1) * d), w.rows[i] * d);
    }
    return out;
  }

  /** Full refit (the contract's relabel). opts.bounds overrides PoolOptions.bounds for this call (same results).
   *  dimWeights replace the distance weights (the bounds are then stale and get re-recorded); restarts add fits
   *  from fresh k-means++ seeds, and the lowest inertia wins (its state is kept, the others' discarded). */
  relabel(opts: RelabelOptions & { bounds?: boolean } = {}): Promise<RelabelResult> {
    try { this.live(); } catch (e) { return Promise.reject(e); }
    if (opts.dimWeights && opts.dimWeights.length !== this.d) return Promise.reject(new Error(`cluster: dimWeights has ${opts.dimWeights.length} values, expected d=${this.d}`));
    if (opts.background && !this.freeze()) return Promise.reject(new Error('cluster: a background relabel is already running'));
    const run = this.enqueue(async () => {
      const t0 = performance.now();
      const v = this.views;
      if (opts.dimWeights) {
        v.weights.set(opts.dimWeights);
        this.local.run({ op: 'prepare' });
        this.boundsValid = false;
      }
      const bounds = opts.bounds ?? this.useBounds;
      const warm = opts.warmStart !== false;
      const fresh = (opts.restarts ?? 0) + (warm ? 0 : 1);
      let best: { inertia: number; reseeded: number; saved: null | { centroids: Float32Array; labels: Int32Array; dist: Float32Array; counts: Int32Array } } | null = null;
      const keep = () => ({ centroids: v.centroids.slice(), labels: v.labels.slice(), dist: v.dist.slice(), counts: v.counts.slice() });
      if (warm) best = { ...(await this.fit(this.opts.iters, bounds)), saved: null };
      for (let r = 0; r < fresh; r++) {
        if (best && best.saved === null) best.saved = keep(); // the current winner lives in the views: save it first
        this.boundsValid = false;
        await this.exec({ op: 'kmeans++' });
        const f = await this.fit(this.opts.iters, bounds);
        if (!best || f.inertia < best.inertia) best = { ...f, saved: null };
      }
      if (best!.saved) {
        // an earlier candidate won: put it back, with its index and centroid panels
        const b = best!.saved;
        v.centroids.set(b.centroids); v.labels.set(b.labels); v.dist.set(b.dist); v.counts.set(b.counts);
        v.onlineCounts.set(b.counts);
        this.local.run({ op: 'prepare' });
        this.local.run({ op: 'index' });
        this.boundsValid = false;
      }
      return {
        labels: v.labels.slice(), sizes: v.counts.slice(), inertia: best!.inertia, reseeded: best!.reseeded,
        ms: performance.now() - t0,
      };
    });
    if (!opts.background) return run;
    // Thaw when the refit lands (or fails): later samples queue behind it and see its labels and index.
    return run.finally(() => { this.frozen = null; });
  }

  /** The K nearest other rows of every row (weighted squared L2 with dimWeights, which also become the clustering's
   *  weights, as in relabel), ascending, split by rows over the workers. K may be at most the knnK the engine was
   *  created with: the pass always finds knnK, and each row's first K of them are its K nearest (the lists are
   *  sorted, ties kept in scan order, so they are the very neighbours a pass at K finds). idx and dist are n×K
   *  copies. */
  knn(K: number, dimWeights?: Float32Array): Promise<{ idx: Int32Array; dist: Float64Array }> {
    try { this.live(); } catch (e) { return Promise.reject(e); }
    const KK = this.layout.params.knnK ?? 0;
    if (!(K >= 1 && K <= KK && K < this.n)) return Promise.reject(new Error(`cluster: knn(${K}) needs the engine created with knnK >= ${K} (it has ${KK}) and 1 <= K < n`));
    if (dimWeights && dimWeights.length !== this.d) return Promise.reject(new Error(`cluster: dimWeights has ${dimWeights.length} values, expected d=${this.d}`));
    // (no trackWait: the caller awaits it inside its own relabel timing)
    return this.enqueue(async () => {
      await this.knnNow(KK, dimWeights);
      return firstNeighbours(this.memory.buffer, this.layout.knnIdx, this.layout.knnDist, this.n, KK, K);
    });
  }

  /** knn into the shared knnIdx/knnDist (n×knnK), inside the queue. */
  private async knnNow(K: number, dimWeights?: Float32Array): Promise<void> {
    if (dimWeights) {
      this.views.weights.set(dimWeights);
      this.local.run({ op: 'prepare' });
      this.boundsValid = false;
    }
    this.local.run({ op: 'knnPrepare' });
    // scratch slot = chunk index, so at most `parts` chunks
    const ranges = rowRanges(this.n, Math.min(this.layout.params.parts, Math.max(1, Math.ceil(this.n / 64))));
    await Promise.all(ranges.map(([lo, hi], part) => this.exec({ op: 'knn', lo, hi, part, K })));
  }

  assignLabels(labels: Int32Array, dimWeights?: Float32Array): Promise<RelabelResult> {
    try { this.live(); } catch (e) { return Promise.reject(e); }
    if (labels.length !== this.n) return Promise.reject(new Error(`cluster: assignLabels got ${labels.length} labels, expected n=${this.n}`));
    if (dimWeights && dimWeights.length !== this.d) return Promise.reject(new Error(`cluster: dimWeights has ${dimWeights.length} values, expected d=${this.d}`));
    const own = labels.slice();
    return this.enqueue(() => {
      const t0 = performance.now();
      if (dimWeights) this.views.weights.set(dimWeights);
      return { ...this.adopt(own), ms: performance.now() - t0 };
    });
  }

  /** labels → the engine state (means, sizes, distances, panel, index), on this thread; inside the queue. */
  private adopt(labels: Int32Array): Omit<RelabelResult, 'ms'> {
    const v = this.views;
    const unit = v.weights.every((x) => x === 1);
    const inertia = adoptLabels(v.codes, this.n, this.d, this.k, labels, unit ? null : v.weights, v);
    v.onlineCounts.set(v.counts);
    this.local.run({ op: 'prepare' });
    this.local.run({ op: 'index' });
    this.boundsValid = false;
    this.indexDirty = false;
    return { labels: v.labels.slice(), sizes: v.counts.slice(), inertia, reseeded: 0 };
  }

  /**
   * Graph relabel (spectral or umap) entirely on the pool: the neighbour graph (SIMD knn, split over the workers),
   * then the embedding and its fits (src/cluster/graph.ts) on one worker, then the labels adopted as by
   * assignLabels. The same labels as graphLabels on this thread with the pool's neighbours. background: as in relabel (the
   * sampler draws from frozen labels meanwhile, writes wait), so the trainer need not wait for any of it.
   */
  graphRelabelOnPool(o: GraphRelabelOptions): Promise<RelabelResult> {
    try { this.live(); } catch (e) { return Promise.reject(e); }
    const KK = this.layout.params.knnK ?? 0;
    if (!(o.K >= 1 && o.K <= KK && o.K < this.n)) return Promise.reject(new Error(`cluster: graphRelabelOnPool needs the engine created with knnK >= ${o.K} (it has ${KK}) and 1 <= K < n`));
    if (o.dimWeights && o.dimWeights.length !== this.d) return Promise.reject(new Error(`cluster: dimWeights has ${o.dimWeights.length} values, expected d=${this.d}`));
    if (o.background && !this.freeze()) return Promise.reject(new Error('cluster: a background relabel is already running'));
    // one queue entry for the whole refit, so writes issued meanwhile land after it (one consistent store)
    const run = this.enqueue(async () => {
      const t0 = performance.now();
      await this.knnNow(KK, o.dimWeights);
      const rule: GraphRule = { embed: o.embed ?? 'spectral', K: o.K, dims: o.dims, iters: o.iters, epochs: o.epochs ?? 0, fits: o.fits, consensus: o.consensus ?? 0, seed: o.seed, candidates: o.candidates };
      await this.exec({ op: 'graph', k: this.k, rule });
      const labels = new Int32Array(this.memory.buffer, this.layout.knnLabels, this.n).slice();
      return { ...this.adopt(labels), ms: performance.now() - t0 };
    });
    if (!o.background) return run;
    return run.finally(() => { this.frozen = null; });
  }

  sample(rows: Int32Array, m: number, includeSelf: boolean, shareD: boolean): Promise<SubsetBatch> {
    try {
      this.live();
      checkSample(rows, m, this.n);
    } catch (e) {
      return Promise.reject(e);
    }
    const B = rows.length;
    const own = rows.slice();
    if (this.frozen) {
      // A background relabel holds the queue: draw on this thread from the frozen labels, with the same algorithm
      // and RNG stream as the kernel (a few µs per batch at |D| = 5), and count it as the trainer's pool time.
      const t0 = performance.now();
      const f = this.frozen;
      const out = sampleSubsets(own, f.labels, { offsets: f.offsets, members: f.members }, this.k, m, includeSelf, shareD, this.sampleRng, undefined, this.views.seen);
      this.waitMs += performance.now() - t0;
      // Resolve on the next event-loop turn, not as a microtask: the refit is a chain of worker tasks, and each
      // next one is dispatched only when this thread handles the last one's message. A trainer whose awaits all
      // resolve at once never reaches the event loop between steps, and the refit would stall until the epoch ends.
      return new Promise((resolve) => setImmediate(() => resolve(out)));
    }
    const rebuild = this.indexDirty;
    this.indexDirty = false;
    const { batchCap, mCap } = this.layout.params;
    const p = this.enqueue(async (): Promise<SubsetBatch> => {
      if (B > batchCap || m > mCap) {
        // Too big for a slot: the same algorithm in TS over the shared views and the same RNG stream.
        if (rebuild) this.local.run({ op: 'index' });
        const v = this.views;
        return sampleSubsets(own, v.labels, { offsets: v.offsets, members: v.members }, this.k, m, includeSelf, shareD, this.sampleRng, undefined, v.seen);
      }
      const slot = 0; // the queue is serial: one sample runs at a time
      const s = this.layout.sampleSlots[slot];
      const buf = this.memory.buffer;
      new Int32Array(buf, s.rows, B).set(own);
      await this.exec({ op: 'sample', slot, B, m, includeSelf, shareD, rebuildIndex: rebuild });
      return {
        subsets: new Int32Array(buf, s.subsets, B * m).slice(),
        setSize: new Int32Array(buf, s.setSize, B).slice(),
        cluster: new Int32Array(buf, s.cluster, B).slice(),
      };
    });
    return trackWait(p, (ms) => { this.waitMs += ms; });
  }

  readCodes(): Promise<Float32Array> {
    try { this.live(); } catch (e) { return Promise.reject(e); }
    // behind a background relabel the queue may be busy for minutes: answer from the store and the unapplied writes
    if (this.frozen) return Promise.resolve(this.latestCodes());
    return trackWait(this.enqueue(() => this.views.codes.slice()), (ms) => { this.waitMs += ms; });
  }

  labels(): Promise<Int32Array> {
    try { this.live(); } catch (e) { return Promise.reject(e); }
    return this.enqueue(() => this.views.labels.slice());
  }

  /** Benchmarks: one full assignment pass (labels, distances) of the whole store on 1 worker (one task) or on all
   *  of them (the relabel split); bounds as in relabel (default off here, so that a pass scores every row). */
  assignPass(workers = this.workers, bounds = false): Promise<{ inertia: number; changed: number }> {
    return this.enqueue(() => {
      this.lastPass = { passes: 0, scored: 0, rows: 0 };
      return this.assignAll(false, workers <= 1 ? 1 : undefined, bounds);
    });
  }

  /** Resolves once every call issued before it has landed. */
  flush(): Promise<void> {
    return this.enqueue(() => undefined);
  }

  /** Current centroids (copy, k×d) — for checkpoints and tests. */
  centroids(): Promise<Float32Array> {
    return this.enqueue(() => this.views.centroids.slice());
  }

  /** Current cluster index (copies) — for tests. */
  clusterIndex(): Promise<{ offsets: Int32Array; members: Int32Array }> {
    return this.enqueue(() => {
      if (this.indexDirty) { this.local.run({ op: 'index' }); this.indexDirty = false; }
      return { offsets: this.views.offsets.slice(), members: this.views.members.slice() };
    });
  }

  snapshot(): Promise<EngineSnapshot> {
    try { this.live(); } catch (e) { return Promise.reject(e); }
    const f = this.frozen;
    if (f) {
      // A background relabel is running: the state the sampler draws from (its start), with every code written
      // since, at once. Restored, it is the engine as if that relabel had not begun; the run restarts one.
      const rng = new Uint32Array(8);
      rng.set(this.views.rngSample, 0); rng.set(f.rngKmeans, 4);
      return Promise.resolve({
        codes: this.latestCodes(), labels: f.labels.slice(), dist: f.dist.slice(), centroids: f.centroids.slice(),
        counts: f.counts.slice(), onlineCounts: f.onlineCounts.slice(), rng,
      });
    }
    return this.enqueue(() => {
      const v = this.views;
      const rng = new Uint32Array(8);
      rng.set(v.rngSample, 0); rng.set(v.rngKmeans, 4);
      return {
        codes: v.codes.slice(), labels: v.labels.slice(), dist: v.dist.slice(), centroids: v.centroids.slice(),
        counts: v.counts.slice(), onlineCounts: v.onlineCounts.slice(), rng,
      };
    });
  }

  restore(s: EngineSnapshot): Promise<void> {
    try { this.live(); checkSnapshot(s, this.n, this.d, this.k); } catch (e) { return Promise.reject(e); }
    return this.enqueue(() => {
      const v = this.views;
      v.codes.set(s.codes); v.labels.set(s.labels); v.dist.set(s.dist); v.centroids.set(s.centroids);
      v.counts.set(s.counts); v.onlineCounts.set(s.onlineCounts);
      v.rngSample.set(s.rng.subarray(0, 4)); v.rngKmeans.set(s.rng.subarray(4, 8));
      this.local.run({ op: 'prepare' }); // centroid norms and panels for the assignment kernel
      this.local.run({ op: 'index' });
      this.indexDirty = false;
      this.boundsValid = false;
    });
  }

  takeWaitMs(): number {
    const w = this.waitMs;
    this.waitMs = 0;
    return w;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.frozen) {
      // A background relabel nobody will collect (a stopped run; its checkpoint already holds the state it started
      // from): stop the workers instead of waiting it out, which takes minutes at 60,000 codes. Its tasks, and the
      // writes queued behind it, then fail at once (closed: no retry), and the queue drains.
      await this.pool.destroy();
      await this.tail;
      return;
    }
    await this.tail;
    await this.pool.destroy();
  }
}

