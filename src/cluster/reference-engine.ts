// The plain TypeScript ClusterEngine: everything runs synchronously on the caller's thread. It is the oracle the
// pool is tested against, and the fallback where WebAssembly SIMD or SharedArrayBuffer is missing.
import { Rng, deriveSeed } from '../util/rng.js';
import type {
  ClusterEngine, ClusterEngineOptions, EngineSnapshot, GraphRelabelOptions, RelabelOptions, RelabelResult, SubsetBatch,
} from './engine.js';
import { STREAM, initialCodes, optionWeights } from './engine-init.js';
import { graphLabels, ruleOf } from './graph.js';
import { adoptLabels, kmeansFit, miniBatchUpdate, type KMeansState } from './kmeans.js';
import { knn } from './neighbours.js';
import { buildClusterIndex, sampleSubsets, type ClusterIndex } from './sampler.js';
import type { Neighbours } from './types.js';
import { checkDimWeights, checkLabels, checkSample, checkSnapshot, checkWrite, validateEngineOptions } from './validate.js';

export class ReferenceEngine implements ClusterEngine {
  readonly kind = 'reference';
  /** no workers, so nothing to restart */
  readonly workerRestarts = 0;
  readonly n: number;
  readonly d: number;
  readonly k: number;
  /** n×d unweighted [z‖c] */
  readonly codes: Float32Array;
  readonly state: KMeansState;
  /** Sculley per-centre counts (reset to the cluster sizes at each relabel) */
  readonly onlineCounts: Int32Array;
  /** d per-dimension distance weights, or null for all 1 */
  weights: Float32Array | null;
  index: ClusterIndex;
  private indexDirty = false;
  private readonly kmRng: Rng;
  private readonly sampleRng: Rng;
  private readonly seen: Int32Array;
  private waitMs = 0;
  private closed = false;

  /** Use createReferenceEngine(); this constructor takes codes (n×d) and an already-fitted state. */
  constructor(readonly opts: ClusterEngineOptions, codes: Float32Array, state: KMeansState, kmRng: Rng) {
    this.d = validateEngineOptions(opts);
    this.n = opts.n;
    this.k = opts.k;
    this.codes = codes;
    this.state = state;
    this.weights = optionWeights(opts);
    this.kmRng = kmRng;
    this.sampleRng = new Rng(deriveSeed(opts.seed, STREAM.sample));
    this.onlineCounts = state.counts.slice();
    this.index = buildClusterIndex(state.labels, this.k, this.n);
    this.seen = new Int32Array(this.k);
  }

  private live(): void {
    if (this.closed) throw new Error('ClusterEngine is closed');
  }

  private setWeights(w: Float32Array | undefined): void {
    checkDimWeights(w, this.d);
    if (w) this.weights = w.slice();
  }

  writeCodes(rows: Int32Array, codes: Float32Array): void {
    this.live();
    const t0 = performance.now();
    const B = checkWrite(rows, codes, this.n, this.d);
    const d = this.d;
    for (let b = 0; b < B; b++) this.codes.set(codes.subarray(b * d, b * d + d), rows[b] * d);
    if (this.opts.refit === 'online') {
      const lab = new Int32Array(B);
      miniBatchUpdate(codes, B, d, this.state.centroids, this.k, this.weights, this.onlineCounts, lab);
      for (let b = 0; b < B; b++) this.state.labels[rows[b]] = lab[b];
      this.indexDirty = true;
    }
    this.waitMs += performance.now() - t0;
  }

  async assignLabels(labels: Int32Array, dimWeights?: Float32Array): Promise<RelabelResult> {
    this.live();
    const t0 = performance.now();
    checkLabels(labels, this.n);
    this.setWeights(dimWeights);
    return { ...this.adopt(labels), ms: performance.now() - t0 };
  }

  /** labels → centroids (their means), sizes, distances, Sculley counts and the cluster index. */
  private adopt(labels: Int32Array): Omit<RelabelResult, 'ms'> {
    const inertia = adoptLabels(this.codes, this.n, this.d, this.k, labels, this.weights, this.state);
    this.onlineCounts.set(this.state.counts);
    this.index = buildClusterIndex(this.state.labels, this.k, this.n, this.index);
    this.indexDirty = false;
    return { labels: this.state.labels.slice(), sizes: this.state.counts.slice(), inertia, reseeded: 0 };
  }

