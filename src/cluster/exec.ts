// Runs one protocol Task against the kernels and the shared layout. The worker calls it for every message;
// tests and the main thread call it directly (same code path, no thread in between).
import type { Kernels } from './kernels.js';
import type { Layout } from './layout.js';
import type { ResultOf, Task } from './protocol.js';
import { graphLabels } from './graph.js';
import { graphBase, runIvfTask } from './ivf-exec.js';
import { bestKmeans } from './kmeans.js';
import { Rng } from '../util/rng.js';

export class TaskRunner {
  private readonly stats: Int32Array;
  private readonly counts: Int32Array;
  private readonly onlineCounts: Int32Array;

  constructor(readonly K: Kernels, readonly L: Layout, private readonly memory: WebAssembly.Memory) {
    const buf = memory.buffer;
    this.stats = new Int32Array(buf, L.stats, (L.params.parts * 64) / 4);
    this.counts = new Int32Array(buf, L.counts, L.params.k);
    this.onlineCounts = new Int32Array(buf, L.onlineCounts, L.params.k);
    if (K.assignScratchBytes(L.params.d) > L.scratchStride) throw new Error('cluster: layout scratch is smaller than the kernels need');
  }

  private prepare(): void {
    const { L, K } = this;
    K.prepareCentroids(L.centroids, L.params.k, L.params.d, L.weights, L.panel, L.cn);
  }

  run<T extends Task>(task: T): ResultOf<T> {
    return this.dispatch(task) as ResultOf<T>;
  }

