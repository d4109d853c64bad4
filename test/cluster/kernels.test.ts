// Every SIMD kernel against its plain TypeScript twin (kmeans.ts, sampler.ts, neighbours.ts), run in-thread on a
// shared memory through the TaskRunner the workers use: odd n, d not a multiple of 4, k = 1, k = n, empty
// clusters, duplicate points, exact ties.
import { beforeAll, describe, expect, it } from 'vitest';
import { TaskRunner } from '../../src/cluster/exec.js';
import { compileKernels, createSharedMemory, instantiateKernels, relaxedSimdAvailable, type Kernels } from '../../src/cluster/kernels.js';
import { layoutViews, planLayout, type Layout, type LayoutViews } from '../../src/cluster/layout.js';
import {
  assign, countLabels, dimWeights, kmeansPlusPlus, lloydStep, miniBatchUpdate, reseedEmpty, updateMeans,
} from '../../src/cluster/kmeans.js';
import { knn } from '../../src/cluster/neighbours.js';
import { buildClusterIndex, sampleSubsets } from '../../src/cluster/sampler.js';
import { Rng } from '../../src/util/rng.js';

let mod: WebAssembly.Module;

interface Rig { K: Kernels; L: Layout; v: LayoutViews; run: TaskRunner; mem: WebAssembly.Memory }
function rig(n: number, d: number, k: number, parts = 1, batchCap = 64, mCap = 16): Rig {
  const probe = instantiateKernels(mod, createSharedMemory(1));
  const L = planLayout({ n, d, k, parts, batchCap, mCap, ring: 2, kmeansPP: true }, probe.heapBase());
  const mem = createSharedMemory(L.pages);
  const K = instantiateKernels(mod, mem);
  return { K, L, mem, v: layoutViews(L, mem.buffer), run: new TaskRunner(K, L, mem) };
}

function rigKnn(n: number, d: number, K: number): Rig {
  const probe = instantiateKernels(mod, createSharedMemory(1));
  const L = planLayout({ n, d, k: 1, parts: 2, batchCap: 8, mCap: 4, ring: 1, kmeansPP: false, knnK: K }, probe.heapBase());
  const mem = createSharedMemory(L.pages);
  const Kn = instantiateKernels(mod, mem);
  return { K: Kn, L, mem, v: layoutViews(L, mem.buffer), run: new TaskRunner(Kn, L, mem) };
}

/** integer-valued codes in [-r, r]: every f32 sum is exact, so results must match bit for bit (ties too). */
function intCodes(len: number, seed: number, r = 4): Float32Array {
  const g = new Rng(seed);
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = g.below(2 * r + 1) - r;
  return a;
}
function floatCodes(len: number, seed: number): Float32Array {
  const g = new Rng(seed);
  const a = new Float32Array(len);
  for (let i = 0; i < len; i++) a[i] = g.normal();
  return a;
}

// k ≤ 16 takes the direct path, k > 16 the splatted-tile path; k = n, k = 1, odd n, d % 4 != 0 on both
const SHAPES: Array<[number, number, number]> = [[1, 1, 1], [7, 3, 1], [13, 5, 13], [37, 6, 5], [101, 17, 9], [64, 64, 33], [203, 7, 12],
  [29, 5, 29], [151, 10, 17], [66, 3, 40]];

