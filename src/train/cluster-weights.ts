// How much each code dimension counts in the clustering distance: d²(a, b) = Σ_j w_j (a_j − b_j)², with
// cluster.weights.z / scale_j² on z dimension j (z in units of the prior's scale, see z-scale.ts) and
// cluster.weights.c on every c dimension.
import type { Config } from '../config.js';
import { dimWeights } from '../cluster/kmeans.js';

export interface DimWeights {
  /** d = dz + dc per-dimension weights */
  w: Float32Array;
  /** the part weights that went into them (logged as cluster/wz, cluster/wc) */
  wz: number;
  wc: number;
}

/** The weights of cluster.weights, with z's divided by zScale² (dz; null: z's scale is 1). */
export function clusterDimWeights(c: Config['cluster'], dz: number, dc: number, zScale: Float32Array | null = null): DimWeights {
  const { z: wz, c: wc } = c.weights;
  const w = dimWeights(dz, dc, wz, wc);
  if (zScale) for (let j = 0; j < dz; j++) w[j] = wz / (zScale[j]! * zScale[j]!);
  return { w, wz, wc };
}
