// The approximate neighbour graph (IVF, ann.ts / assembly/ivf.ts) against the exact one, its determinism, the pool
// path against the same tasks on this thread, the size switch, and the graph rule on a subsample with the vote.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ANN_MIN_ROWS, annCells, annSettings, approximate, graphRows, ruleRows, sampleRows, type AnnOptions } from '../../src/cluster/ann.js';
import type { ClusterEngineOptions } from '../../src/cluster/engine.js';
import { TaskRunner } from '../../src/cluster/exec.js';
import { GraphPasses } from '../../src/cluster/graph-passes.js';
import { knn } from '../../src/cluster/neighbours.js';
import { PoolEngine } from '../../src/cluster/pool.js';
import type { Task, ResultOf } from '../../src/cluster/protocol.js';
import type { WorkerPool } from '../../src/cluster/worker-pool.js';
import { gaussianBlobs } from '../../src/data/synthetic-codes.js';
import { clusterAccuracy } from '../../src/eval/metrics.js';
import { Rng, deriveSeed } from '../../src/util/rng.js';

const open: PoolEngine[] = [];
afterAll(async () => { await Promise.all(open.map((e) => e.close())); });
afterEach(() => { delete process.env.UVHE_ANN_MIN_ROWS; delete process.env.UVHE_RULE_SAMPLE; });

function opts(n: number, d: number, K: number, workers = 2, k = 6): ClusterEngineOptions {
  return { n, dz: d, dc: 0, k, seed: 9, weights: { z: 1, c: 1 }, iters: 3, batchSize: 32, refit: 'epoch', workers, knnK: K };
}
async function engine(codes: Float32Array, o: ClusterEngineOptions, ann: AnnOptions): Promise<PoolEngine> {
  const e = await PoolEngine.create(o, { codes, skipInitialFit: true, ann });
  open.push(e);
  return e;
}
/** Share of the exact lists' rows that the approximate lists hold. */
function recall(exact: Int32Array, approx: Int32Array, n: number, K: number): number {
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const s = new Set(exact.subarray(i * K, i * K + K));
    for (let q = 0; q < K; q++) if (s.has(approx[i * K + q]!)) hit++;
  }
  return hit / (n * K);
}

describe('IVF neighbour graph', () => {
  const n = 4000, d = 12, K = 15;
  const { codes } = gaussianBlobs({ n, d, k: 8, seed: 3, sep: 4 });

  it('finds ≥ 0.95 of the exact neighbours, with distances that are the rows\' own', async () => {
    const e = await engine(codes, opts(n, d, K), { minRows: 0 });
    const a = await e.knn(K);
    expect(e.lastGraph).toMatchObject({ approximate: true, rows: n, cells: annCells(n) });
    const x = knn(codes, n, d, K, null);
    expect(recall(x.idx, a.idx, n, K)).toBeGreaterThanOrEqual(0.95);
    for (const i of [0, 17, 2500]) {
      const j = a.idx[i * K]!;
      let s = 0;
      for (let t = 0; t < d; t++) s += (codes[i * d + t]! - codes[j * d + t]!) ** 2;
      expect(a.dist[i * K]).toBeCloseTo(s, 2);
      expect(a.dist[i * K + 1]).toBeGreaterThanOrEqual(a.dist[i * K]!);
    }
  });

  it('is the same for a seed whatever the number of workers, and runs the same tasks on this thread', async () => {
    const e1 = await engine(codes, opts(n, d, K, 1), { minRows: 0 });
    const e2 = await engine(codes, opts(n, d, K, 2), { minRows: 0 });
    const a = await e1.knn(K), b = await e2.knn(K);
    expect(b.idx).toEqual(a.idx);
    expect(b.dist).toEqual(a.dist);
    // the same passes with every task run here instead of on a worker
    const local = new TaskRunner(e2.kernels, e2.layout, e2.memory);
    const here = { run: <T extends Task>(t: T): Promise<ResultOf<T>> => Promise.resolve(local.run(t)) } as unknown as WorkerPool;
    new Int32Array(e2.memory.buffer, e2.layout.knnIdx, n * K).fill(-1);
    await new GraphPasses(here, local, e2.layout, e2.memory, { minRows: 0 }).neighbours(false, deriveSeed(9, 'knn'));
    expect(new Int32Array(e2.memory.buffer, e2.layout.knnIdx, n * K)).toEqual(a.idx);
  });

  it('equals the exact graph when every cell is probed', async () => {
    // small integers: every distance is exact in f32, so ties are true ties and both sides break them by row
    const rng = new Rng(4), m = 1500, q = 6;
    const ints = Float32Array.from({ length: m * q }, () => rng.below(7));
    const e = await engine(ints, opts(m, q, 10), { minRows: 0, probe: 1e9 });
    const a = await e.knn(10);
    const x = knn(ints, m, q, 10, null);
    expect(e.lastGraph.probe).toBe(e.lastGraph.cells);
    expect(a.idx).toEqual(x.idx);
    expect(a.dist).toEqual(x.dist);
  });

  it('is exact below the switch size and approximate from it (UVHE_ANN_MIN_ROWS overrides it)', async () => {
    expect(approximate(ANN_MIN_ROWS - 1)).toBe(false);
    expect(approximate(ANN_MIN_ROWS)).toBe(true);
    process.env.UVHE_ANN_MIN_ROWS = '100';
    expect(annSettings().minRows).toBe(100);
    const e = await engine(codes, opts(n, d, K), {});
    await e.knn(K);
    expect(e.lastGraph.approximate).toBe(true);
    delete process.env.UVHE_ANN_MIN_ROWS;
    const f = await engine(codes, opts(n, d, K), {});
    await f.knn(K);
    expect(f.lastGraph.approximate).toBe(false);
    process.env.UVHE_ANN_MIN_ROWS = 'many';
    expect(() => annSettings()).toThrow(/UVHE_ANN_MIN_ROWS must be a non-negative integer/);
  });
});

describe('graph rule on a subsample', () => {
  it('labels every row by the vote, deterministically, and keeps the classes', async () => {
    const n = 6000, d = 10, k = 5;
    const { codes, labels: truth } = gaussianBlobs({ n, d, k, seed: 7, sep: 10 });
    process.env.UVHE_RULE_SAMPLE = '1200';
    expect(ruleRows(n)).toBe(1200);
    expect(graphRows(n)).toBe(1200);
    expect(graphRows(n, { fullGraph: true })).toBe(n);
    const rule = { K: 10, dims: 8, iters: 60, fits: 3, seed: 21 };
    const run = async (): Promise<Int32Array> => {
      const e = await engine(codes, opts(n, d, 10, 2, k), { minRows: 0 });
      // the graph regions hold the subsample only
      await expect(e.knn(10)).rejects.toThrow(/neighbour graph of all 6000 rows/);
      return (await e.graphRelabel(rule)).labels;
    };
    const a = await run(), b = await run();
    expect(b).toEqual(a);
    expect(clusterAccuracy(truth, a, k).accuracy).toBeGreaterThan(0.99);
  });

  it('draws distinct sorted rows from a seed', () => {
    const s = sampleRows(1000, 300, 5);
    expect(new Set(s).size).toBe(300);
    expect(Array.from(s)).toEqual(Array.from(s).sort((x, y) => x - y));
    expect(sampleRows(1000, 300, 5)).toEqual(s);
    expect(sampleRows(10, 20, 5)).toEqual(Int32Array.from({ length: 10 }, (_, i) => i));
  });
});
