// The one contract between the trainer and whatever keeps the code store, clusters it and samples same-cluster
// subsets: the AssemblyScript SIMD pool (pool.ts) or the plain TypeScript engine (reference-engine.ts).
import type { GraphRule, Neighbours } from './types.js';

/** Options fixed for the life of an engine. */
export interface ClusterEngineOptions {
  /** number of training examples = rows of the code store */
  n: number;
  /** length of z (per-example code) */
  dz: number;
  /** length of c (class code); 0 in vae mode */
  dc: number;
  /** number of clusters (pseudo-classes) */
  k: number;
  /** root seed for every random choice the engine makes (initial codes, seeding, sampling) */
  seed: number;
  /** weight of z and c in the squared distance: d² = wz·|Δz|² + wc·|Δc|² (both >= 0) */
  weights: { z: number; c: number };
  /** Lloyd iterations of the first fit (from k-means++ seeds) and of each relabel (from the previous centroids) */
  iters: number;
  /** mini-batch size for online KMeans updates */
  batchSize: number;
  /** "epoch": relabel at each epoch boundary (the seed's rule); "online": mini-batch updates between steps too;
   *  "background": relabel at each epoch boundary, alongside the next epoch's steps (the trainer does not wait) */
  refit: 'epoch' | 'online' | 'background';
  /** worker threads for the SIMD pool (ignored by the reference engine) */
  workers: number;
  /** SIMD build of the pool's kernels (default "auto": fused multiply-adds where the runtime has relaxed SIMD) */
  simd?: 'auto' | 'relaxed' | 'strict';
  /** the largest K that knn() and graphRelabel() are asked for: the pool reserves its neighbour lists for it
   *  (0/absent: none; the reference engine takes any K < n) */
  knnK?: number;
}

/** D for each x of one training batch. */
export interface SubsetBatch {
  /** B×m row indices into the training set: D of batch item b is subsets[b*m .. b*m+m) */
  subsets: Int32Array;
  /** B: |X_x|, the size of x's (pseudo-)class, used to weight KL_c by 1/|X_x| */
  setSize: Int32Array;
  /** B: the cluster label of x */
  cluster: Int32Array;
}

export interface RelabelResult {
  /** n labels in [0, k) (a copy the caller may keep) */
  labels: Int32Array;
  /** k cluster sizes */
  sizes: Int32Array;
  /** sum of weighted squared distances of each row to its centroid */
  inertia: number;
  /** clusters that were empty after assignment and got re-seeded */
  reseeded: number;
  /** wall time of the relabel in ms */
  ms: number;
}

/** Everything an engine needs to continue exactly (checkpoints). The cluster index is rebuilt from labels. */
export interface EngineSnapshot {
  /** n×d unweighted codes */
  codes: Float32Array;
  /** n labels and each row's distance to its centre */
  labels: Int32Array;
  dist: Float32Array;
  /** k×d centroids, k sizes, k Sculley counts */
  centroids: Float32Array;
  counts: Int32Array;
  onlineCounts: Int32Array;
  /** 8 u32: the sampler's xoshiro128** state, then the KMeans one */
  rng: Uint32Array;
}

/** Per-call choices of a relabel. */
export interface RelabelOptions {
  /** d per-dimension distance weights, replacing the current ones for this and later calls (and online updates) */
  dimWeights?: Float32Array;
  /** Run alongside training (cluster.refit = "background"): until this relabel lands, sample() keeps drawing D from
   *  the labels it started from, at once, without waiting behind the refit; writes issued meanwhile land after it
   *  (the refit sees the store as of this call). The reference engine has no workers and refits at once. */
  background?: boolean;
}

/** A graph relabel (spectral or umap; embed defaults to spectral, consensus and epochs to 0): the rule of graph.ts,
 *  plus the distance weights of the neighbour search and whether it runs in the background (as in RelabelOptions). */
export type GraphRelabelOptions = Omit<GraphRule, 'embed' | 'epochs' | 'consensus'> & Partial<Pick<GraphRule, 'embed' | 'epochs' | 'consensus'>> & {
  dimWeights?: Float32Array;
  background?: boolean;
};

export interface ClusterEngine {
  /** "wasm-simd-pool" or "reference"; printed and recorded by the run */
  readonly kind: string;
  /** Worker deaths survived so far (the replacement re-ran the task on the shared memory); 0 without workers. */
  readonly workerRestarts: number;
  /** Overwrite rows of the code store with fresh codes (means of q), B×(dz+dc) f32, [z‖c] per row.
   *  May return before the write lands; later calls observe writes in the order they were issued. */
  writeCodes(rows: Int32Array, codes: Float32Array): void;
  /** Full refit: Lloyd iterations over every stored code from the previous centroids, then labels and the cluster
   *  index for sampling. */
  relabel(opts?: RelabelOptions): Promise<RelabelResult>;
  /** Adopt labels computed elsewhere (n, each in [0, k)): centroids become the means of their codes, then the
   *  cluster index for sampling, as after a relabel. dimWeights as in RelabelOptions. */
  assignLabels(labels: Int32Array, dimWeights?: Float32Array): Promise<RelabelResult>;
  /** Each row's K nearest other rows in the store under the weighted squared distance, ascending (n×K copies).
   *  dimWeights as in RelabelOptions. The pool serves K up to the knnK it was created with, from its approximate
   *  (IVF) graph at large n (cluster/ann.ts), and only where its graph regions hold every row. */
  knn(K: number, dimWeights?: Float32Array): Promise<Neighbours>;
  /** Graph relabel: the store's K-nearest-neighbour graph, graphLabels (graph.ts) on it, then those labels adopted
   *  as by assignLabels. Both engines give the same labels for the same store, rule and weights (up to f32 near-ties
   *  among the neighbours) below the pool's approximate-graph size (cluster/ann.ts), above which the pool's graph is
   *  approximate and, larger still, its rule runs on a subsample; the pool can run it in the background. */
  graphRelabel(o: GraphRelabelOptions): Promise<RelabelResult>;
  /** Draw D (m rows sharing x's cluster) for each x in rows. includeSelf: x may be in its own D.
   *  shareD: batch items of the same cluster get one common D (cheaper c-encoder, see README). */
  sample(rows: Int32Array, m: number, includeSelf: boolean, shareD: boolean): Promise<SubsetBatch>;
  /** A copy of the whole code store, n×(dz+dc) f32 unweighted [z‖c] (checkpoints, evaluation), with every write
   *  issued before it. Does not wait for a background relabel. */
  readCodes(): Promise<Float32Array>;
  /** Current labels (copy). */
  labels(): Promise<Int32Array>;
  /** A copy of the whole engine state, after every write issued before it has landed. While a background relabel
   *  runs it does not wait: the clustering state is the one that relabel started from (the sampler's). */
  snapshot(): Promise<EngineSnapshot>;
  /** Replace the engine state by a snapshot of an engine with the same options. */
  restore(s: EngineSnapshot): Promise<void>;
  /** Time the caller spent waiting on this engine, ms, since the last call (then reset). */
  takeWaitMs(): number;
  /** Release the workers after every queued call has landed; abort: stop them at once instead, and the calls still
   *  queued or running fail (a stopped run; the pool's relabel in flight is not waited for). */
  close(opts?: { abort?: boolean }): Promise<void>;
}
