// The final re-clustering on its own SIMD pool (the whole rule on a worker, so the main thread stays free for
// signals) gives exactly the labels of the main-thread computation it replaced: the pool's neighbours then
// graphLabels on this thread (graph rules), or bestKmeans on this thread (eval.embed "none").
import { describe, expect, it } from 'vitest';
import { resolveConfig, type Config } from '../../src/config.js';
import { finalClusters, finalSpaceWeights } from '../../src/eval/final.js';
import { graphRule } from '../../src/eval/rules.js';
import { graphLabels } from '../../src/cluster/graph.js';
import { bestKmeans } from '../../src/cluster/kmeans.js';
import { PoolEngine } from '../../src/cluster/pool.js';
import { clusterEngineOptions } from '../../src/eval/rules.js';
import { Rng, deriveSeed } from '../../src/util/rng.js';
import { knn } from '../../src/cluster/neighbours.js';

/** n codes of d dims around k well-separated-ish centres (seeded). */
function blobs(n: number, d: number, k: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const centres = Float32Array.from({ length: k * d }, () => 3 * rng.normal());
  return Float32Array.from({ length: n * d }, (_, i) => centres[(Math.floor(i / d) % k) * d + (i % d)]! + rng.normal());
}

function config(embed: 'spectral' | 'umap' | 'none'): Config {
  return resolveConfig({}, [['model.zDim', 4], ['model.cDim', 2], ['eval.embed', embed], ['eval.space', 'zc'], ['runtime.workers', 2], ['seed', 7]]);
}

/** The main-thread computation: the neighbours from a pool holding the codes, the rule on this thread. */
async function onThisThread(cfg: Config, rows: Float32Array, n: number, d: number, k: number, w: Float32Array | null): Promise<Int32Array> {
  const weights = finalSpaceWeights(cfg, w, d);
  if (cfg.eval.embed === 'none') return bestKmeans({ rows, n, d }, k, weights, 5, new Rng(deriveSeed(cfg.seed, 'final')));
  const rule = graphRule(cfg, { embed: cfg.eval.embed, k, n, seedName: 'final-spectral', fits: 5 });
  const e = await PoolEngine.create({ ...clusterEngineOptions(cfg, n), dz: d, dc: 0, weights: { z: 1, c: 1 }, refit: 'epoch' }, { codes: rows });
  try {
    const nb = await e.knn(rule.K, weights ?? undefined);
    return graphLabels(rows, n, d, k, rule, weights, nb);
  } finally {
    await e.close();
  }
}

describe('the final re-clustering on a pool of its own', () => {
  const n = 240, d = 6, k = 4;
  const rows = blobs(n, d, k, 11);
  const w = Float32Array.from({ length: d }, (_, j) => 0.5 + j / 4);
  it.each(['spectral', 'umap', 'none'] as const)('eval.embed %s: the same labels as the main-thread computation', async (embed) => {
    const cfg = config(embed);
    const want = await onThisThread(cfg, rows, n, d, k, w);
    const got = await finalClusters(cfg, { codes: { rows, n, d }, k, trainWeights: w });
    expect(new Set(got).size).toBe(k);
    expect(Array.from(got)).toEqual(Array.from(want));
  }, 60_000);

  it('a stop destroys the pool and throws StopRequested naming the phase', async () => {
    const cfg = config('umap');
    let stop!: () => void;
    const stopped = new Promise<void>((r) => { stop = r; });
    const t0 = performance.now();
    const p = finalClusters(cfg, { codes: { rows: blobs(3000, d, k, 3), n: 3000, d }, k, trainWeights: null, watch: { stop: stopped } });
    setTimeout(stop, 300);
    await expect(p).rejects.toThrow('stopped: skipped the final re-clustering');
    expect(performance.now() - t0).toBeLessThan(3000);
  }, 60_000);

  it('without a pool of its own (runtime.workers 0): the graph rule on neighbours from TypeScript', async () => {
    const cfg = resolveConfig({}, [['model.zDim', 4], ['model.cDim', 2], ['eval.embed', 'spectral'], ['eval.space', 'zc'], ['runtime.workers', 0], ['seed', 7]]);
    const got = await finalClusters(cfg, { codes: { rows, n, d }, k, trainWeights: null });
    const rule = graphRule(cfg, { embed: 'spectral', k, n, seedName: 'final-spectral', fits: 5 });
    expect(Array.from(got)).toEqual(Array.from(graphLabels(rows, n, d, k, rule, null, knn(rows, n, d, rule.K, null))));
  }, 60_000);
});