// Both builds: "strict" (mul, then add) and "relaxed" (fused multiply-add in the scoring loop). On integer data
// every product and sum is exact either way, so both must match the reference bit for bit.
const BUILDS = relaxedSimdAvailable() ? (['strict', 'relaxed'] as const) : (['strict'] as const);
describe.each(BUILDS)('%s build', (variant) => {
  beforeAll(async () => { mod = await compileKernels(variant); });

  describe('rng kernel', () => {
    it('draws the same u32 and below() stream as Rng', () => {
      const R = rig(4, 4, 1);
      for (const range of [0, 1, 7, 1000, 2 ** 31 - 1]) {
        Rng.seedState(R.v.rngSample, 77);
        const ref = new Rng(77);
        const out = R.L.sampleSlots[0].subsets;
        R.K.rngFill(R.L.rngSample, range, out, 50);
        const got = new Uint32Array(R.mem.buffer, out, 50);
        for (let i = 0; i < 50; i++) expect(got[i]).toBe(range === 0 ? ref.nextU32() : ref.below(range));
        expect(Array.from(R.v.rngSample)).toEqual(Array.from(ref.s));
      }
    });
  });

  describe('assignment kernel', () => {
    for (const [n, d, k] of SHAPES) {
      it(`matches brute force bit for bit on integer data (n=${n}, d=${d}, k=${k}, weighted, with ties)`, () => {
        const R = rig(n, d, k);
        const codes = intCodes(n * d, n * 31 + d);
        const cent = intCodes(k * d, k * 7 + d);
        const w = dimWeights(Math.ceil(d / 2), d - Math.ceil(d / 2), 2, 0.5);
        R.v.codes.set(codes); R.v.centroids.set(cent); R.v.weights.set(w);
        R.run.run({ op: 'prepare' });
        const res = R.run.run({ op: 'assign', lo: 0, hi: n, part: 0, accumulate: true });
        const lab = new Int32Array(n), dist = new Float32Array(n);
        const inertia = assign(codes, n, d, cent, k, w, lab, dist);
        expect(Array.from(R.v.labels)).toEqual(Array.from(lab));
        expect(Array.from(R.v.dist)).toEqual(Array.from(dist));
        expect(res.inertia).toBe(inertia);
        // accumulate: partial sums/counts equal the reference means' inputs
        const counts = new Int32Array(k);
        countLabels(lab, n, k, counts);
        expect(Array.from(new Int32Array(R.mem.buffer, R.L.partCounts, k))).toEqual(Array.from(counts));
        const sums = new Float64Array(k * d);
        updateMeans(codes, n, d, lab, k, counts, new Float32Array(k * d), sums);
        expect(Array.from(new Float64Array(R.mem.buffer, R.L.sums, k * d))).toEqual(Array.from(sums));
      });
    }
    it('agrees with brute force on float data and on sub-ranges; counts changed labels', () => {
      const n = 333, d = 19, k = 23;
      const R = rig(n, d, k);
      const codes = floatCodes(n * d, 5), cent = floatCodes(k * d, 6);
      R.v.codes.set(codes); R.v.centroids.set(cent); R.v.weights.fill(1);
      R.run.run({ op: 'prepare' });
      R.v.labels.fill(-1);
      const a = R.run.run({ op: 'assign', lo: 0, hi: 150, part: 0, accumulate: false });
      const b = R.run.run({ op: 'assign', lo: 150, hi: n, part: 0, accumulate: false });
      expect(a.changed + b.changed).toBe(n);
      const lab = new Int32Array(n), dist = new Float32Array(n);
      const inertia = assign(codes, n, d, cent, k, null, lab, dist);
      expect(Array.from(R.v.labels)).toEqual(Array.from(lab));
      for (let i = 0; i < n; i++) expect(R.v.dist[i]).toBeCloseTo(dist[i], 3);
      expect((a.inertia + b.inertia) / inertia).toBeCloseTo(1, 5);
      expect(R.run.run({ op: 'assign', lo: 0, hi: n, part: 0, accumulate: false }).changed).toBe(0);
    });
    it('duplicate points and duplicate centres: lowest centre index wins', () => {
      const n = 9, d = 5, k = 6;
      const R = rig(n, d, k);
      R.v.codes.fill(1); R.v.centroids.fill(1); R.v.weights.fill(1);
      R.run.run({ op: 'prepare' });
      R.run.run({ op: 'assign', lo: 0, hi: n, part: 0, accumulate: false });
      expect(Array.from(R.v.labels)).toEqual(new Array(n).fill(0));
      expect(Array.from(R.v.dist)).toEqual(new Array(n).fill(0));
    });
  });

  describe('assignment with Hamerly bounds', () => {
    /** one pass of the kernel with the given bounds mode over 2 parts; returns labels, distances, sums, scored rows */
    function pass(R: Rig, n: number, d: number, k: number, mode: 'off' | 'record' | 'use') {
      if (mode !== 'off') R.run.run({ op: 'drift' });
      const half = Math.floor(n / 2);
      const a = R.run.run({ op: 'assign', lo: 0, hi: half, part: 0, accumulate: true, bounds: mode });
      const b = R.run.run({ op: 'assign', lo: half, hi: n, part: 1, accumulate: true, bounds: mode });
      return {
        labels: R.v.labels.slice(), dist: R.v.dist.slice(), inertia: [a.inertia, b.inertia], changed: a.changed + b.changed,
        sums: new Float64Array(R.mem.buffer, R.L.sums, k * d).slice(), scored: a.scored + b.scored,
        sums1: new Float64Array(R.mem.buffer, R.L.sums + R.L.sumsStride, k * d).slice(),
      };
    }
    for (const [n, d, k, integer] of [[203, 7, 12, true], [151, 10, 17, false], [97, 64, 33, false], [64, 5, 1, false], [40, 6, 40, true], [333, 19, 23, false]] as Array<[number, number, number, boolean]>) {
      it(`bounded passes equal brute-force passes bit for bit while codes and centres move a little (n=${n}, d=${d}, k=${k}${integer ? ', integer data, ties' : ''})`, () => {
        const A = rig(n, d, k, 2), B = rig(n, d, k, 2); // A: bounds, B: brute force
        const codes = integer ? intCodes(n * d, n + d) : floatCodes(n * d, n + d);
        const cent = integer ? intCodes(k * d, k + 1) : floatCodes(k * d, k + 1);
        for (let t = 0; t < d; t++) cent[t] = codes[t]; // centre 0 on row 0: zero distance
        if (k > 1) for (let t = 0; t < d; t++) cent[d + t] = cent[t]; // duplicate centre: ties, lowest index wins
        const w = dimWeights(d - Math.floor(d / 3), Math.floor(d / 3), 1, 2);
        for (const R of [A, B]) { R.v.codes.set(codes); R.v.centroids.set(cent); R.v.weights.set(w); R.v.labels.fill(-1); R.run.run({ op: 'prepare' }); }
        const g = new Rng(n * k);
        let scored = 0, rows = 0;
        for (let step = 0; step < 6; step++) {
          const a = pass(A, n, d, k, step === 0 ? 'record' : 'use');
          const b = pass(B, n, d, k, 'off');
          expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
          expect(Array.from(a.dist)).toEqual(Array.from(b.dist));
          expect(a.inertia).toEqual(b.inertia);
          expect(a.changed).toBe(b.changed);
          expect(Array.from(a.sums)).toEqual(Array.from(b.sums));
          expect(Array.from(a.sums1)).toEqual(Array.from(b.sums1));
          expect(b.scored).toBe(n);
          if (step > 0) { scored += a.scored; rows += n; }
          // and both equal the plain TS oracle (exact on integer data; float data is far from ties here)
          const lab = new Int32Array(n), dist = new Float32Array(n);
          assign(A.v.codes, n, d, A.v.centroids, k, w, lab, dist);
          if (integer || k <= 2) expect(Array.from(a.labels)).toEqual(Array.from(lab));
          else expect(a.labels.filter((x, i) => x !== lab[i]).length).toBe(0);
          // centres: a Lloyd step on both (odd steps) or a small nudge; a few rows move a little (write task)
          if (step % 2 === 1) {
            A.run.run({ op: 'finish', parts: 2 });
            B.run.run({ op: 'finish', parts: 2 });
            expect(Array.from(A.v.centroids)).toEqual(Array.from(B.v.centroids));
          } else {
            const c2 = A.v.centroids.slice();
            for (let t = 0; t < c2.length; t++) c2[t] += integer ? (g.below(50) === 0 ? 1 : 0) : (g.nextFloat() - 0.5) * 0.02;
            for (const R of [A, B]) { R.v.centroids.set(c2); R.run.run({ op: 'prepare' }); }
          }
          const B2 = 5;
          const rowsW = Int32Array.from({ length: B2 }, () => g.below(n));
          const moved = new Float32Array(B2 * d);
          for (let r = 0; r < B2; r++) for (let t = 0; t < d; t++) {
            moved[r * d + t] = A.v.codes[rowsW[r] * d + t] + (integer ? (t === step % d ? 1 : 0) : (g.nextFloat() - 0.5) * 0.05);
          }
          for (const R of [A, B]) {
            const slot = R.L.writeSlots[0];
            new Int32Array(R.mem.buffer, slot.rows, B2).set(rowsW);
            new Float32Array(R.mem.buffer, slot.codes, B2 * d).set(moved);
            R.run.run({ op: 'write', slot: 0, B: B2, online: false });
          }
        }
        if (k > 1 && !integer && d < 64) expect(scored).toBeLessThan(rows); // the bounds did skip rows
      });
    }
    it('re-seeding inside a bounded Lloyd step keeps the next bounded pass exact', () => {
      const n = 57, d = 5, k = 6;
      const A = rig(n, d, k, 2), B = rig(n, d, k, 2);
      const codes = intCodes(n * d, 4), cent = intCodes(k * d, 8);
      for (let c = 3; c < k; c++) for (let t = 0; t < d; t++) cent[c * d + t] = 500 + c; // far: empty, re-seeded
      for (const R of [A, B]) { R.v.codes.set(codes); R.v.centroids.set(cent); R.v.weights.fill(1); R.v.labels.fill(-1); R.run.run({ op: 'prepare' }); }
      for (let step = 0; step < 4; step++) {
        const a = pass(A, n, d, k, step === 0 ? 'record' : 'use'), b = pass(B, n, d, k, 'off');
        expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
        expect(Array.from(a.dist)).toEqual(Array.from(b.dist));
        const fa = A.run.run({ op: 'finish', parts: 2 }), fb = B.run.run({ op: 'finish', parts: 2 });
        expect(fa.reseeded).toBe(fb.reseeded);
        expect(Array.from(A.v.centroids)).toEqual(Array.from(B.v.centroids));
      }
    });
  });

  describe('Lloyd finish, re-seeding', () => {
    for (const [n, d, k] of SHAPES) {
      it(`one Lloyd step over 2 partial sums equals lloydStep (n=${n}, d=${d}, k=${k}, empty clusters)`, () => {
        const R = rig(n, d, k, 2);
        const codes = intCodes(n * d, n + 3);
        const cent = intCodes(k * d, k + 5);
        for (let c = 1; c < k; c += 2) for (let t = 0; t < d; t++) cent[c * d + t] = 1000 + c; // far away: empty
        R.v.codes.set(codes); R.v.centroids.set(cent); R.v.weights.fill(1);
        R.v.labels.fill(-1);
        R.run.run({ op: 'prepare' });
        const half = Math.floor(n / 2 / 4) * 4;
        R.run.run({ op: 'assign', lo: 0, hi: half, part: 0, accumulate: true });
        R.run.run({ op: 'assign', lo: half, hi: n, part: 1, accumulate: true });
        const f = R.run.run({ op: 'finish', parts: 2 });
        const st = { centroids: cent.slice(), labels: new Int32Array(n).fill(-1), dist: new Float32Array(n), counts: new Int32Array(k) };
        const r = lloydStep(codes, n, d, k, null, st, new Float64Array(k * d));
        expect(f.reseeded).toBe(r.reseeded);
        expect(Array.from(R.v.labels)).toEqual(Array.from(st.labels));
        expect(Array.from(R.v.counts)).toEqual(Array.from(st.counts));
        expect(Array.from(R.v.centroids)).toEqual(Array.from(st.centroids));
      });
    }
    it('finalize re-seeds empties from the farthest rows, builds the index and Sculley counts', () => {
      const n = 21, d = 3, k = 4;
      const R = rig(n, d, k);
      const codes = intCodes(n * d, 9);
      const cent = new Float32Array(k * d).fill(100);
      cent.fill(0, 0, d);
      R.v.codes.set(codes); R.v.centroids.set(cent); R.v.weights.fill(1);
      R.run.run({ op: 'prepare' });
      R.run.run({ op: 'assign', lo: 0, hi: n, part: 0, accumulate: false });
      const z = R.run.run({ op: 'finalize' });
      const lab = new Int32Array(n), dist = new Float32Array(n), counts = new Int32Array(k);
      assign(codes, n, d, cent, k, null, lab, dist);
      countLabels(lab, n, k, counts);
      const before = dist.reduce((a, b) => a + b, 0);
      const c2 = cent.slice();
      expect(z.reseeded).toBe(reseedEmpty(codes, n, d, c2, k, lab, dist, counts));
      expect(z.reseeded).toBe(3);
      expect(z.inertiaDelta).toBeCloseTo(dist.reduce((a, b) => a + b, 0) - before, 4);
      expect(Array.from(R.v.labels)).toEqual(Array.from(lab));
      expect(Array.from(R.v.centroids)).toEqual(Array.from(c2));
      expect(Array.from(R.v.onlineCounts)).toEqual(Array.from(counts));
      const idx = buildClusterIndex(lab, k);
      expect(Array.from(R.v.offsets)).toEqual(Array.from(idx.offsets));
      expect(Array.from(R.v.members)).toEqual(Array.from(idx.members));
    });
  });

  describe('k-means++ kernel', () => {
    for (const [n, d, k] of SHAPES) {
      it(`picks the same rows as kmeansPlusPlus (n=${n}, d=${d}, k=${k})`, () => {
        const R = rig(n, d, k);
        const codes = intCodes(n * d, n * 5 + k, 2); // small range: many duplicates, sometimes Σd² = 0
        const w = dimWeights(d, 0, 1, 1);
        R.v.codes.set(codes); R.v.weights.set(w);
        Rng.seedState(R.v.rngKmeans, 1234);
        R.run.run({ op: 'kmeans++' });
        const cent = new Float32Array(k * d);
        kmeansPlusPlus(codes, n, d, k, w, new Rng(1234), cent);
        expect(Array.from(R.v.centroids)).toEqual(Array.from(cent));
      });
    }
  });

  describe('mini-batch (Sculley) kernel', () => {
    for (const [n, d, k] of [[50, 5, 3], [40, 8, 1], [64, 13, 7]] as Array<[number, number, number]>) {
      it(`equals miniBatchUpdate bit for bit and refreshes the panel (n=${n}, d=${d}, k=${k})`, () => {
        const R = rig(n, d, k, 1, 16);
        const cent = intCodes(k * d, 3);
        const w = dimWeights(d - 1, 1, 1, 3);
        R.v.centroids.set(cent); R.v.weights.set(w);
        const counts = Int32Array.from({ length: k }, (_, c) => c + 1);
        R.v.onlineCounts.set(counts);
        R.run.run({ op: 'prepare' });
        const rc = cent.slice();
        for (let step = 0; step < 3; step++) {
          const B = 11 + step;
          const rows = Int32Array.from({ length: B }, (_, b) => (b * 7 + step) % n);
          const batch = floatCodes(B * d, step + 10);
          const s = R.L.writeSlots[0];
          new Int32Array(R.mem.buffer, s.rows, B).set(rows);
          new Float32Array(R.mem.buffer, s.codes, B * d).set(batch);
          R.run.run({ op: 'write', slot: 0, B, online: true });
          const lab = new Int32Array(B);
          miniBatchUpdate(batch, B, d, rc, k, w, counts, lab);
          expect(Array.from(R.v.centroids)).toEqual(Array.from(rc));
          expect(Array.from(R.v.onlineCounts)).toEqual(Array.from(counts));
          for (let b = 0; b < B; b++) {
            expect(R.v.labels[rows[b]]).toBe(lab[b]);
            expect(Array.from(R.v.codes.subarray(rows[b] * d, rows[b] * d + d))).toEqual(Array.from(batch.subarray(b * d, b * d + d)));
          }
        }
        // the panel follows the moved centroids: a fresh assignment agrees with brute force
        const codes = floatCodes(n * d, 99);
        R.v.codes.set(codes);
        R.run.run({ op: 'assign', lo: 0, hi: n, part: 0, accumulate: false });
        const lab = new Int32Array(n);
        assign(codes, n, d, rc, k, w, lab);
        expect(Array.from(R.v.labels)).toEqual(Array.from(lab));
      });
    }
    it('plain writes scatter rows and leave labels alone', () => {
      const n = 10, d = 7, k = 2;
      const R = rig(n, d, k, 1, 8);
      R.v.labels.fill(5);
      const rows = Int32Array.from([9, 0, 4]);
      const batch = floatCodes(3 * d, 1);
      const s = R.L.writeSlots[1];
      new Int32Array(R.mem.buffer, s.rows, 3).set(rows);
      new Float32Array(R.mem.buffer, s.codes, 3 * d).set(batch);
      R.run.run({ op: 'write', slot: 1, B: 3, online: false });
      expect(Array.from(R.v.codes.subarray(9 * d, 10 * d))).toEqual(Array.from(batch.subarray(0, d)));
      expect(Array.from(R.v.codes.subarray(4 * d, 5 * d))).toEqual(Array.from(batch.subarray(2 * d, 3 * d)));
      expect(Array.from(R.v.codes.subarray(d, 2 * d))).toEqual(new Array(d).fill(0));
      expect(Array.from(R.v.labels)).toEqual(new Array(n).fill(5));
    });
  });

  describe('index and sampler kernels', () => {
    it('buildIndex equals buildClusterIndex (empty clusters, k = 1, k = n)', () => {
      for (const [n, k] of [[1, 1], [17, 1], [17, 17], [1001, 13]]) {
        const R = rig(n, 2, k);
        const g = new Rng(n + k);
        const lab = Int32Array.from({ length: n }, () => (k === n ? 0 : g.below(k)) + 0);
        if (k === n) for (let i = 0; i < n; i++) lab[i] = n - 1 - i;
        for (let i = 0; i < n; i++) if (lab[i] === 3) lab[i] = 4 % k; // cluster 3 empty when k > 4
        R.v.labels.set(lab);
        R.run.run({ op: 'index' });
        const idx = buildClusterIndex(lab, k);
        expect(Array.from(R.v.offsets)).toEqual(Array.from(idx.offsets));
        expect(Array.from(R.v.members)).toEqual(Array.from(idx.members));
      }
    });
    it('sampleSubsets draws exactly what the reference draws', () => {
      const n = 157, k = 9;
      const R = rig(n, 2, k, 1, 64, 16);
      const g = new Rng(3);
      const lab = Int32Array.from({ length: n }, (_, i) => (i < 150 ? g.below(6) : 6 + (i % 3))); // 6,7,8 tiny
      lab[151] = 8; lab[154] = 8; // cluster 6: {150,153,156}, 7: {152,155}, 8: {151,154}
      lab[152] = 6; // 6: {150,152,153,156}, 7: {155} alone
      R.v.labels.set(lab);
      R.run.run({ op: 'index' });
      const idx = buildClusterIndex(lab, k);
      const rows = Int32Array.from([0, 5, 150, 155, 151, 17, 152, 0, 99, 154, 3, 156, 42]);
      const B = rows.length;
      for (const m of [1, 2, 3, 5, 16]) {
        for (const includeSelf of [false, true]) {
          for (const shareD of [false, true]) {
            const seed = m * 4 + (includeSelf ? 2 : 0) + (shareD ? 1 : 0);
            Rng.seedState(R.v.rngSample, seed);
            const s = R.L.sampleSlots[1];
            new Int32Array(R.mem.buffer, s.rows, B).set(rows);
            R.run.run({ op: 'sample', slot: 1, B, m, includeSelf, shareD, rebuildIndex: false });
            const rng = new Rng(seed);
            const ref = sampleSubsets(rows, lab, idx, k, m, includeSelf, shareD, rng);
            expect(Array.from(new Int32Array(R.mem.buffer, s.subsets, B * m))).toEqual(Array.from(ref.subsets));
            expect(Array.from(new Int32Array(R.mem.buffer, s.setSize, B))).toEqual(Array.from(ref.setSize));
            expect(Array.from(new Int32Array(R.mem.buffer, s.cluster, B))).toEqual(Array.from(ref.cluster));
            expect(Array.from(R.v.rngSample)).toEqual(Array.from(rng.s));
          }
        }
      }
    });
  });

  describe('knn kernel', () => {
    for (const [n, d, K] of [[37, 6, 5], [101, 17, 1], [13, 5, 12], [64, 40, 10], [203, 7, 9]] as Array<[number, number, number]>) {
      it(`equals the TypeScript knn on integer data (n=${n}, d=${d}, K=${K}, weighted, ties)`, () => {
        const R = rigKnn(n, d, K);
        const codes = intCodes(n * d, n * 13 + d, 2);
        const w = dimWeights(Math.ceil(d / 2), d - Math.ceil(d / 2), 2, 0.5);
        R.v.codes.set(codes); R.v.weights.set(w);
        R.run.run({ op: 'knnPrepare' });
        // two ranges through two scratch slots, as the pool splits it
        const mid = Math.floor(n / 2);
        R.run.run({ op: 'knn', lo: 0, hi: mid, part: 0, K });
        R.run.run({ op: 'knn', lo: mid, hi: n, part: 1, K });
        const want = knn(codes, n, d, K, w);
        expect(Array.from(new Int32Array(R.mem.buffer, R.L.knnIdx, n * K))).toEqual(Array.from(want.idx));
        expect(Array.from(new Float32Array(R.mem.buffer, R.L.knnDist, n * K))).toEqual(Array.from(want.dist, (x) => Math.fround(x)));
      });
    }
  });
});
