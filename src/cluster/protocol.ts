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
/** The graph's base (the store, or with sub the rule's subsample) as a weighted panel of "centres" for knn. */
export interface KnnPrepareTask { op: 'knnPrepare'; sub?: boolean }
/** The K nearest other base rows of base rows [lo, hi) into knnIdx/knnDist, using assign scratch slot `part`. */
export interface KnnTask { op: 'knn'; lo: number; hi: number; part: number; K: number; sub?: boolean }
/** IVF index (ivf-exec.ts) over the base: the coarse KMeans into `cells` centres (one task, seeded). */
export interface IvfTrainTask { op: 'ivfTrain'; sub: boolean; cells: number; seed: number }
/** Each base row of [lo, hi) to its nearest cell (assign scratch slot `part`). */
export interface IvfAssignTask { op: 'ivfAssign'; sub: boolean; cells: number; lo: number; hi: number; part: number }
/** The cells' member lists, the base copied in cell order, and its weighted panel in the knn panel region. */
export interface IvfIndexTask { op: 'ivfIndex'; sub: boolean; cells: number }
/** The approximate K nearest other base rows of the base rows at cell-order positions [lo, hi), into knnIdx/knnDist,
 *  probing `probe` cells (IVF scratch slot `part`). */
export interface IvfGraphTask { op: 'ivfGraph'; sub: boolean; cells: number; lo: number; hi: number; part: number; K: number; probe: number }
/** Labels of store rows [lo, hi) into knnLabels by a vote of their K nearest base rows' subLabels. */
export interface IvfVoteTask { op: 'ivfVote'; cells: number; lo: number; hi: number; part: number; K: number; probe: number }
export type IvfTask = IvfTrainTask | IvfAssignTask | IvfIndexTask | IvfGraphTask | IvfVoteTask;
/** A graph relabel from the knn output (graph.ts) over the base (sub: labels into subLabels): spectral (affinity, top `dims` eigenvectors, KMeans fits or
 *  their consensus) or umap (fuzzy graph, layout, Gaussian mixtures) at k; labels into knnLabels. Plain
 *  TypeScript, run on a worker so that the main thread need not. */
export interface GraphTask { op: 'graph'; k: number; rule: GraphRule; sub?: boolean }
/** The lowest-inertia of `fits` k-means++ KMeans fits (kmeans.ts bestKmeans) of the whole store at the engine's k,
 *  under d per-dimension weights (null: all 1), its rng seeded from `seed`: the final rule without an embedding,
 *  the same labels as on the main thread. Labels in the result (n). */
export interface BestKmeansTask { op: 'bestKmeans'; fits: number; seed: number; weights: Float32Array | null }
/** Fault injection (UVHE_FAULT=pause@relabel / pause@final): block the worker for `ms`, as a long pass does. */
export interface HoldTask { op: 'hold'; ms: number }

export type Task = PrepareTask | DriftTask | AssignTask | FinishTask | FinalizeTask | WriteTask | SampleTask | SeedTask | IndexTask | KnnPrepareTask | KnnTask | GraphTask | BestKmeansTask | HoldTask | IvfTask;

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
