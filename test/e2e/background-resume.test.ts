// cluster.refit = "background" across a stop: a run stopped at an epoch boundary checkpoints before its pending
// background refit starts (bgPending); resuming restarts that refit, whose labels land during the next epoch or,
// when it outlasts that epoch, at a later boundary (the trainer does not wait for it).
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
    // second leg: the refit restarts. At epoch 3's end it has either landed (its cluster metrics are in the record)
    // or is still running (inFlight); without the restart there would be nothing to collect and no metrics.
    const second: MetricsRecord[] = [];
    const b = await train(cfg, split, { onEpoch: (r) => second.push(r) }, ck!);
    expect(b.stopped).toBe(false);
    expect(second.map((r) => r.epoch)).toEqual([3, 4]);
    const [e3, e4] = second;
    if (e3['cluster/inFlight'] === 1) expect(e3['cluster/acc']).toBeUndefined();
    else {
      expect(e3['cluster/inFlight']).toBe(0);
      expect(e3['cluster/acc']).toBeGreaterThan(0);
      expect((e3['cluster/sizes'] as number[]).reduce((x, y) => x + y, 0)).toBe(split.train.n);
    }
    // the last epoch always collects (waiting if it must) and refits at once
    expect(e4['cluster/acc']).toBeGreaterThan(0);
    expect((e4['cluster/sizes'] as number[]).reduce((x, y) => x + y, 0)).toBe(split.train.n);
  });
});
