// The IVF index's tasks (protocol.ts Ivf*Task) against the kernels and the layout's IVF regions, run by
// TaskRunner on a worker or on this thread. The base is the whole store, or the graph rule's subsample (sub).
import { COARSE_ITERS, SAMPLE_PER_CELL, sampleRows } from './ann.js';
import type { Kernels } from './kernels.js';
import type { Layout } from './layout.js';
import type { IvfTask } from './protocol.js';

/** The base rows a graph task reads: the store, or the subsample's gathered codes. */
export function graphBase(L: Layout, sub: boolean): { ptr: number; rows: number } {
  if (!sub) return { ptr: L.codes, rows: L.params.n };
  if (L.subCodes === 0) throw new Error('cluster: layout has no subsample region');
  return { ptr: L.subCodes, rows: Math.min(L.params.n, L.params.graphRows ?? L.params.n) };
}

/**
 * Coarse KMeans of the base into `cells` centres, on this thread: COARSE_ITERS Lloyd steps of the SIMD kernels
 * (assignRange, lloydFinish) over a seeded sample of SAMPLE_PER_CELL rows per cell (gathered into the region of
 * the sorted base, which holds the whole base), from centres on distinct sample rows. Leaves the centres' panel prepared.
 */
function train(K: Kernels, L: Layout, buf: ArrayBufferLike, sub: boolean, cells: number, seed: number): void {
  const { d } = L.params, I = L.ivf;
  const { ptr, rows } = graphBase(L, sub);
  const S = Math.min(rows, cells * SAMPLE_PER_CELL);
  const pick = sampleRows(rows, S, seed);
  const base = new Float32Array(buf, ptr, rows * d), sample = new Float32Array(buf, I.sorted, S * d);
  for (let s = 0; s < S; s++) sample.set(base.subarray(pick[s]! * d, pick[s]! * d + d), s * d);
  const first = sampleRows(S, cells, seed ^ 0x1b873593), cent = new Float32Array(buf, I.cent, cells * d);
  for (let c = 0; c < cells; c++) cent.set(sample.subarray(first[c]! * d, first[c]! * d + d), c * d);
  const scratch = L.scratch + L.params.parts * L.scratchStride;
  for (let it = 0; it < COARSE_ITERS; it++) {
    K.prepareCentroids(I.cent, cells, d, L.weights, I.panel, I.cn);
    K.zero(I.sums, cells * d * 8);
    K.zero(I.partCounts, cells * 4);
    K.assignRange(I.sorted, d, 0, S, I.panel, I.cn, cells, I.cent, L.weights, I.cell, I.dist, I.sums, I.partCounts,
      L.stats, scratch, 0, 0, 0, 0);
    K.lloydFinish(1, I.sums, 0, I.partCounts, 0, I.sorted, S, d, I.cent, cells, I.cell, I.dist, I.counts, 0);
  }
  K.prepareCentroids(I.cent, cells, d, L.weights, I.panel, I.cn);
}

/** Run one IVF task. Every task but ivfTrain and ivfIndex touches only its own rows and scratch slot `part`. */
export function runIvfTask(K: Kernels, L: Layout, buf: ArrayBufferLike, t: IvfTask): void {
  const { d } = L.params, I = L.ivf;
  if (I.cent === 0) throw new Error('cluster: layout has no IVF regions');
  const probe = 'probe' in t ? Math.min(t.probe, t.cells) : 0;
  const scratch = 'part' in t ? I.scratch + t.part * I.scratchStride : 0;
  switch (t.op) {
    case 'ivfTrain':
      train(K, L, buf, t.sub, t.cells, t.seed);
      return;
    case 'ivfAssign': {
      const { ptr } = graphBase(L, t.sub);
      K.assignRange(ptr, d, t.lo, t.hi, I.panel, I.cn, t.cells, I.cent, L.weights, I.cell, I.dist, 0, 0,
        L.stats + t.part * 64, L.scratch + t.part * L.scratchStride, 0, 0, 0, 0);
      return;
    }
    case 'ivfIndex': {
      const { ptr, rows } = graphBase(L, t.sub);
      K.buildIndex(I.cell, rows, t.cells, I.offsets, I.members, I.cursor);
      K.ivfGather(ptr, d, rows, I.members, I.sorted);
      K.prepareCentroids(I.sorted, rows, d, L.weights, L.knnPanel, L.knnCn);
      return;
    }
    case 'ivfGraph': {
      const { rows } = graphBase(L, t.sub);
      K.ivfGraphRange(I.sorted, rows, d, L.weights, L.knnPanel, L.knnCn, I.members, t.cells, I.panel, I.cn, I.offsets,
        t.lo, t.hi, t.K, probe, L.knnIdx, L.knnDist, scratch);
      return;
    }
    case 'ivfVote': {
      const { rows } = graphBase(L, true);
      K.ivfVoteRange(L.codes, d, t.lo, t.hi, rows, L.knnPanel, L.knnCn, I.members, t.cells, I.panel, I.cn, I.offsets,
        t.K, probe, L.subLabels, L.params.k, L.knnLabels, scratch);
      return;
    }
  }
}
