import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { resolveConfig } from '../../src/config.js';
import { loadDataset } from '../../src/data/dataset.js';
import { train, type MetricsRecord } from '../../src/train/loop.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('relabel policy', () => {
  it('relabels after every epoch (cluster.refit "epoch"), and c carries information from the first epoch on', async () => {
    await initBackend('wasm');
    const split = loadDataset({ source: 'idx', dir: join(ROOT, 'test/fixtures/tiny-mnist-idx'), testFraction: 0.2, seed: 1 });
    const cfg = resolveConfig({
      mode: 'uvhe', train: { epochs: 4, batchSize: 16, progress: 'none' }, model: { hidden: 32 },
      cluster: { k: 4, embed: 'none', refit: 'epoch' }, eval: { every: 0 }, runtime: { backend: 'wasm' },
    });
    const recs: MetricsRecord[] = [];
    await train(cfg, split, { onEpoch: (r) => recs.push(r) });
    expect(recs.filter((r) => typeof r['cluster/acc'] === 'number').map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    // code/activeC counts c's dimensions by the KL of one q(c|D) (its amortised share per x would count none)
    for (const r of recs) expect(r['code/activeC']).toBeGreaterThan(0);
  }, 120_000);
});
