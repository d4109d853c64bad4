// How the pool builds a neighbour graph as the store grows: the exact SIMD search (O(n²·d)) up to a size, an
// inverted-file (IVF) index above it (ivf-exec.ts, assembly/ivf.ts: ≈√rows coarse cells by the SIMD KMeans, each
// query scores the rows of its `probe` nearest cells); and above a larger size the graph rule itself runs on a
// seeded subsample of the codes, whose labels reach every code by a vote of its nearest subsample codes. Every
// switch reads only the number of rows.
import { Rng } from '../util/rng.js';

/** Rows from which the graph is approximate (IVF) instead of exact; UVHE_ANN_MIN_ROWS overrides it (tests). */
export const ANN_MIN_ROWS = 30_000;
/** Codes the graph rule (graph, embedding or layout, fits) runs on at most; above, a seeded subsample of this many,
 *  and the rest are labelled by a vote. UVHE_RULE_SAMPLE overrides it (tests, accuracy measurements). */
export const RULE_SAMPLE = 50_000;
/** Nearest subsample codes whose labels vote for each code (knnAssign's rule, src/assign.ts). */
export const VOTE_K = 15;
/** Cells the IVF probes per query: enough for a recall@50 above 0.95 on real codes (docs/scaling.md). */
export const ANN_PROBE = 16;
/** Lloyd iterations of the coarse KMeans, on a sample of SAMPLE_PER_CELL base rows per cell. */
export const COARSE_ITERS = 10;
export const SAMPLE_PER_CELL = 64;

/** Overrides for tests and benchmarks (each absent: the constant above, or its environment override). */
export interface AnnOptions {
  /** rows from which the graph is approximate (0: always; Infinity: never) */
  minRows?: number;
  /** rows of the graph rule's subsample (Infinity: never subsample) */
  sample?: number;
  /** cells probed per query (≥ cells: every cell, the exact graph) */
  probe?: number;
  /** coarse cells (default ≈√rows) */
  cells?: number;
  /** reserve the graph regions for all n rows even above the subsample size, so that knn() serves the whole store
   *  (benchmarks of the full graph); default: only for the rows the rule uses */
  fullGraph?: boolean;
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const x = Number(v);
  if (!(Number.isInteger(x) && x >= 0)) throw new Error(`${name} must be a non-negative integer; got "${v}"`);
  return x;
}

/** The switch sizes in effect: options, else the environment, else the constants. */
export function annSettings(o: AnnOptions = {}): { minRows: number; sample: number; probe: number } {
  return {
    minRows: o.minRows ?? envInt('UVHE_ANN_MIN_ROWS') ?? ANN_MIN_ROWS,
    sample: Math.max(2, o.sample ?? envInt('UVHE_RULE_SAMPLE') ?? RULE_SAMPLE),
    probe: Math.max(1, o.probe ?? ANN_PROBE),
  };
}

/** Coarse cells of an index over `rows` base rows. */
export function annCells(rows: number, o: AnnOptions = {}): number {
  return Math.max(1, Math.min(rows, o.cells ?? Math.round(Math.sqrt(rows))));
}

/** Rows the graph rule of an n-row store runs on (n, or the subsample size). */
export function ruleRows(n: number, o: AnnOptions = {}): number {
  return Math.min(n, annSettings(o).sample);
}

/** Rows the engine's graph regions are sized for. */
export function graphRows(n: number, o: AnnOptions = {}): number {
  return o.fullGraph ? n : ruleRows(n, o);
}

/** Whether a graph over `rows` rows is approximate. */
export function approximate(rows: number, o: AnnOptions = {}): boolean {
  return rows >= annSettings(o).minRows;
}

/** m distinct rows of [0, n), ascending, drawn from seed (Floyd's algorithm: O(m) draws, n bits of marks). */
export function sampleRows(n: number, m: number, seed: number): Int32Array {
  if (m >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = new Rng(seed), mark = new Uint8Array(n), out = new Int32Array(m);
  let c = 0;
  for (let j = n - m; j < n; j++) {
    const t = rng.below(j + 1);
    const pick = mark[t] ? j : t;
    mark[pick] = 1;
    out[c++] = pick;
  }
  return out.sort();
}
