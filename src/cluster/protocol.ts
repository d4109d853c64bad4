// The typed thread boundary between PoolEngine (main thread) and worker.ts: tasks carry only small numbers
// (offsets, ranges, slot ids); every big array lives in the shared memory described by Layout.
import type { Layout } from './layout.js';
import type { GraphRule } from './types.js';

/** Posted once to every worker (structured clone shares the memory and the compiled module). */
export interface WorkerInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  layout: Layout;
}

/** Centroids changed outside a kernel: rebuild the weighted panel and norms. */
export interface PrepareTask { op: 'prepare' }
/** How an assignment pass treats the Hamerly bounds: ignore them, (re)compute them for every row, or use them to
 *  skip rows whose label cannot change (labels and distances are the same in all three). */
export type BoundsMode = 'off' | 'record' | 'use';
/** Assign rows [lo, hi); with accumulate, into partial sums/counts slot `part` (zeroed first). */
export interface AssignTask { op: 'assign'; lo: number; hi: number; part: number; accumulate: boolean; bounds?: BoundsMode }
/** Before a pass with bounds: per-centre drift since the bounds' centroids, which then become the current ones. */
export interface DriftTask { op: 'drift' }
/** Reduce `parts` partial sums, re-seed empty clusters, set means, prepare the panel. */
export interface FinishTask { op: 'finish'; parts: number }
/** After the final assignment: counts, re-seed empties, prepare, cluster index, Sculley counts = sizes. */
export interface FinalizeTask { op: 'finalize' }
/** Write B rows from write slot `slot` into the store; online: Sculley update and relabel of those rows. */
export interface WriteTask { op: 'write'; slot: number; B: number; online: boolean }
/** Sample D for B rows of sample slot `slot`; rebuildIndex first when labels changed since the last index. */
export interface SampleTask { op: 'sample'; slot: number; B: number; m: number; includeSelf: boolean; shareD: boolean; rebuildIndex: boolean }
/** k-means++ seeding from the kmeans RNG stream, then prepare (the first fit). */
export interface SeedTask { op: 'kmeans++' }
/** Rebuild the cluster index from the labels. */
export interface IndexTask { op: 'index' }
/** The store as a weighted panel of n "centres" for knn (after the codes or the weights changed). */
export interface KnnPrepareTask { op: 'knnPrepare' }
/** The K nearest other rows of rows [lo, hi) into knnIdx/knnDist, using assign scratch slot `part`. */
export interface KnnTask { op: 'knn'; lo: number; hi: number; part: number; K: number }
/** A graph relabel from the knn output (graph.ts): spectral (affinity, top `dims` eigenvectors, KMeans fits or
 *  their consensus) or umap (fuzzy graph, layout, Gaussian mixtures) at k; labels into knnLabels. Plain
 *  TypeScript, run on a worker so that the main thread need not. */
export interface GraphTask { op: 'graph'; k: number; rule: GraphRule }
/** The lowest-inertia of `fits` k-means++ KMeans fits (kmeans.ts bestKmeans) of the whole store at the engine's k,
 *  under d per-dimension weights (null: all 1), its rng seeded from `seed`: the final rule without an embedding,
 *  the same labels as on the main thread. Labels in the result (n). */
export interface BestKmeansTask { op: 'bestKmeans'; fits: number; seed: number; weights: Float32Array | null }
/** Fault injection (UVHE_FAULT=pause@relabel / pause@final): block the worker for `ms`, as a long pass does. */
export interface HoldTask { op: 'hold'; ms: number }

export type Task = PrepareTask | DriftTask | AssignTask | FinishTask | FinalizeTask | WriteTask | SampleTask | SeedTask | IndexTask | KnnPrepareTask | KnnTask | GraphTask | BestKmeansTask | HoldTask;

export interface AssignResult { inertia: number; changed: number; /** rows whose distances to all centres were computed */ scored: number }
export interface FinishResult { reseeded: number }
export interface FinalizeResult { reseeded: number; /** inertia change caused by the re-seeding (<= 0) */ inertiaDelta: number }
export interface WriteResult { inertia: number }
export interface EmptyResult { ok: true }
export interface LabelsResult { labels: Int32Array }

/** The result type of each task, declared once for both sides. */
export type ResultOf<T extends Task> =
  T extends AssignTask ? AssignResult :
  T extends FinishTask ? FinishResult :
  T extends FinalizeTask ? FinalizeResult :
  T extends WriteTask ? WriteResult :
  T extends BestKmeansTask ? LabelsResult :
  EmptyResult;
