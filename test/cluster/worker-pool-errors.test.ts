// Piscina reports a worker's answer to a task it no longer tracks as an 'error' event on the pool. A failed run
// that tears the pool down mid-task produces one; it must neither crash the process (an unheard 'error' event
// throws) nor pass unnoticed while the pool is in use.
import { describe, expect, it } from 'vitest';
import { PoolEngine } from '../../src/cluster/pool.js';
import type { ClusterEngineOptions } from '../../src/cluster/engine.js';

const opts: ClusterEngineOptions = { n: 500, dz: 4, dc: 4, k: 5, seed: 3, weights: { z: 1, c: 1 }, iters: 3, batchSize: 64, refit: 'epoch', workers: 1 };
type Inner = { pool: { piscina: { emit(event: 'error', e: Error): boolean }; stopRestarts(): void } };
const late = (): Error => new Error('Unexpected message from Worker: { taskId: 24, result: { ok: true } }');

describe('the pool and Piscina error events', () => {
  it('drops a late answer while the engine closes', async () => {
    const e = await PoolEngine.create(opts);
    const { pool } = e as unknown as Inner;
    pool.stopRestarts(); // what close() does first
    expect(() => pool.piscina.emit('error', late())).not.toThrow();
    await e.close({ abort: true });
  });

  it('fails the next task with the error when it comes while the engine is in use', async () => {
    const e = await PoolEngine.create(opts);
    const { pool } = e as unknown as Inner;
    expect(() => pool.piscina.emit('error', late())).not.toThrow();
    await expect(e.relabel()).rejects.toThrow(/Unexpected message from Worker/);
    await e.close();
  });
});
