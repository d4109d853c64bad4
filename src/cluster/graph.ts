// The graph-based relabels (cluster.embed "spectral" and "umap") behind one call, used by the pool's worker
// (exec.ts) and by the main thread (train/loop.ts) alike: codes and their neighbour graph in, labels out.
import { knn, spectralLabels, type Neighbours } from './spectral.js';
import { umapLabels } from './umap.js';
import { sizeEvenness } from '../eval/metrics.js';
import { deriveSeed } from '../util/rng.js';

export type GraphEmbed = 'spectral' | 'umap';

/** What a relabel does with the neighbour graph; these fields also cross the thread boundary (protocol.ts). */
export interface GraphRule {
  embed: GraphEmbed;
  /** neighbours per code (K) */
  K: number;
  /** spectral: eigenvectors kept; umap: layout dimensions */
  dims: number;
  /** subspace-iteration steps (spectral: the embedding; umap: the layout's start) */
  iters: number;
  /** umap: SGD epochs of the layout */
  epochs: number;
  /** spectral: KMeans fits, the lowest inertia wins; umap: Gaussian-mixture fits, the highest likelihood wins */
  fits: number;
  /** spectral: the consensus of this many KMeans fits instead, when > 0; umap: layouts whose partitions vote */
  consensus: number;
  seed: number;
  /** fits of the whole rule (after the graph) from different seeds, of which the partition with the most even
   *  cluster sizes is kept (sizeEvenness; the first wins ties); absent or 1: one fit, from `seed` */
  candidates?: number;
}

/** Labels at k for n×d codes. nb: the codes' K nearest neighbours under `weights` (computed here if absent). */
export function graphLabels(codes: Float32Array, n: number, d: number, k: number, r: GraphRule, weights: Float32Array | null, nb?: Neighbours): Int32Array {
  const N = r.candidates ?? 1;
  if (N <= 1) return graphFit(codes, n, d, k, r, weights, nb);
  // One graph for all candidates (only the seeds of the embedding and its fits differ); candidate 0 is the
  // one-fit rule itself, so that N > 1 can only move to a more even partition.
  const graph = nb ?? knn(codes, n, d, r.K, weights);
  let best = graphFit(codes, n, d, k, r, weights, graph);
  let even = sizeEvenness(best, k);
  for (let c = 1; c < N; c++) {
    const l = graphFit(codes, n, d, k, { ...r, seed: deriveSeed(r.seed, `candidate${c}`) }, weights, graph);
    const e = sizeEvenness(l, k);
    if (e > even) { best = l; even = e; }
  }
  return best;
}

function graphFit(codes: Float32Array, n: number, d: number, k: number, r: GraphRule, weights: Float32Array | null, nb?: Neighbours): Int32Array {
  if (r.embed === 'umap') {
    return umapLabels(n, k, { neighbors: r.K, dims: r.dims, epochs: r.epochs, eigenIters: r.iters, layouts: r.consensus, fits: r.fits, seed: r.seed }, nb ?? knn(codes, n, d, r.K, weights));
  }
  return spectralLabels(codes, n, d, k, { neighbors: r.K, dims: r.dims, weights, iters: r.iters, seed: r.seed, fits: r.fits, consensus: r.consensus }, nb);
}
