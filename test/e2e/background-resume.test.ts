// cluster.refit = "background" across a stop: a run stopped at an epoch boundary checkpoints before its pending
// background refit starts (bgPending); resuming restarts that refit, whose labels land during the next epoch.
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.js';
import { resolveConfig } from '../../src/config.js';
import { loadDataset } from '../../src/data/dataset.js';
import { train, type MetricsRecord } from '../../src/train/loop.js';
import type { CheckpointData } from '../../src/train/checkpoint.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe.each(['spectral', 'none'])('background refit, cluster.embed=%s, stopped and resumed', (embed) => {
  it('records bgPending, restarts the refit on resume, and its labels land in the next epoch', async () => {
    await initBackend('wasm');
    const split = loadDataset({ source: 'idx', dir: join(ROOT, 'test/fixtures/tiny-mnist-idx'), testFraction: 0.2, seed: 1 });
    const cfg = resolveConfig({
      mode: 'uvhe', train: { epochs: 4, batchSize: 16, progress: 'none' }, model: { hidden: 32 },
      cluster: { k: 4, refit: 'background', embed }, runtime: { backend: 'wasm' },
    });
    // first leg: stop at the end of epoch 2 (a background refit of epoch 2's codes is then pending, not started)
    let ck: CheckpointData | null = null;
    const first: MetricsRecord[] = [];
    const a = await train(cfg, split, {
      onEpoch: (r) => first.push(r), onCheckpoint: (c) => { ck = c; }, shouldStop: () => first.length >= 2,
    });
    expect(a.stopped).toBe(true);
    expect(first.map((r) => r.epoch)).toEqual([1, 2]);
    expect(ck!.meta.bgPending).toBe(true);
    expect(ck!.meta.epoch).toBe(2);
    // second leg: the refit restarts and lands during epoch 3, whose record carries its cluster metrics
    const second: MetricsRecord[] = [];
    const b = await train(cfg, split, { onEpoch: (r) => second.push(r) }, ck!);
    expect(b.stopped).toBe(false);
    expect(second.map((r) => r.epoch)).toEqual([3, 4]);
    for (const r of second) {
      expect(r['cluster/acc']).toBeGreaterThan(0);
      expect((r['cluster/sizes'] as number[]).reduce((x, y) => x + y, 0)).toBe(split.train.n);
    }
  });
});
