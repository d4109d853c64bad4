// The memory map a pool engine of given options plans (PoolEngine.create), also asked before a run starts, so that
// a store too large for wasm32's 4 GiB is refused up front with its numbers.
import { annCells, approximate, graphRows, type AnnOptions } from './ann.js';
import type { ClusterEngineOptions } from './engine.js';
import { planLayout, type Layout } from './layout.js';
import { CHUNKS_PER_WORKER } from './store-passes.js';

/** The pool options (PoolOptions in pool.ts) that shape the layout. */
export interface LayoutChoices { batchCap?: number; mCap?: number; ring?: number; ann?: AnnOptions }

/** The layout of a pool for `opts` above heap base `base`; check: false to size one above 4 GiB without an error. */
export function engineLayout(opts: ClusterEngineOptions, popts: LayoutChoices, base: number, check = true): Layout {
  const d = opts.dz + opts.dc;
  const workers = Math.max(1, opts.workers);
  const knnK = opts.knnK ?? 0, rows = graphRows(opts.n, popts.ann);
  // IVF regions where the graph is approximate, or where a subsample's labels are voted to every row
  const cells = knnK && (approximate(rows, popts.ann) || rows < opts.n) ? annCells(rows, popts.ann) : 0;
  return planLayout({
    n: opts.n, d, k: opts.k, parts: workers * CHUNKS_PER_WORKER,
    batchCap: popts.batchCap ?? Math.max(opts.batchSize, 512), mCap: popts.mCap ?? 64, ring: popts.ring ?? 4,
    kmeansPP: true, // scratch for the k-means++ seeding of the first fit
    knnK, graphRows: rows, cells,
  }, base, check);
}
