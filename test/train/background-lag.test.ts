// cluster.refit = "background" when a relabel outlasts an epoch (at 60,000 codes one graph relabel can take
// several epochs' time): the trainer does not wait for it. The epoch ends with it still
// running (cluster/inFlight 1, no new refit started, no cluster metrics); a later boundary collects it; the last
// epoch always has the final labels; and a checkpoint taken while it runs resumes (bgPending restarts a refit).
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.js';
import { resolveConfig } from '../../src/config.js';
import { loadDataset } from '../../src/data/dataset.js';
import { train, type MetricsRecord } from '../../src/train/loop.js';
import type { CheckpointData } from '../../src/train/checkpoint.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('a background relabel that outlasts its epoch', () => {
  it('is left running: training goes on, a later boundary collects it, and a checkpoint taken meanwhile resumes', async () => {
    await initBackend('wasm');
    const split = loadDataset({ source: 'idx', dir: join(ROOT, 'test/fixtures/tiny-mnist-idx'), testFraction: 0.2, seed: 1 });
    // One step per epoch (batch = the whole split) against a umap relabel (three layouts, ten Gaussian mixtures
    // each): the relabel is many times the work of an epoch.
    const cfg = resolveConfig({
      mode: 'uvhe', train: { epochs: 6, batchSize: 1024, progress: 'none' }, model: { hidden: 16 },
      cluster: { k: 4, refit: 'background', embed: 'umap' },
      eval: { every: 0 }, runtime: { backend: 'wasm' },
    });
    const recs: MetricsRecord[] = [];
    const cks = new Map<number, CheckpointData>();
    const run = await train(cfg, split, { onEpoch: (r) => recs.push(r), onCheckpoint: (c) => { cks.set(c.meta.epoch as number, c); } });
    expect(recs.map((r) => r.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    const mid = recs.slice(0, -1);
    const waiting = mid.filter((r) => r['cluster/inFlight'] === 1);
    expect(waiting.length, 'some epoch ended with the relabel still running').toBeGreaterThan(0);
    for (const r of mid) {
      expect([0, 1]).toContain(r['cluster/inFlight']);
      // an epoch that left it running records no partition; one that collected it records the partition it brought
      if (r['cluster/inFlight'] === 1) expect(r['cluster/sizes']).toBeUndefined();
      else if (Number(r.epoch) > 1) expect((r['cluster/sizes'] as number[]).reduce((x, y) => x + y, 0)).toBe(split.train.n);
    }
    const last = recs.at(-1)!;
    expect(last['cluster/inFlight']).toBeUndefined(); // the last epoch waits and refits at once
    expect((last['cluster/sizes'] as number[]).reduce((x, y) => x + y, 0)).toBe(split.train.n);
    expect(run.trainLabels).toHaveLength(split.train.n);

    // a checkpoint written while the relabel ran says so, and holds the labels the sampler drew from
    const e = waiting[0].epoch as number;
    const ck = cks.get(e)!;
    expect(ck.meta.bgPending).toBe(true);
    expect((ck.arrays['engine/labels'] as Int32Array).length).toBe(split.train.n);
    const again: MetricsRecord[] = [];
    const b = await train(cfg, split, { onEpoch: (r) => again.push(r) }, ck);
    expect(b.stopped).toBe(false);
    expect(again.map((r) => r.epoch)).toEqual(Array.from({ length: 6 - e }, (_, i) => e + 1 + i));
    // resumed, a refit was restarted: the next boundary finds it still running or collects what it brought
    const next = again[0];
    if (Number(next.epoch) < 6) expect(next['cluster/inFlight'] === 1 || Array.isArray(next['cluster/sizes'])).toBe(true);
    expect((again.at(-1)!['cluster/sizes'] as number[]).reduce((x, y) => x + y, 0)).toBe(split.train.n);
  }, 120_000);
});

describe('the epoch line', () => {
  it('says when an epoch ended with the relabel still running', async () => {
    const { epochLine } = await import('../../src/run.js');
    const base = { kind: 'epoch', epoch: 3, step: 9, 'loss/total': 250, 'speed/examplesPerSec': 2000, 'time/epoch': 30 };
    expect(epochLine({ ...base, 'cluster/inFlight': 1 }, 15)).toMatch(/relabel still running/);
    expect(epochLine({ ...base, 'cluster/inFlight': 0, 'cluster/acc': 0.6, 'cluster/nmi': 0.5 }, 15)).not.toMatch(/still running/);
  });
});
