// Passes of the pool engine over the whole code store, split by row ranges across the workers: the Lloyd
// assignment passes (with Hamerly bounds) and the KMeans fit made of them (graph-passes.ts has the neighbour graph).
import type { TaskRunner } from './exec.js';
import { rowRanges } from './layout.js';
import type { BoundsMode } from './protocol.js';
import type { WorkerPool } from './worker-pool.js';

/** What the assignment passes of the last fit (or assignPass) did. */
export interface PassStats {
  /** assignment passes over the whole store */
  passes: number;
  /** rows whose distances to every centre were computed, summed over the passes (n·passes without bounds) */
  scored: number;
  /** n·passes */
  rows: number;
}

/** The shapes and policies a pass is planned from. */
export interface PassPlan {
  n: number;
  d: number;
  k: number;
  workers: number;
  /** partial-sum slots in the layout: at most this many chunks per pass */
  parts: number;
  /** split an assignment across workers when 2·n·k·d exceeds this many flops */
  splitFlops: number;
  /** keep Hamerly bounds across passes by default */
  useBounds: boolean;
}

/**
 * A big pass is cut into up to this many row chunks per worker, queued on the pool: a worker that other processes
 * slow down takes fewer chunks instead of holding up the whole pass. Each chunk has its own partial-sum slot.
 */
export const CHUNKS_PER_WORKER = 4;
/** ...but a chunk keeps at least this many flops (a few ms), so the per-task dispatch cost stays negligible. */
const MIN_CHUNK_FLOPS = 5e7;

export class StorePasses {
  /** the upper/lower arrays hold valid bounds for the current labels (relative to the bounds' centroids) */
  private boundsValid = false;
  /** counters of the last fit / assignPass */
  lastPass: PassStats = { passes: 0, scored: 0, rows: 0 };

  constructor(private readonly pool: WorkerPool, private readonly local: TaskRunner, private readonly plan: PassPlan) {}

  /** Centroids or weights changed outside a fit: the bounds no longer hold and are re-recorded by the next pass. */
  invalidateBounds(): void {
    this.boundsValid = false;
  }

  resetStats(): void {
    this.lastPass = { passes: 0, scored: 0, rows: 0 };
  }

  /**
   * One parallel assignment pass: split by rows when it is worth the dispatch cost (or into `force` parts).
   * bounds: use (or first record) the Hamerly bounds; the drift of the centres since the bounds' centroids is
   * computed here on the main thread (O(k·d)) before the rows are dispatched.
   */
  async assignAll(accumulate: boolean, force?: number, bounds = this.plan.useBounds): Promise<{ inertia: number; changed: number; parts: number }> {
    const { n, k, d, workers, splitFlops } = this.plan;
    const flops = 2 * n * k * d;
    const chunks = Math.max(workers, Math.min(workers * CHUNKS_PER_WORKER, Math.floor(flops / MIN_CHUNK_FLOPS)));
    const parts = force ?? (flops >= splitFlops ? Math.min(chunks, Math.ceil(n / 4)) : 1);
    const ranges = rowRanges(n, parts);
    let mode: BoundsMode = 'off';
    if (bounds) {
      mode = this.boundsValid ? 'use' : 'record';
      this.local.run({ op: 'drift' });
    }
    this.boundsValid = false; // until every part has landed
    const res = await Promise.all(ranges.map(([lo, hi], part) => this.pool.run({ op: 'assign', lo, hi, part, accumulate, bounds: mode })));
    if (bounds) this.boundsValid = true;
    let inertia = 0, changed = 0, scored = 0;
    for (const r of res) { inertia += r.inertia; changed += r.changed; scored += r.scored; }
    this.lastPass.passes++;
    this.lastPass.scored += scored;
    this.lastPass.rows += n;
    return { inertia, changed, parts: ranges.length };
  }

  /** Lloyd iterations from the current centroids (stop once nothing changes), the final assignment, re-seeding of
   *  empty clusters and the cluster index: the same steps as kmeansFit (kmeans.ts). */
  async fit(iters: number, bounds = this.plan.useBounds): Promise<{ inertia: number; reseeded: number }> {
    let reseeded = 0;
    this.resetStats();
    for (let it = 0; it < iters; it++) {
      const deaths = this.pool.restarts;
      const a = await this.assignAll(true, undefined, bounds);
      const f = await this.pool.run({ op: 'finish', parts: a.parts });
      reseeded += f.reseeded;
      // Converged when the labels equal those the current means came from (never at it = 0: the stored labels
      // come from the previous final assignment, not from the means), and no worker died in this pass: a re-run
      // compares against labels the dead worker had already partly rewritten, so its change count is too low.
      if (it > 0 && a.changed === 0 && f.reseeded === 0 && this.pool.restarts === deaths) break;
    }
    const a = await this.assignAll(false, undefined, bounds);
    const z = await this.pool.run({ op: 'finalize' });
    return { inertia: a.inertia + z.inertiaDelta, reseeded: reseeded + z.reseeded };
  }
}
