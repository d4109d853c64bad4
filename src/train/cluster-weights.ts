// How much each code dimension counts in the clustering distance: d²(a, b) = Σ_j w_j (a_j − b_j)², with
// cluster.weights.z on every z dimension and cluster.weights.c on every c dimension.
import type { Config } from '../config.js';

export interface DimWeights {
  /** d = dz + dc per-dimension weights */
  w: Float32Array;
  /** the part weights that went into them (logged as cluster/wz, cluster/wc) */
  wz: number;
  wc: number;
}

export function clusterDimWeights(c: Config['cluster'], dz: number, dc: number): DimWeights {
  const { z: wz, c: wc } = c.weights;
  const w = new Float32Array(dz + dc);
  w.fill(wz, 0, dz);
  w.fill(wc, dz);
  return { w, wz, wc };
}
