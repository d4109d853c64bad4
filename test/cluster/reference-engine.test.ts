// The reference engine (reference-engine.ts): initial codes and fit, relabels, online updates, sampling, and
// named errors for bad options and calls.
import { describe, expect, it } from 'vitest';
import type { ClusterEngineOptions } from '../../src/cluster/engine.js';
import { createReferenceEngine } from '../../src/cluster/reference-engine.js';


describe('ReferenceEngine', () => {
  const opts: ClusterEngineOptions = {
    n: 500, dz: 6, dc: 3, k: 7, seed: 123, weights: { z: 1, c: 2 }, iters: 10,
    batchSize: 32, refit: 'epoch', workers: 1,
  };
  it('initialises N(0,1) codes, fits, relabels, samples; deterministic given the seed', async () => {
    const a = await createReferenceEngine(opts);
    const b = await createReferenceEngine(opts);
    expect(a.kind).toBe('reference');
    const codes = await a.readCodes();
    expect(codes.length).toBe(500 * 9);
    let s = 0, s2 = 0;
    for (const v of codes) { s += v; s2 += v * v; }
    expect(Math.abs(s / codes.length)).toBeLessThan(0.1);
    expect(Math.abs(s2 / codes.length - 1)).toBeLessThan(0.1);
    expect(await a.labels()).toEqual(await b.labels());
    const rows = Int32Array.from([1, 2, 3, 4]);
    const newCodes = new Float32Array(4 * 9).fill(0.5);
    a.writeCodes(rows, newCodes);
    b.writeCodes(rows, newCodes);
    const ra = await a.relabel(), rb = await b.relabel();
    expect(ra.labels).toEqual(rb.labels);
    expect(ra.sizes.reduce((x, y) => x + y, 0)).toBe(500);
    expect(ra.labels[1]).toBe(ra.labels[2]);
    const sa = await a.sample(rows, 5, false, false), sb = await b.sample(rows, 5, false, false);
    expect(sa).toEqual(sb);
    for (let i = 0; i < 4; i++) for (let q = 0; q < 5; q++) expect(ra.labels[sa.subsets[i * 5 + q]]).toBe(ra.labels[rows[i]]);
    expect((await a.readCodes()).subarray(9, 18)).toEqual(newCodes.subarray(0, 9));
    expect(a.takeWaitMs()).toBeGreaterThanOrEqual(0);
    expect(a.takeWaitMs()).toBe(0);
    await a.close();
    await expect(a.relabel()).rejects.toThrow(/closed/);
  });
  it('online refit updates labels of written rows and the sampler follows them', async () => {
    const e = await createReferenceEngine({ ...opts, refit: 'online' });
    const lab0 = await e.labels();
    const target = lab0[0];
    // write row 10 exactly onto the centroid of cluster `target`
    const cent = e.state.centroids.slice(target * 9, target * 9 + 9);
    e.writeCodes(Int32Array.from([10]), cent);
    const lab1 = await e.labels();
    expect(lab1[10]).toBe(target);
    const s = await e.sample(Int32Array.from([10]), 3, true, false);
    for (const r of s.subsets) expect(lab1[r]).toBe(target);
  });
  it('rejects bad options and bad calls with named errors', async () => {
    await expect(createReferenceEngine({ ...opts, k: 0 })).rejects.toThrow(/cluster\.k/);
    await expect(createReferenceEngine({ ...opts, k: 501 })).rejects.toThrow(/cluster\.k/);
    await expect(createReferenceEngine({ ...opts, refit: 'x' as never })).rejects.toThrow(/cluster\.refit/);
    const e = await createReferenceEngine(opts);
    expect(() => e.writeCodes(Int32Array.from([0]), new Float32Array(3))).toThrow(/writeCodes/);
    await expect(e.sample(Int32Array.from([999]), 2, true, false)).rejects.toThrow(/out of/);
  });
});
