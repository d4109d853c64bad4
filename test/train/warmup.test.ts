import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { ConfigError, resolveConfig } from '../../src/config.js';
import { loadDataset } from '../../src/data/dataset.js';
import { train, type MetricsRecord } from '../../src/train/loop.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('cluster.warmup', () => {
  it('keeps the initial partition until the end of epoch warmup: no relabel (and no cluster metrics) before it', async () => {
    await initBackend('wasm');
    const split = loadDataset({ source: 'idx', dir: join(ROOT, 'test/fixtures/tiny-mnist-idx'), testFraction: 0.2, seed: 1 });
    const run = async (warmup: number): Promise<MetricsRecord[]> => {
      const cfg = resolveConfig({
        mode: 'uvhe', train: { epochs: 4, batchSize: 16, progress: 'none' }, model: { hidden: 32 },
        cluster: { k: 4, embed: 'none', warmup }, eval: { every: 0 }, runtime: { backend: 'wasm' },
      });
      const recs: MetricsRecord[] = [];
      await train(cfg, split, { onEpoch: (r) => recs.push(r) });
      return recs;
    };
    const relabelled = (recs: MetricsRecord[]): number[] => recs.filter((r) => typeof r['cluster/acc'] === 'number').map((r) => r.epoch as number);
    const seed = await run(1);
    expect(relabelled(seed)).toEqual([1, 2, 3, 4]); // the seed: a relabel after every epoch
    // code/activeC counts c's dimensions by the KL of one q(c|D) (its amortised share per x would count none)
    for (const r of seed) expect(r['code/activeC']).toBeGreaterThan(0);
    expect(relabelled(await run(3))).toEqual([3, 4]);
    // a warm-up as long as the run still gives the final codes their labels
    expect(relabelled(await run(9))).toEqual([4]);
  }, 120_000);

  it('is refused with online refits, which relabel as codes arrive', () => {
    expect(() => resolveConfig({ cluster: { warmup: 3, refit: 'online' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ cluster: { warmup: 3, refit: 'online' } })).toThrow(/cluster\.warmup/);
    expect(() => resolveConfig({ cluster: { warmup: 0 } })).toThrow(/cluster\.warmup/);
  });
});
