// A pool worker killed in the middle of a relabel: Piscina replaces it, the task re-runs on the shared memory,
// and the results are exactly those of an engine that lost no worker.
import { describe, expect, it } from 'vitest';
import { PoolEngine } from '../../src/cluster/pool.js';
import type { ClusterEngineOptions } from '../../src/cluster/engine.js';

const opts: ClusterEngineOptions = {
  n: 120_000, dz: 32, dc: 32, k: 400, seed: 5, weights: { z: 1, c: 1 }, iters: 4, batchSize: 256, refit: 'epoch', workers: 2,
};

describe('worker death', () => {
  it('a worker terminated mid-relabel is replaced and the relabel gives the same labels', async () => {
    const a = await PoolEngine.create(opts, { skipInitialFit: true });
    const b = await PoolEngine.create(opts, { skipInitialFit: true });
    const want = await a.relabel();
    // Kill every worker right after the first assignment task is handed to the pool, so a task is certainly in
    // flight (a timer raced a fast machine: the relabel could finish first). The test reaches into the pool on
    // purpose.
    const pool = (b as unknown as { pool: { run(t: { op: string }): Promise<unknown>; piscina: { threads: Array<{ terminate(): Promise<number> }> } } }).pool;
    const run = pool.run.bind(pool);
    let killed: Promise<unknown> | undefined;
    pool.run = (t) => {
      const p = run(t);
      if (!killed && t.op === 'assign') killed = Promise.all(pool.piscina.threads.map((w) => w.terminate()));
      return p;
    };
    const pending = b.relabel();
    const got = await pending;
    await killed;
    pool.run = run;
    expect(b.workerRestarts).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(got.labels.buffer).equals(Buffer.from(want.labels.buffer))).toBe(true);
    expect(got.inertia).toBeCloseTo(want.inertia, 0);
    // and the engine goes on: a sample and another relabel still work on the replacement worker
    const rows = Int32Array.from({ length: 64 }, (_, i) => i * 7);
    const sub = await b.sample(rows, 5, false, false);
    for (let i = 0; i < 64 * 5; i++) expect(got.labels[sub.subsets[i]]).toBe(got.labels[rows[Math.floor(i / 5)]]);
    await b.relabel();
    await a.close(); await b.close();
  });
});