  /** A background relabel runs at once here: there is no worker to run it alongside the caller. */
  async relabel(ro: RelabelOptions = {}): Promise<RelabelResult> {
    this.live();
    const t0 = performance.now();
    this.setWeights(ro.dimWeights);
    const fit = kmeansFit(this.codes, this.n, this.d, { k: this.k, weights: this.weights, iters: this.opts.iters, rng: this.kmRng, centroids: this.state.centroids });
    this.state.centroids.set(fit.centroids);
    this.state.labels.set(fit.labels);
    this.state.dist.set(fit.dist);
    this.state.counts.set(fit.counts);
    this.onlineCounts.set(fit.counts);
    this.index = buildClusterIndex(this.state.labels, this.k, this.n, this.index);
    this.indexDirty = false;
    const ms = performance.now() - t0;
    return { labels: fit.labels.slice(), sizes: fit.counts.slice(), inertia: fit.inertia, reseeded: fit.reseeded, ms };
  }

  /** Exact neighbours (neighbours.ts); dimWeights also become the clustering's weights, as in the pool. */
  async knn(K: number, dimWeights?: Float32Array): Promise<Neighbours> {
    this.live();
    this.setWeights(dimWeights);
    return knn(this.codes, this.n, this.d, K, this.weights);
  }

  /** The pool's graph relabel on this thread: exact neighbours, graphLabels, then the labels adopted. */
  async graphRelabel(o: GraphRelabelOptions): Promise<RelabelResult> {
    this.live();
    const t0 = performance.now();
    if (!(o.K >= 1 && o.K < this.n)) throw new Error(`cluster: graphRelabel needs 1 <= K < n; got K=${o.K}, n=${this.n}`);
    this.setWeights(o.dimWeights);
    const nb = knn(this.codes, this.n, this.d, o.K, this.weights);
    const labels = graphLabels(this.codes, this.n, this.d, this.k, ruleOf(o), this.weights, nb);
    return { ...this.adopt(labels), ms: performance.now() - t0 };
  }

  async sample(rows: Int32Array, m: number, includeSelf: boolean, shareD: boolean): Promise<SubsetBatch> {
    this.live();
    const t0 = performance.now();
    checkSample(rows, m, this.n);
    if (this.indexDirty) {
      this.index = buildClusterIndex(this.state.labels, this.k, this.n, this.index);
      this.indexDirty = false;
    }
    const out = sampleSubsets(rows, this.state.labels, this.index, this.k, m, includeSelf, shareD, this.sampleRng, undefined, this.seen);
    this.waitMs += performance.now() - t0;
    return out;
  }

  async readCodes(): Promise<Float32Array> {
    this.live();
    return this.codes.slice();
  }

  async labels(): Promise<Int32Array> {
    this.live();
    return this.state.labels.slice();
  }

  async snapshot(): Promise<EngineSnapshot> {
    this.live();
    const st = this.state;
    const rng = new Uint32Array(8);
    rng.set(this.sampleRng.s, 0); rng.set(this.kmRng.s, 4);
    return {
      codes: this.codes.slice(), labels: st.labels.slice(), dist: st.dist.slice(), centroids: st.centroids.slice(),
      counts: st.counts.slice(), onlineCounts: this.onlineCounts.slice(), rng,
    };
  }

  async restore(s: EngineSnapshot): Promise<void> {
    this.live();
    checkSnapshot(s, this.n, this.d, this.k);
    this.codes.set(s.codes);
    this.state.labels.set(s.labels); this.state.dist.set(s.dist); this.state.centroids.set(s.centroids);
    this.state.counts.set(s.counts); this.onlineCounts.set(s.onlineCounts);
    this.sampleRng.s.set(s.rng.subarray(0, 4)); this.kmRng.s.set(s.rng.subarray(4, 8));
    this.index = buildClusterIndex(this.state.labels, this.k, this.n, this.index);
    this.indexDirty = false;
  }

  takeWaitMs(): number {
    const w = this.waitMs;
    this.waitMs = 0;
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A reference engine: every code drawn from N(0,1), then KMeans from k-means++ seeds fitted to those codes. */
export async function createReferenceEngine(opts: ClusterEngineOptions): Promise<ReferenceEngine> {
  const d = validateEngineOptions(opts);
  const codes = initialCodes(opts);
  const kmRng = new Rng(deriveSeed(opts.seed, STREAM.kmeans));
  const fit = kmeansFit(codes, opts.n, d, { k: opts.k, weights: optionWeights(opts), iters: opts.iters, rng: kmRng });
  return new ReferenceEngine(opts, codes, { centroids: fit.centroids, labels: fit.labels, dist: fit.dist, counts: fit.counts }, kmRng);
}