  private dispatch(t: Task): unknown {
    const { K, L } = this;
    const { n, d, k } = L.params;
    switch (t.op) {
      case 'prepare':
        this.prepare();
        return { ok: true };
      case 'drift':
        K.boundsDrift(L.centroids, L.bcent, k, d, L.weights, L.cn, L.drift);
        return { ok: true };
      case 'assign': {
        const stats = L.stats + t.part * 64;
        const mode = t.bounds === 'use' ? 2 : t.bounds === 'record' ? 1 : 0;
        let sums = 0, counts = 0;
        if (t.accumulate) {
          sums = L.sums + t.part * L.sumsStride;
          counts = L.partCounts + t.part * L.partCountsStride;
          K.zero(sums, k * d * 8);
          K.zero(counts, k * 4);
        }
        const inertia = K.assignRange(L.codes, d, t.lo, t.hi, L.panel, L.cn, k, L.centroids, L.weights, L.labels, L.dist,
          sums, counts, stats, L.scratch + t.part * L.scratchStride, mode, L.upper, L.lower, L.drift);
        return { inertia, changed: this.stats[t.part * 16], scored: this.stats[t.part * 16 + 1] };
      }
      case 'finish': {
        const reseeded = K.lloydFinish(t.parts, L.sums, L.sumsStride, L.partCounts, L.partCountsStride, L.codes, n, d, L.centroids, k, L.labels, L.dist, L.counts, L.upper);
        this.prepare();
        return { reseeded };
      }
      case 'finalize': {
        K.countLabels(L.labels, n, k, L.counts);
        let reseeded = 0, inertiaDelta = 0;
        if (this.counts.includes(0)) {
          const before = K.sumDist(L.dist, n);
          reseeded = K.reseedEmpty(L.codes, n, d, L.centroids, k, L.labels, L.dist, L.counts, 0, L.upper);
          inertiaDelta = K.sumDist(L.dist, n) - before;
          if (reseeded > 0) this.prepare();
        }
        K.buildIndex(L.labels, n, k, L.offsets, L.members, L.cursor);
        this.onlineCounts.set(this.counts);
        return { reseeded, inertiaDelta };
      }
      case 'write': {
        const s = L.writeSlots[t.slot];
        K.writeRows(L.codes, d, s.rows, t.B, s.codes, L.weights, L.lower);
        let inertia = 0;
        if (t.online) {
          inertia = K.miniBatchUpdate(s.codes, t.B, d, L.panel, L.cn, k, L.centroids, L.weights, L.onlineCounts,
            s.rows, L.labels, L.dist, s.blabels, s.bdist, L.stats, L.scratch + L.params.parts * L.scratchStride, L.upper);
        }
        return { inertia };
      }
      case 'sample': {
        if (t.rebuildIndex) K.buildIndex(L.labels, n, k, L.offsets, L.members, L.cursor);
        const s = L.sampleSlots[t.slot];
        K.sampleSubsets(s.rows, t.B, L.labels, L.offsets, L.members, k, t.m, t.includeSelf ? 1 : 0, t.shareD ? 1 : 0,
          L.rngSample, s.subsets, s.setSize, s.cluster, L.seen, s.chosen);
        return { ok: true };
      }
      case 'kmeans++':
        if (L.d2 === 0) throw new Error('cluster: layout has no k-means++ scratch');
        K.kmeansPlusPlus(L.codes, n, d, k, L.weights, L.rngKmeans, L.d2, L.centroids);
        this.prepare();
        return { ok: true };
      case 'index':
        K.buildIndex(L.labels, n, k, L.offsets, L.members, L.cursor);
        return { ok: true };
      case 'knnPrepare': {
        if (L.knnPanel === 0) throw new Error('cluster: layout has no knn regions');
        const b = graphBase(L, t.sub ?? false);
        K.prepareCentroids(b.ptr, b.rows, d, L.weights, L.knnPanel, L.knnCn);
        return { ok: true };
      }
      case 'knn': {
        if (L.knnPanel === 0 || t.K !== L.params.knnK) throw new Error(`cluster: layout has no knn regions for K=${t.K}`);
        const b = graphBase(L, t.sub ?? false);
        K.knnRange(b.ptr, d, b.rows, t.lo, t.hi, L.knnPanel, L.knnCn, L.weights, t.K, L.knnIdx, L.knnDist, L.scratch + t.part * L.scratchStride);
        return { ok: true };
      }
      case 'graph': {
        const K = t.rule.K, KK = L.params.knnK ?? 0;
        if (L.knnPanel === 0 || K > KK) throw new Error(`cluster: layout has no knn regions for K=${K}`);
        const buf = this.memory.buffer, sub = t.sub ?? false;
        const { ptr, rows } = graphBase(L, sub);
        // the pass found knnK neighbours per row; the graph uses each row's first (nearest) K
        const nb = K === KK
          ? { idx: new Int32Array(buf, L.knnIdx, rows * K), dist: Float64Array.from(new Float32Array(buf, L.knnDist, rows * K)) }
          : firstNeighbours(buf, L.knnIdx, L.knnDist, rows, KK, K);
        // weights: null is fine here: with the neighbours given, the weights were already applied by the knn pass
        const labels = graphLabels(new Float32Array(buf, ptr, rows * d), rows, d, t.k, t.rule, null, nb);
        new Int32Array(buf, sub ? L.subLabels : L.knnLabels, rows).set(labels);
        return { ok: true };
      }
      case 'ivfTrain': case 'ivfAssign': case 'ivfIndex': case 'ivfGraph': case 'ivfVote':
        runIvfTask(K, L, this.memory.buffer, t);
        return { ok: true };
      case 'bestKmeans': {
        const codes = new Float32Array(this.memory.buffer, L.codes, n * d);
        return { labels: bestKmeans({ rows: codes, n, d }, k, t.weights, t.fits, new Rng(t.seed)) };
      }
      case 'hold':
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, t.ms);
        return { ok: true };
      default: {
        const never: never = t;
        throw new Error(`cluster worker: unknown task ${JSON.stringify(never)}`);
      }
    }
  }
}

/** Each row's first K of the n×KK neighbour lists in the wasm heap (idx i32, dist f32), as n×K copies. */
export function firstNeighbours(buf: ArrayBufferLike, idxAt: number, distAt: number, n: number, KK: number, K: number): { idx: Int32Array; dist: Float64Array } {
  const srcI = new Int32Array(buf, idxAt, n * KK), srcD = new Float32Array(buf, distAt, n * KK);
  const idx = new Int32Array(n * K), dist = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    idx.set(srcI.subarray(i * KK, i * KK + K), i * K);
    for (let q = 0; q < K; q++) dist[i * K + q] = srcD[i * KK + q];
  }
  return { idx, dist };
}
