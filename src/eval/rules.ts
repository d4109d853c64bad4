// How a run's clustering rules are parameterised from its config: the neighbour graph's K, the embedding's
// dimensions, the whole graph rule of a relabel, and the options of the cluster engine that serves them.
import type { Config } from '../config.js';
import type { GraphEmbed, GraphRule } from '../cluster/types.js';
import type { ClusterEngineOptions } from '../cluster/engine.js';
import { deriveSeed } from '../util/rng.js';

/** Subspace-iteration steps of the graph's top eigenvectors (spectral embedding; umap's layout start). */
const EIGEN_ITERS = 100;
/** umap: SGD epochs of each layout, Gaussian-mixture fits per layout, and layouts whose partitions vote. */
const UMAP_LAYOUT_EPOCHS = 200;
export const UMAP_MIXTURES = 10;
export const UMAP_LAYOUTS = 3;
/** spectral: KMeans fits on the embedding whose consensus gives the labels, in training and in the final rule. */
export const SPECTRAL_CONSENSUS = 24;

/**
 * K of the neighbour graph over n codes: cluster.neighbors, or, when it is 0, one neighbour per 1,000 codes within
 * [10, 50]. A fixed K would make the graph ever more local as n grows, and the eigenvectors of a very local graph
 * follow small dense patches instead of classes.
 */
export function graphNeighbors(cfg: Config, n: number): number {
  const K = cfg.cluster.neighbors || Math.min(50, Math.max(10, Math.round(n / 1000)));
  return Math.min(K, n - 1);
}

/**
 * Columns of the embedding for a fit at k. Spectral: ⌈1.6·k⌉ eigenvectors, at most 48: more than k, because the
 * first k are partly spent on splitting one elongated class while two touching classes share one. Umap: k layout
 * dimensions, at most 32, one per cluster; the mixtures' full covariances cost O(dims²).
 */
export function embedDims(embed: GraphEmbed, k: number, n: number): number {
  if (embed === 'umap') return Math.min(k, 32, n);
  return Math.min(Math.ceil(1.6 * k), 48, n);
}

/** A graph relabel of n codes at k clusters by `embed`, seeded from the run's seed and `seedName`; fits: the
 *  spectral rule's KMeans fits (umap fits its mixtures). */
export interface RuleInput { embed: GraphEmbed; k: number; n: number; seedName: string; fits: number }

/** The graph rule (cluster/graph.ts) of a relabel. */
export function graphRule(cfg: Config, o: RuleInput): GraphRule {
  const { embed, k, n, seedName, fits } = o;
  const umap = embed === 'umap';
  return {
    embed, K: graphNeighbors(cfg, n), dims: embedDims(embed, k, n), iters: EIGEN_ITERS, epochs: UMAP_LAYOUT_EPOCHS,
    fits: umap ? UMAP_MIXTURES : fits, consensus: umap ? UMAP_LAYOUTS : SPECTRAL_CONSENSUS,
    seed: deriveSeed(cfg.seed, seedName),
  };
}

/** The cluster engine a run of `cfg` on n training examples uses (also what --recluster rebuilds). */
export function clusterEngineOptions(cfg: Config, n: number): ClusterEngineOptions {
  const graphs = cfg.cluster.embed !== 'none' || cfg.eval.embed !== 'none';
  return {
    n, dz: cfg.model.zDim, dc: cfg.model.cDim, k: cfg.cluster.k, seed: deriveSeed(cfg.seed, 'cluster'),
    weights: cfg.cluster.weights, iters: cfg.cluster.iters, batchSize: cfg.cluster.batchSize,
    refit: cfg.cluster.refit, workers: Math.max(1, cfg.runtime.workers), simd: cfg.cluster.simd,
    // the largest graph training or the final rule asks for
    knnK: graphs ? graphNeighbors(cfg, n) : 0,
  };
}
