// The two engines behind one contract: the pool (SIMD knn on the workers, graphLabels on a worker) and the
// reference engine (exact knn and graphLabels on the calling thread) give the same neighbours and the same graph
// relabels for the same store, rule and weights. Integer codes make every f32 distance exact, so there are no
// near-ties for the two neighbour searches to order differently.
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterEngine, ClusterEngineOptions, GraphRelabelOptions } from '../../src/cluster/engine.js';
import { PoolEngine } from '../../src/cluster/pool.js';
import { ReferenceEngine, createReferenceEngine } from '../../src/cluster/reference-engine.js';
import { clusterAccuracy } from '../../src/eval/metrics.js';
import { Rng } from '../../src/util/rng.js';

const open: ClusterEngine[] = [];
afterAll(async () => { await Promise.all(open.map((e) => e.close())); });

/** n integer-valued rows in d dims around k centres 12 apart on distinct axes, noise uniform in {−2, …, 2}. */
function intBlobs(n: number, d: number, k: number, seed: number): { codes: Float32Array; truth: Int32Array } {
  const rng = new Rng(seed);
  const codes = new Float32Array(n * d), truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    truth[i] = c;
    for (let t = 0; t < d; t++) codes[i * d + t] = (t === c % d ? 12 * (1 + Math.floor(c / d)) : 0) + rng.below(5) - 2;
  }
  return { codes, truth };
}

const n = 240, dz = 4, dc = 2, d = dz + dc, k = 3, K = 9;
const opts: ClusterEngineOptions = {
  n, dz, dc, k, seed: 8, weights: { z: 1, c: 1 }, iters: 3, batchSize: 32, refit: 'epoch', workers: 2, knnK: K,
};

async function pair(): Promise<{ pool: PoolEngine; ref: ReferenceEngine; truth: Int32Array }> {
  const { codes, truth } = intBlobs(n, d, k, 5);
  const pool = await PoolEngine.create(opts, { codes });
  const ref = await createReferenceEngine(opts);
  open.push(pool, ref);
  await ref.restore(await pool.snapshot()); // the same store, centroids and RNG states
  return { pool, ref, truth };
}

describe('pool and reference engine agree', () => {
  it('knn: the same neighbours and distances, with and without weights', async () => {
    const { pool, ref } = await pair();
    for (const w of [undefined, Float32Array.from({ length: d }, (_, t) => (t < dz ? 1 : 3))]) {
      for (const KK of [K, 4]) {
        const a = await pool.knn(KK, w), b = await ref.knn(KK, w);
        expect(a.idx).toEqual(b.idx);
        expect(Array.from(a.dist)).toEqual(Array.from(b.dist, (x) => Math.fround(x)));
      }
    }
  });

  it('graphRelabel: the same labels, sizes and inertia for spectral and umap rules, weighted or not', async () => {
    const { pool, ref, truth } = await pair();
    const rules: GraphRelabelOptions[] = [
      { K, dims: 3, iters: 200, fits: 2, seed: 4 },
      { K: 6, dims: 3, iters: 200, fits: 1, consensus: 4, seed: 5, dimWeights: Float32Array.from({ length: d }, (_, t) => (t < dz ? 1 : 0.5)) },
      { embed: 'umap', K, dims: 2, iters: 50, epochs: 80, fits: 2, consensus: 2, seed: 6 },
    ];
    for (const r of rules) {
      const a = await pool.graphRelabel(r), b = await ref.graphRelabel(r);
      expect(a.labels, JSON.stringify({ ...r, dimWeights: undefined })).toEqual(b.labels);
      expect(a.sizes).toEqual(b.sizes);
      expect(a.inertia / b.inertia).toBeCloseTo(1, 5);
      expect(clusterAccuracy(truth, a.labels, k).accuracy).toBe(1);
      // and both engines then sample from those clusters alike
      const rows = Int32Array.from({ length: 20 }, (_, i) => i * 11);
      expect(await pool.sample(rows, 4, false, false)).toEqual(await ref.sample(rows, 4, false, false));
    }
  });

  it('the reference engine: background runs at once, no worker restarts, K must be below n', async () => {
    const { ref } = await pair();
    expect(ref.workerRestarts).toBe(0);
    const r = await ref.graphRelabel({ K, dims: 3, iters: 100, fits: 1, seed: 1, background: true });
    expect(await ref.labels()).toEqual(r.labels);
    const again = await ref.relabel({ background: true });
    expect(again.sizes.reduce((x, y) => x + y, 0)).toBe(n);
    await expect(ref.graphRelabel({ K: n, dims: 3, iters: 10, fits: 1, seed: 1 })).rejects.toThrow(/K < n/);
    await expect(ref.knn(3, new Float32Array(2))).rejects.toThrow(/dimWeights/);
  });
});
