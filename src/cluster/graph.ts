// The graph relabels (spectral and umap) behind one call, used by the pool's worker (exec.ts) and by the main
// thread alike: n×d codes and their neighbour graph in, labels in [0, k) out.
import { knn } from './neighbours.js';
import { spectralLabels } from './spectral.js';
import { umapLabels } from './umap.js';
import type { GraphRelabelOptions } from './engine.js';
import type { GraphRule, Neighbours } from './types.js';

/** Labels at k for n×d codes. nb: the codes' rule.K nearest neighbours under `weights` (computed here if absent;
 *  when given, `weights` is not used again). */
export function graphLabels(codes: Float32Array, n: number, d: number, k: number, r: GraphRule, weights: Float32Array | null, nb?: Neighbours): Int32Array {
  if (r.embed === 'umap') {
    return umapLabels(n, k, { neighbors: r.K, dims: r.dims, epochs: r.epochs, eigenIters: r.iters, layouts: r.consensus, fits: r.fits, seed: r.seed }, nb ?? knn(codes, n, d, r.K, weights));
  }
  return spectralLabels(codes, n, d, k, { neighbors: r.K, dims: r.dims, weights, iters: r.iters, seed: r.seed, fits: r.fits, consensus: r.consensus }, nb);
}

/** The full rule of a graph relabel request: embed defaults to spectral, epochs and consensus to 0. */
export function ruleOf(o: GraphRelabelOptions): GraphRule {
  return { embed: o.embed ?? 'spectral', K: o.K, dims: o.dims, iters: o.iters, epochs: o.epochs ?? 0, fits: o.fits, consensus: o.consensus ?? 0, seed: o.seed };
}
