// cluster.refit = "background": a relabel that runs alongside training. While it runs, sample() answers at once
// from the labels the relabel started from (not queued behind it); writes issued meanwhile land after it; once it
// lands, samples follow its labels; the results equal a plain relabel of the same store. readCodes() and snapshot()
// do not wait behind it either, and close() stops it instead of waiting it out.
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterEngineOptions } from '../../src/cluster/engine.js';
import { PoolEngine } from '../../src/cluster/index.js';
import { blobs } from './helpers.js';

const open: PoolEngine[] = [];
afterAll(async () => { await Promise.all(open.map((e) => e.close())); });

// big enough that a relabel takes many ms (k = 400 on 120k rows), so "answered before the relabel" means something
const opts: ClusterEngineOptions = {
  n: 120_000, dz: 16, dc: 16, k: 400, seed: 9, weights: { z: 1, c: 1 }, iters: 3, batchSize: 256,
  refit: 'background', workers: 1,
};

describe('background relabel (PoolEngine)', () => {
  it('samples from the frozen labels while it runs, defers writes, then follows the new labels', async () => {
    const a = await PoolEngine.create(opts, { skipInitialFit: true });
    const b = await PoolEngine.create(opts, { skipInitialFit: true });
    open.push(a, b);
    const before = await a.labels();
    const rows = Int32Array.from({ length: 128 }, (_, i) => (i * 937) % opts.n);

    const order: string[] = [];
    const bg = a.relabel({ background: true }).then((r) => { order.push('relabel'); return r; });
    // a second background relabel while one runs is refused
    await expect(a.relabel({ background: true })).rejects.toThrow(/already running/);
    // a write issued now must not reach the relabel (it sees the store as of its start)
    const g = blobs(128, 32, 4, 3);
    a.writeCodes(rows, g.codes);
    const s = await a.sample(rows, 5, false, false).then((x) => { order.push('sample'); return x; });
    for (let i = 0; i < rows.length * 5; i++) expect(before[s.subsets[i]]).toBe(before[rows[Math.floor(i / 5)]]);
    for (let i = 0; i < rows.length; i++) expect(s.cluster[i]).toBe(before[rows[i]]);
    const got = await bg;
    expect(order).toEqual(['sample', 'relabel']);

    // the same relabel in the foreground on an engine that has not seen the write yet gives the same labels
    const want = await b.relabel();
    expect(Buffer.from(got.labels.buffer).equals(Buffer.from(want.labels.buffer))).toBe(true);
    expect(got.inertia).toBe(want.inertia);

    // the deferred write landed after the relabel; samples now follow the new labels through the kernel path
    const codes = await a.readCodes();
    for (let i = 0; i < 32; i++) expect(codes[rows[0] * 32 + i]).toBe(g.codes[i]);
    const now = await a.labels();
    expect(now).toEqual(got.labels);
    const s2 = await a.sample(rows, 5, false, false);
    for (let i = 0; i < rows.length * 5; i++) expect(now[s2.subsets[i]]).toBe(now[rows[Math.floor(i / 5)]]);
    expect(before.some((v, i) => v !== now[i])).toBe(true); // the relabel did move labels, so the checks above bite
  });

  it('progresses while a trainer only awaits samples between synchronous steps', async () => {
    // A training step is synchronous (tfjs-wasm); if every sample resolved as a microtask, the event loop would
    // never run between steps, the relabel's next worker task would never be dispatched, and it would stall until
    // the epoch ends. Bound: 2,000 steps of 5 ms; the relabel needs well under a second of worker time.
    const a = await PoolEngine.create(opts, { skipInitialFit: true });
    open.push(a);
    let done = false;
    const bg = a.relabel({ background: true }).then(() => { done = true; });
    const rows = Int32Array.from({ length: 128 }, (_, i) => i * 31);
    let steps = 0;
    for (; steps < 2000 && !done; steps++) {
      const end = performance.now() + 5;
      while (performance.now() < end) { /* a synchronous "training step" */ }
      await a.sample(rows, 5, false, false);
    }
    expect(done).toBe(true);
    await bg;
  });

  it('readCodes and snapshot answer before the relabel, with every write issued; the snapshot restores', async () => {
    const a = await PoolEngine.create(opts, { skipInitialFit: true });
    const b = await PoolEngine.create({ ...opts, seed: 77 }, { skipInitialFit: true });
    open.push(a, b);
    const before = await a.labels();
    const storeBefore = await a.readCodes();
    const order: string[] = [];
    const rowsA = Int32Array.from({ length: 128 }, (_, i) => (i * 611) % opts.n);
    const rowsB = Int32Array.from({ length: 64 }, (_, i) => (i * 611) % opts.n); // overwrites rowsA's first 64
    const gA = blobs(128, 32, 4, 5), gB = blobs(64, 32, 4, 6);
    a.writeCodes(rowsA, gA.codes); // issued before the relabel: it may or may not have landed when we read
    const bg = a.relabel({ background: true }).then((r) => { order.push('relabel'); return r; });
    a.writeCodes(rowsB, gB.codes); // held behind the relabel
    const codes = await a.readCodes().then((c) => { order.push('read'); return c; });
    const snap = await a.snapshot().then((x) => { order.push('snapshot'); return x; });
    const got = await bg;
    expect(order).toEqual(['read', 'snapshot', 'relabel']);

    // the plain obvious answer: the store before, then both writes in issue order
    const want = storeBefore.slice();
    rowsA.forEach((r, i) => want.set(gA.codes.subarray(i * 32, (i + 1) * 32), r * 32));
    rowsB.forEach((r, i) => want.set(gB.codes.subarray(i * 32, (i + 1) * 32), r * 32));
    expect(Buffer.from(codes.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    expect(Buffer.from(snap.codes.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    // the clustering state is the one the relabel started from (what the sampler drew from meanwhile)
    expect(snap.labels).toEqual(before);
    expect(got.labels.some((v, i) => v !== before[i])).toBe(true); // the relabel moved labels, so that check bites

    // restored elsewhere, it is that state: the same codes and labels, and samples follow the old labels
    await b.restore(snap);
    expect(await b.labels()).toEqual(before);
    expect(Buffer.from((await b.readCodes()).buffer).equals(Buffer.from(want.buffer))).toBe(true);
    const s = await b.sample(rowsA, 5, false, false);
    for (let i = 0; i < rowsA.length * 5; i++) expect(before[s.subsets[i]]).toBe(before[rowsA[Math.floor(i / 5)]]);
    // and once the relabel has landed, the original reads through its queue again, with the same codes
    expect(Buffer.from((await a.readCodes()).buffer).equals(Buffer.from(want.buffer))).toBe(true);
  });

  it('close() during a background relabel stops it rather than waiting for it', async () => {
    const a = await PoolEngine.create({ ...opts, iters: 2000 }, { skipInitialFit: true });
    let settled = '';
    const bg = a.relabel({ background: true }).then(() => { settled = 'landed'; }, () => { settled = 'stopped'; });
    a.writeCodes(Int32Array.of(1, 2), new Float32Array(64)); // a write queued behind it fails quietly
    await a.close();
    await bg;
    // up to 2,000 Lloyd passes over 120,000×32 codes at k = 400 would take minutes; it did not run out
    expect(settled).toBe('stopped');
  });
});
