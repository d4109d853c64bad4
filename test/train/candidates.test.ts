// eval.candidates: each final draw keeps the most even of several fits of its rule. Checked against the fits
// themselves (finalClusters with each candidate's seed) and against a plain entropy of the cluster sizes.
// cluster.candidates: the same choice in training's relabels and the pixels start (the rule itself:
// test/cluster/graph-candidates.test.ts); here, that the loop hands it to them.
import { describe, expect, it } from 'vitest';
import { join, resolve } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { resolveConfig } from '../../src/config.js';
import { loadDataset, type Dataset } from '../../src/data/dataset.js';
import { finalClusters, finalScores, pixelStartLabels, train } from '../../src/train/loop.js';
import { sizeEvenness } from '../../src/eval/metrics.js';
import { Rng } from '../../src/util/rng.js';

describe('sizeEvenness', () => {
  it('is the entropy of the cluster sizes over log k', () => {
    expect(sizeEvenness(Int32Array.from([0, 1, 2, 0, 1, 2]), 3)).toBeCloseTo(1, 12);
    expect(sizeEvenness(Int32Array.from([1, 1, 1, 1]), 3)).toBe(0);
    // sizes 2, 1, 1 (and an empty fourth cluster): −Σ q ln q / ln 4
    const want = -(0.5 * Math.log(0.5) + 2 * 0.25 * Math.log(0.25)) / Math.log(4);
    expect(sizeEvenness(Int32Array.from([0, 0, 1, 2]), 4)).toBeCloseTo(want, 12);
    expect(sizeEvenness(Int32Array.from([0, 0]), 1)).toBe(1);
  });
});

describe('eval.candidates', () => {
  // 300 points uniform in a square, k = 6: no true clusters, so KMeans fits from different seeds disagree
  const n = 300, d = 2, k = 6, g = new Rng(11);
  const codes = Float32Array.from({ length: n * d }, () => g.next());
  const truth = Int32Array.from({ length: n }, (_, i) => i % k);

  it('keeps, in every draw, the most even of its candidate fits; 1 keeps the first fit', async () => {
    for (const embed of ['none', 'spectral'] as const) {
      const base = { mode: 'uvhe', model: { zDim: 1, cDim: 1 }, cluster: { k, embed, neighbors: 8, eigenvectors: 6 }, eval: { draws: 2, consensus: 4 } };
      const one = await finalScores(resolveConfig(base), null, codes, n, d, k, null, truth);
      const cfg = resolveConfig({ ...base, eval: { ...base.eval, candidates: 4 } });
      const four = await finalScores(cfg, null, codes, n, d, k, null, truth);
      for (let draw = 0; draw < 2; draw++) {
        const fits = [];
        for (let c = 0; c < 4; c++) fits.push(await finalClusters(cfg, null, codes, n, d, k, null, draw, undefined, c));
        const even = fits.map((l) => sizeEvenness(l, k));
        expect(new Set(even).size, `${embed}: the candidates differ`).toBeGreaterThan(1);
        const best = even.indexOf(Math.max(...even));
        if (draw === 0) {
          expect([...four.labels]).toEqual([...fits[best]]);
          expect([...one.labels]).toEqual([...fits[0]]);
        }
      }
      expect(four.accs).toHaveLength(2);
    }
  }, 60_000);

  it('is refused outside [1, 64] by name', () => {
    expect(() => resolveConfig({ eval: { candidates: 0 } })).toThrow(/eval\.candidates/);
  });
});

describe('cluster.candidates', () => {
  const ROOT = resolve(import.meta.dirname, '../..');

  it('makes the training relabel keep a more even partition of the same codes, on the pool and off it', async () => {
    await initBackend('wasm');
    const split = loadDataset({ source: 'idx', dir: join(ROOT, 'test/fixtures/tiny-mnist-idx'), testFraction: 0.2, seed: 1 });
    for (const workers of [1, 0]) {
      const run = async (candidates: number) => train(resolveConfig({
        mode: 'uvhe', train: { epochs: 1, batchSize: 16, progress: 'none' }, model: { hidden: 32 },
        cluster: { k: 6, embed: 'spectral', neighbors: 8, candidates }, eval: { every: 0 }, runtime: { backend: 'wasm', workers },
      }), split, {});
      const one = await run(1), four = await run(4);
      expect([...four.codes!], 'the same training, so the same codes').toEqual([...one.codes!]);
      expect(sizeEvenness(four.trainLabels!, 6), `workers ${workers}`).toBeGreaterThan(sizeEvenness(one.trainLabels!, 6));
    }
  }, 120_000);

  it('makes the pixels start keep a more even partition', async () => {
    // 8×8 images of pure noise: no kinds to find, so the start's fits from different seeds disagree
    const g = new Rng(4), n = 200;
    const data: Dataset = { n, rows: 8, cols: 8, images: Uint8Array.from({ length: n * 64 }, () => Math.floor(g.next() * 256)), labels: null, numClasses: 0, name: 'noise' };
    const start = async (candidates: number) => (await pixelStartLabels(resolveConfig({
      cluster: { k: 6, start: 'pixels', startComponents: 8, embed: 'spectral', neighbors: 8, candidates }, runtime: { workers: 0 },
    }), data, 6)).labels;
    expect(sizeEvenness(await start(4), 6)).toBeGreaterThan(sizeEvenness(await start(1), 6));
  }, 60_000);

  it('is refused outside [1, 64] by name', () => {
    expect(() => resolveConfig({ cluster: { candidates: 65 } })).toThrow(/cluster\.candidates/);
  });

  it('is refused with the KMeans relabel, which has no fits to choose among, and named with what to use', () => {
    expect(() => resolveConfig({ cluster: { candidates: 4, embed: 'none' } })).toThrow(/cluster\.candidates .*cluster\.embed "none" use cluster\.restarts, got candidates 4/);
    expect(resolveConfig({ cluster: { candidates: 1, embed: 'none' } }).cluster.candidates).toBe(1);
    expect(resolveConfig({ cluster: { candidates: 4, embed: 'umap' } }).cluster.candidates).toBe(4);
  });
});
