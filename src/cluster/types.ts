// Types that several cluster modules share (the graph relabel's rule and the neighbour lists it starts from);
// a leaf module, so that the engine contract, the thread protocol and the graph code need not import each other.

export type GraphEmbed = 'spectral' | 'umap';

/** What a graph relabel does with the neighbour graph; these fields also cross the thread boundary (protocol.ts). */
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
}

/** Each row's K nearest other rows, ascending: idx n×K row indices and dist n×K weighted squared distances. */
export interface Neighbours { idx: Int32Array; dist: Float64Array }
