// PoolEngine through real Piscina workers on one shared memory, against ReferenceEngine with the same options:
// same initial codes, labels, relabels, online updates and samples; and createClusterEngine's choice.
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterEngineOptions } from '../../src/cluster/engine.js';
import { PoolEngine, createClusterEngine } from '../../src/cluster/index.js';
import { STREAM } from '../../src/cluster/engine-init.js';
import { kmeansFit } from '../../src/cluster/kmeans.js';
import { ReferenceEngine, createReferenceEngine } from '../../src/cluster/reference-engine.js';
import { buildClusterIndex } from '../../src/cluster/sampler.js';
import { Rng, deriveSeed } from '../../src/util/rng.js';
import { blobs, samePartition } from './helpers.js';

const open: PoolEngine[] = [];
afterAll(async () => { await Promise.all(open.map((e) => e.close())); });
async function pool(opts: ClusterEngineOptions, popts = {}): Promise<PoolEngine> {
  const e = await PoolEngine.create(opts, popts);
  open.push(e);
  return e;
}

const base: ClusterEngineOptions = {
  n: 1001, dz: 7, dc: 2, k: 11, seed: 5, weights: { z: 1, c: 3 }, iters: 4, batchSize: 32,
  refit: 'epoch', workers: 2,
};

describe('PoolEngine vs ReferenceEngine (2 workers, assignment split by rows)', () => {
  it('same codes, labels, relabels, samples and cluster index', async () => {
    const p = await pool(base, { splitFlops: 1 });
    const r = await createReferenceEngine(base);
    expect(p.kind).toBe('wasm-simd-pool');
    expect(await p.readCodes()).toEqual(await r.readCodes());
    expect(await p.labels()).toEqual(await r.labels());
    const g = blobs(40, 9, 4, 1);
    const rows = Int32Array.from({ length: 40 }, (_, i) => i * 25);
    p.writeCodes(rows, g.codes);
    r.writeCodes(rows, g.codes);
    for (let t = 0; t < 3; t++) {
      const a = await p.relabel(), b = await r.relabel();
      expect(a.labels).toEqual(b.labels);
      expect(a.sizes).toEqual(b.sizes);
      expect(a.reseeded).toBe(b.reseeded);
      expect(a.inertia / b.inertia).toBeCloseTo(1, 5);
      expect(a.ms).toBeGreaterThanOrEqual(0);
    }
    const idx = await p.clusterIndex();
    expect(idx.offsets).toEqual(r.index.offsets);
    expect(idx.members).toEqual(r.index.members);
    for (const [m, inc, share] of [[5, false, false], [3, true, true], [200, false, false], [1, false, true]] as const) {
      const q = Int32Array.from([0, 25, 50, 999, 1000, 7, 25]);
      expect(await p.sample(q, m, inc, share)).toEqual(await r.sample(q, m, inc, share)); // m=200 > mCap: TS path
    }
    expect(await p.readCodes()).toEqual(await r.readCodes());
  });

  it('online refit: Sculley updates, labels of written rows and the sampler follow, in issue order', async () => {
    const opts: ClusterEngineOptions = { ...base, refit: 'online', workers: 1, n: 403, k: 6 };
    const p = await pool(opts, { batchCap: 16, ring: 2 });
    const r = await createReferenceEngine(opts);
    const g = blobs(70, 9, 3, 2);
    const prefetch: Array<Promise<unknown>> = [];
    for (let step = 0; step < 5; step++) {
      const B = 14;
      const rows = Int32Array.from({ length: B }, (_, b) => (step * 37 + b * 11) % opts.n);
      const codes = g.codes.slice(step * B * 9, step * B * 9 + B * 9);
      const qp = p.sample(rows, 4, false, false); // issued before the write: must not see it
      const qr = await r.sample(rows, 4, false, false);
      prefetch.push(qp.then((s) => expect(s).toEqual(qr)));
      p.writeCodes(rows, codes); // B=14 fits a slot; ring of 2 slots forces staging once writes pile up
      r.writeCodes(rows, codes);
      p.writeCodes(rows.subarray(0, 3), codes.subarray(0, 27));
      r.writeCodes(rows.subarray(0, 3), codes.subarray(0, 27));
    }
    await Promise.all(prefetch);
    expect(await p.labels()).toEqual(await r.labels());
    expect(await p.centroids()).toEqual(r.state.centroids);
    const q = Int32Array.from([1, 2, 3, 50, 400]);
    expect(await p.sample(q, 6, true, false)).toEqual(await r.sample(q, 6, true, false));
    const big = Int32Array.from({ length: 40 }, (_, i) => i * 10); // > batchCap: split into 3 writes
    const bigCodes = g.codes.slice(0, 40 * 9);
    p.writeCodes(big, bigCodes);
    r.writeCodes(big, bigCodes);
    expect(await p.labels()).toEqual(await r.labels());
    expect(await p.readCodes()).toEqual(await r.readCodes());
    const a = await p.relabel(), b = await r.relabel();
    expect(a.labels).toEqual(b.labels);
    expect(p.takeWaitMs()).toBeGreaterThanOrEqual(0);
  });

  it('recovers blobs exactly like kmeansFit from the same seed (k-means++, 1 worker); k = n and k = 1 work', async () => {
    const n = 301, d = 6, k = 5;
    const g = blobs(n, d, k, 3);
    const opts: ClusterEngineOptions = { ...base, n, dz: d, dc: 0, k, iters: 20, workers: 1, weights: { z: 1, c: 1 } };
    const p = await pool(opts, { codes: g.codes });
    const fit = kmeansFit(g.codes, n, d, { k, weights: null, iters: 20, rng: new Rng(deriveSeed(opts.seed, STREAM.kmeans)) });
    const lab = await p.labels();
    expect(samePartition(lab, g.truth)).toBe(true);
    expect(lab).toEqual(fit.labels);
    expect(samePartition((await p.relabel()).labels, g.truth)).toBe(true);
    await p.close();
    const tiny: ClusterEngineOptions = { ...base, n: 6, k: 6, workers: 1 };
    const pn = await pool(tiny);
    const rn = await createReferenceEngine(tiny);
    expect(await pn.labels()).toEqual(await rn.labels());
    expect(Array.from((await pn.relabel()).sizes)).toEqual([1, 1, 1, 1, 1, 1]);
    const s = await pn.sample(Int32Array.from([0, 5]), 3, false, false);
    expect(Array.from(s.subsets)).toEqual([0, 0, 0, 5, 5, 5]); // alone: x itself, with replacement
    const one: ClusterEngineOptions = { ...base, k: 1, workers: 1 };
    const p1 = await pool(one);
    const r1 = await p1.relabel();
    expect(r1.sizes[0]).toBe(base.n);
    expect(buildClusterIndex(r1.labels, 1).offsets[1]).toBe(base.n);
  });

  it('Hamerly bounds on/off give identical relabels (labels, sizes, inertia, centroids) while codes move a little each epoch; both match the reference', async () => {
    for (const [refit, k, workers] of [['epoch', 7, 2], ['online', 20, 2], ['epoch', 1, 1], ['epoch', 40, 2]] as const) {
      const n = 777, dz = 5, dc = 3, d = dz + dc;
      const g = blobs(n, d, Math.min(k, 6), 9, 6);
      const opts: ClusterEngineOptions = { ...base, n, dz, dc, k, refit, workers, iters: 3, batchSize: 50 };
      const on = await pool(opts, { codes: g.codes, splitFlops: 1, batchCap: 64 });
      const off = await pool(opts, { codes: g.codes, splitFlops: 1, batchCap: 64, bounds: false });
      const r = await createReferenceEngine(opts);
      await r.restore(await on.snapshot()); // the reference starts from the pool's state (codes, centroids, counts)
      const rng = new Rng(k + workers);
      const codes = g.codes.slice();
      let scored = 0, rows = 0;
      for (let epoch = 0; epoch < 4; epoch++) {
        for (let lo = 0; lo < n; lo += 50) { // every row moves a little, in batches, as in training
          const rowsW = Int32Array.from({ length: Math.min(50, n - lo) }, (_, i) => lo + i);
          for (const i of rowsW) for (let t = 0; t < d; t++) codes[i * d + t] += (rng.nextFloat() - 0.5) * 0.1;
          const batch = codes.slice(lo * d, (lo + rowsW.length) * d);
          on.writeCodes(rowsW, batch); off.writeCodes(rowsW, batch); r.writeCodes(rowsW, batch);
        }
        const a = await on.relabel(), b = await off.relabel(), c = await r.relabel();
        expect(a.labels, `bounds on vs off, ${refit} k=${k} epoch ${epoch}`).toEqual(b.labels);
        expect(a.sizes).toEqual(b.sizes);
        expect(a.inertia).toBe(b.inertia);
        expect(a.reseeded).toBe(b.reseeded);
        expect(await on.centroids()).toEqual(await off.centroids());
        expect(a.labels, `vs reference, ${refit} k=${k} epoch ${epoch}`).toEqual(c.labels);
        expect(off.lastPass.scored).toBe(off.lastPass.rows);
        if (epoch > 0) { scored += on.lastPass.scored; rows += on.lastPass.rows; }
      }
      // explicit per-call override, both ways
      expect((await on.relabel({ bounds: false })).labels).toEqual((await off.relabel({ bounds: true })).labels);
      if (k > 1) expect(scored).toBeLessThan(rows);
      await on.close(); await off.close();
    }
  });

  it('createClusterEngine picks the pool here, the reference on request, and validates', async () => {
    const a = await createClusterEngine({ ...base, n: 50, k: 3 });
    expect(a.kind).toBe('wasm-simd-pool');
    expect(a.note).toMatch(/worker/);
    const wait = a.engine.sample(Int32Array.from([1]), 2, false, false);
    await wait;
    expect(a.engine.takeWaitMs()).toBeGreaterThanOrEqual(0);
    await a.engine.close();
    await expect(a.engine.relabel()).rejects.toThrow(/closed/);
    const b = await createClusterEngine({ ...base, n: 50, k: 3 }, 'reference');
    expect(b.engine).toBeInstanceOf(ReferenceEngine);
    await expect(createClusterEngine({ ...base, k: 0 })).rejects.toThrow(/cluster\.k/);
  });
});
