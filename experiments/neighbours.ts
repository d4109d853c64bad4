// The exact K nearest neighbours of n×d feature rows on a SIMD pool of their own (2 workers), closed after:
// the neighbour graph the experiment scripts hand to the spectral rule, as the runs' own relabels get it.
import { PoolEngine } from '../src/cluster/pool.js';
import type { Neighbours } from '../src/cluster/spectral.js';

export async function poolNeighbours(rows: Float32Array, n: number, d: number, K: number): Promise<Neighbours> {
  const eng = await PoolEngine.create({ n, dz: d, dc: 0, k: 2, seed: 1, weights: { z: 1, c: 1 }, iters: 1, init: 'random', batchSize: 256, refit: 'epoch', workers: 2, knnK: K });
  try {
    eng.writeCodes(Int32Array.from({ length: n }, (_, i) => i), rows);
    return await eng.knn(K);
  } finally {
    await eng.close();
  }
}
