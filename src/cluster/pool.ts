// PoolEngine: the ClusterEngine over one shared WebAssembly.Memory and a Piscina pool of SIMD workers. Calls are
// queued in issue order on one chain (so a sample sees every earlier write); passes over the whole store are split
// across workers by row ranges (store-passes.ts). sample() returns at once, so the trainer can prefetch.
import { Rng, deriveSeed } from '../util/rng.js';
import { BackgroundOverlay } from './background.js';
import { CallQueue, trackWait } from './call-queue.js';
import type {
  ClusterEngine, ClusterEngineOptions, EngineSnapshot, GraphRelabelOptions, RelabelOptions, RelabelResult, SubsetBatch,
} from './engine.js';
import { STREAM, initialCodes } from './engine-init.js';
import type { AnnOptions } from './ann.js';
import { engineLayout } from './engine-layout.js';
import { TaskRunner, firstNeighbours } from './exec.js';
import { GraphPasses, type GraphPassInfo } from './graph-passes.js';
import { faultHoldMs } from './fault.js';
import { ruleOf } from './graph.js';
import { compileKernels, createSharedMemory, instantiateKernels, resolveKernelVariant, type Kernels } from './kernels.js';
import { adoptLabels, dimWeights, randomInit } from './kmeans.js';
import { layoutViews, restoreViews, snapshotViews, type Layout, type LayoutViews } from './layout.js';
import { sampleSubsets } from './sampler.js';
import { StorePasses, type PassStats } from './store-passes.js';
import type { Neighbours } from './types.js';
import { checkDimWeights, checkLabels, checkSample, checkSnapshot, checkWrite, validateEngineOptions } from './validate.js';
import { WorkerPool } from './worker-pool.js';
import { WriteRing } from './write-ring.js';

export type { PassStats } from './store-passes.js';

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
  /** skip the initial fit (centroids on random rows, labels assigned once): benchmarks, and engines that only run
   *  the final rule on given codes */
  skipInitialFit?: boolean;
  /** initial codes (n×d) instead of N(0,1) draws, or a function that fills the store in place — tests, benchmarks */
  codes?: Float32Array | ((store: Float32Array) => void);
  /** the phase this engine's refits are for, for UVHE_FAULT=pause@<phase> (default "relabel") */
  faultPhase?: 'relabel' | 'final';
  /** keep Hamerly bounds across assignment passes and skip rows whose label cannot change (default true; exact:
   *  labels, distances and centroids are bit-identical to the brute-force passes) */
  bounds?: boolean;
  /** the neighbour graph's switch sizes and IVF settings (ann.ts; tests and benchmarks) */
  ann?: AnnOptions;
}

/** What create() builds before the engine exists. */
interface PoolParts {
  layout: Layout;
  memory: WebAssembly.Memory;
  kernels: Kernels;
  /** the kernel build in use: "relaxed" (fused multiply-adds) or "strict" */
  simd: 'relaxed' | 'strict';
  pool: WorkerPool;
}

export class PoolEngine implements ClusterEngine {
  readonly kind = 'wasm-simd-pool';
  readonly n: number;
  readonly d: number;
  readonly k: number;
  readonly layout: Layout;
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  /** the kernel build in use: "relaxed" (fused multiply-adds) or "strict" */
  readonly simd: 'relaxed' | 'strict';
  readonly workers: number;
  readonly views: LayoutViews;
  private readonly pool: WorkerPool;
  /** the same tasks run on this thread (O(k·d) steps between passes, and the adoption of labels) */
  private readonly local: TaskRunner;
  private readonly passes: StorePasses;
  private readonly graphs: GraphPasses;
  private readonly background: BackgroundOverlay;
  private readonly queue = new CallQueue();
  private indexDirty = false;
  private waitMs = 0;
  private closed = false;
  private readonly writes: WriteRing;
  private readonly sampleRng: Rng;
  private readonly kmRng: Rng;
  private readonly useBounds: boolean;
  private readonly faultPhase: 'relabel' | 'final';

