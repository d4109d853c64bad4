// How much each code dimension counts in the clustering distance: d²(a, b) = Σ_j w_j (a_j − b_j)², with
// cluster.weights.z on every z dimension and cluster.weights.c on every c dimension.
import type { Config } from '../config.js';
import { dimWeights } from '../cluster/kmeans.js';

export interface DimWeights {
  /** d = dz + dc per-dimension weights */
  w: Float32Array;
  /** the part weights that went into them (logged as cluster/wz, cluster/wc) */
  wz: number;
  wc: number;
}

export function clusterDimWeights(c: Config['cluster'], dz: number, dc: number): DimWeights {
  const { z: wz, c: wc } = c.weights;
  return { w: dimWeights(dz, dc, wz, wc), wz, wc };
}
