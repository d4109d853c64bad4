// assignLabels (labels computed elsewhere, e.g. by spectral clustering): the pool and the reference engine adopt
// them the same way — centroids = means of their codes (an empty cluster keeps its centroid), sizes, inertia,
// the cluster index, and samples drawn from the new clusters.
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterEngineOptions } from '../../src/cluster/engine.js';
import { PoolEngine } from '../../src/cluster/index.js';
import { createReferenceEngine } from '../../src/cluster/reference-engine.js';
import { Rng } from '../../src/util/rng.js';

const open: PoolEngine[] = [];
afterAll(async () => { await Promise.all(open.map((e) => e.close())); });

const opts: ClusterEngineOptions = {
  n: 503, dz: 5, dc: 3, k: 7, seed: 4, weights: { z: 1, c: 2 }, iters: 3, batchSize: 32, refit: 'epoch', workers: 1,
};

describe('assignLabels', () => {
  it('pool and reference adopt the same labels, means, sizes, inertia and index; samples follow them', async () => {
    const p = await PoolEngine.create(opts);
    open.push(p);
    const r = await createReferenceEngine(opts);
    const g = new Rng(11);
    const labels = Int32Array.from({ length: opts.n }, () => g.below(opts.k - 1)); // cluster k−1 stays empty
    const before = (await p.centroids()).slice((opts.k - 1) * 8, opts.k * 8);
    const a = await p.assignLabels(labels), b = await r.assignLabels(labels);
    expect(a.labels).toEqual(labels);
    expect(b.labels).toEqual(labels);
    expect(a.sizes).toEqual(b.sizes);
    expect(a.sizes[opts.k - 1]).toBe(0);
    expect(a.inertia / b.inertia).toBeCloseTo(1, 5);
    // centroids are the plain means of each cluster's codes; the empty one is untouched
    const codes = await p.readCodes(), cent = await p.centroids();
    for (let c = 0; c < opts.k - 1; c++) {
      for (let t = 0; t < 8; t++) {
        let s = 0, m = 0;
        for (let i = 0; i < opts.n; i++) if (labels[i] === c) { s += codes[i * 8 + t]; m++; }
        expect(cent[c * 8 + t]).toBeCloseTo(s / m, 5);
      }
    }
    expect(cent.slice((opts.k - 1) * 8, opts.k * 8)).toEqual(before);
    const idx = await p.clusterIndex();
    expect(idx.offsets).toEqual(r.index.offsets);
    expect(idx.members).toEqual(r.index.members);
    const rows = Int32Array.from({ length: 40 }, (_, i) => i * 12);
    const s = await p.sample(rows, 4, false, false);
    expect(s).toEqual(await r.sample(rows, 4, false, false));
    for (let i = 0; i < 160; i++) expect(labels[s.subsets[i]]).toBe(labels[rows[Math.floor(i / 4)]]);
    await expect(p.assignLabels(new Int32Array(3))).rejects.toThrow(/expected n=503/);
  });
});