  private constructor(readonly opts: ClusterEngineOptions, parts: PoolParts, popts: PoolOptions) {
    this.n = opts.n;
    this.d = opts.dz + opts.dc;
    this.k = opts.k;
    ({ layout: this.layout, memory: this.memory, kernels: this.kernels, simd: this.simd, pool: this.pool } = parts);
    this.workers = this.pool.workers;
    this.views = layoutViews(this.layout, this.memory.buffer);
    this.local = new TaskRunner(this.kernels, this.layout, this.memory);
    this.useBounds = popts.bounds ?? true;
    this.faultPhase = popts.faultPhase ?? 'relabel';
    this.passes = new StorePasses(this.pool, this.local, {
      n: this.n, d: this.d, k: this.k, workers: this.workers, parts: this.layout.params.parts,
      splitFlops: popts.splitFlops ?? 2e7, useBounds: this.useBounds,
    });
    this.graphs = new GraphPasses(this.pool, this.local, this.layout, this.memory, popts.ann);
    this.background = new BackgroundOverlay(this.views, this.d, this.k);
    this.writes = new WriteRing(this.layout, this.memory, this.queue, this.pool, this.background);
    this.sampleRng = new Rng(this.views.rngSample);
    this.kmRng = new Rng(this.views.rngKmeans);
  }

  /** Build the memory, the workers, the initial codes and the initial fit. */
  static async create(opts: ClusterEngineOptions, popts: PoolOptions = {}): Promise<PoolEngine> {
    validateEngineOptions(opts);
    const simd = resolveKernelVariant(opts.simd ?? 'auto');
    const module = await compileKernels(simd);
    const probe = instantiateKernels(module, createSharedMemory(1));
    const workers = Math.max(1, opts.workers);
    const layout = engineLayout(opts, popts, probe.heapBase());
    const memory = createSharedMemory(layout.pages);
    const kernels = instantiateKernels(module, memory);
    const pool = new WorkerPool({ memory, module, layout }, workers);
    const e = new PoolEngine(opts, { layout, memory, kernels, simd, pool }, popts);
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
    if (!popts.skipInitialFit) await this.pool.run({ op: 'kmeans++' });
    else {
      randomInit(views.codes, this.n, this.d, this.k, this.kmRng, views.centroids);
      this.local.run({ op: 'prepare' });
    }
    await this.passes.fit(popts.skipInitialFit ? 0 : opts.iters);
    this.indexDirty = false;
  }

  /** Worker deaths survived so far (logged per epoch as pool/workerRestarts). */
  get workerRestarts(): number {
    return this.pool.restarts;
  }

  /** What the last neighbour pass did (exact or IVF, rows, cells, time). */
  get lastGraph(): GraphPassInfo {
    return this.graphs.last;
  }

  /** Counters of the assignment passes of the last relabel or assignPass. */
  get lastPass(): PassStats {
    return this.passes.lastPass;
  }

  private enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.queue.enqueue(fn);
  }

  /** Throws if closed, or (once) the failure of a write that nobody awaited. */
  private live(): void {
    if (this.closed) throw new Error('ClusterEngine is closed');
    this.queue.throwIfFailed();
  }

  /** New distance weights (d) for this and later passes: the centroid panel is rebuilt and the bounds are stale. */
  private setWeights(w: Float32Array): void {
    this.views.weights.set(w);
    this.local.run({ op: 'prepare' });
    this.passes.invalidateBounds();
  }

  writeCodes(rows: Int32Array, codes: Float32Array): void {
    this.live();
    const B = checkWrite(rows, codes, this.n, this.d);
    const online = this.opts.refit === 'online';
    if (online) this.indexDirty = true;
    const cap = this.layout.params.batchCap;
    for (let lo = 0; lo < B; lo += cap) {
      const hi = Math.min(B, lo + cap);
      this.writes.write(rows.subarray(lo, hi), codes.subarray(lo * this.d, hi * this.d), online);
    }
  }

  /** Before a background relabel: rebuild a stale (online) index on this thread, then freeze what the sampler
   *  reads. False if a background relabel is running already. */
  private freeze(): boolean {
    if (this.background.active) return false;
    if (this.indexDirty) { this.local.run({ op: 'index' }); this.indexDirty = false; }
    return this.background.freeze();
  }

  /** Queue a refit; in the background, the sampler draws from the frozen state until it lands (or fails). */
  private refit(background: boolean | undefined, fn: () => Promise<RelabelResult>): Promise<RelabelResult> {
    if (background && !this.freeze()) return Promise.reject(new Error('cluster: a background relabel is already running'));
    // one queue entry for the whole refit, so writes issued meanwhile land after it (one consistent store)
    const run = this.enqueue(fn);
    return background ? run.finally(() => this.background.thaw()) : run;
  }

  /** Full refit from the previous centroids (the contract's relabel). opts.bounds overrides PoolOptions.bounds for
   *  this call (same results). dimWeights replace the distance weights (the bounds are then re-recorded). */
  relabel(opts: RelabelOptions & { bounds?: boolean } = {}): Promise<RelabelResult> {
    try { this.live(); checkDimWeights(opts.dimWeights, this.d); } catch (e) { return Promise.reject(e); }
    return this.refit(opts.background, async () => {
      const t0 = performance.now();
      await this.faultHold();
      if (opts.dimWeights) this.setWeights(opts.dimWeights);
      const f = await this.passes.fit(this.opts.iters, opts.bounds ?? this.useBounds);
      this.indexDirty = false;
      const v = this.views;
      return { labels: v.labels.slice(), sizes: v.counts.slice(), inertia: f.inertia, reseeded: f.reseeded, ms: performance.now() - t0 };
    });
  }

  /** The neighbour lists the layout holds per row (the engine's knnK); requests for K above it are refused. */
  private checkK(K: number, call: string): void {
    const KK = this.layout.params.knnK ?? 0;
    if (!(K >= 1 && K <= KK && K < this.n)) throw new Error(`cluster: ${call} needs the engine created with knnK >= ${K} (it has ${KK}) and 1 <= K < n`);
  }

  /** The K nearest other rows of every row (weighted squared L2 with dimWeights, which also become the clustering's
   *  weights, as in relabel), ascending, split by rows over the workers. The pass always finds knnK, and each row's
   *  first K of them are its K nearest (the lists are sorted, ties kept in scan order, so they are the very
   *  neighbours a pass at K finds). Exact, or from the IVF index from ann.ts's size on (seeded from the engine's
   *  seed). idx and dist are n×K copies. */
  knn(K: number, dimWeights?: Float32Array): Promise<Neighbours> {
    try { this.live(); this.checkK(K, `knn(${K})`); checkDimWeights(dimWeights, this.d); } catch (e) { return Promise.reject(e); }
    const KK = this.layout.params.knnK!;
    // (no trackWait: the caller awaits it inside its own relabel timing)
    return this.enqueue(async () => {
      if (dimWeights) this.setWeights(dimWeights);
      await this.graphs.neighbours(false, deriveSeed(this.opts.seed, 'knn'));
      return firstNeighbours(this.memory.buffer, this.layout.knnIdx, this.layout.knnDist, this.n, KK, K);
    });
  }

  /** Graph relabel entirely on the pool: the neighbour graph (SIMD knn or IVF, split over the workers), then
   *  graphLabels (graph.ts) on one worker, on a subsample above ann.ts's size with a vote for the other rows
   *  (graph-passes.ts), then the labels adopted as by assignLabels. background: as in relabel. */
  graphRelabel(o: GraphRelabelOptions): Promise<RelabelResult> {
    try { this.live(); this.checkK(o.K, 'graphRelabel'); checkDimWeights(o.dimWeights, this.d); } catch (e) { return Promise.reject(e); }
    return this.refit(o.background, async () => {
      const t0 = performance.now();
      await this.faultHold();
      if (o.dimWeights) this.setWeights(o.dimWeights);
      const labels = await this.graphs.relabel(ruleOf(o), this.k);
      return { ...this.adopt(labels), ms: performance.now() - t0 };
    });
  }

  /** The final rule without an embedding on one worker: the lowest-inertia of `fits` k-means++ fits of the store at
   *  the engine's k (kmeans.ts bestKmeans, rng seeded from `seed`) under d weights (null: all 1); n labels, the
   *  same as on the main thread. The engine's own clustering state is not touched. */
  bestKmeans(fits: number, seed: number, weights: Float32Array | null): Promise<Int32Array> {
    try { this.live(); checkDimWeights(weights ?? undefined, this.d); } catch (e) { return Promise.reject(e); }
    const w = weights?.slice() ?? null;
    return this.enqueue(async () => {
      await this.faultHold();
      return (await this.pool.run({ op: 'bestKmeans', fits, seed, weights: w })).labels;
    });
  }

  /** UVHE_FAULT=pause@<phase> (fault.ts): block a worker first, inside this queue entry. */
  private async faultHold(): Promise<void> {
    const ms = faultHoldMs(this.faultPhase);
    if (ms > 0) await this.pool.run({ op: 'hold', ms });
  }

  assignLabels(labels: Int32Array, dimWeights?: Float32Array): Promise<RelabelResult> {
    try { this.live(); checkLabels(labels, this.n); checkDimWeights(dimWeights, this.d); } catch (e) { return Promise.reject(e); }
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
    this.passes.invalidateBounds();
    this.indexDirty = false;
    return { labels: v.labels.slice(), sizes: v.counts.slice(), inertia, reseeded: 0 };
  }

  sample(rows: Int32Array, m: number, includeSelf: boolean, shareD: boolean): Promise<SubsetBatch> {
    try { this.live(); checkSample(rows, m, this.n); } catch (e) { return Promise.reject(e); }
    const B = rows.length;
    const own = rows.slice();
    if (this.background.active) {
      // A background relabel holds the queue: draw on this thread from the frozen labels (a few µs per batch), and
      // count it as the trainer's pool time.
      const t0 = performance.now();
      const out = this.background.sample(own, m, includeSelf, shareD, this.sampleRng);
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
      await this.pool.run({ op: 'sample', slot, B, m, includeSelf, shareD, rebuildIndex: rebuild });
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
    if (this.background.active) return Promise.resolve(this.background.latestCodes());
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
      this.passes.resetStats();
      return this.passes.assignAll(false, workers <= 1 ? 1 : undefined, bounds);
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
    // A background relabel is running: the state the sampler draws from, at once (the run restarts the relabel).
    if (this.background.active) return Promise.resolve(this.background.snapshot());
    return this.enqueue(() => snapshotViews(this.views));
  }

  restore(s: EngineSnapshot): Promise<void> {
    try { this.live(); checkSnapshot(s, this.n, this.d, this.k); } catch (e) { return Promise.reject(e); }
    return this.enqueue(() => {
      restoreViews(this.views, s);
      this.local.run({ op: 'prepare' }); // centroid norms and panels for the assignment kernel
      this.local.run({ op: 'index' });
      this.indexDirty = false;
      this.passes.invalidateBounds();
    });
  }

  takeWaitMs(): number {
    const w = this.waitMs;
    this.waitMs = 0;
    return w;
  }

  async close(opts: { abort?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pool.stopRestarts();
    if (this.background.active || opts.abort) {
      // A background relabel nobody will collect (a stopped run; its checkpoint already holds the state it started
      // from), or abort (a stop during a refit the caller waits for): stop the workers instead of waiting it out.
      // Their tasks, and the calls queued behind them, then fail at once, and the queue drains.
      await this.pool.destroy();
      await this.queue.drain();
      return;
    }
    await this.queue.drain();
    await this.pool.destroy();
  }
}
