// The pool's neighbour graph and graph relabel at any size (ann.ts says which path): the exact SIMD search or the
// IVF index split over the workers, the graph rule on one worker, and above the rule's sample size the vote that
// labels every store row from the subsample's labels. Main-thread orchestration only; the work runs as tasks.
import { deriveSeed } from '../util/rng.js';
import { VOTE_K, annCells, annSettings, approximate, sampleRows, type AnnOptions } from './ann.js';
import type { TaskRunner } from './exec.js';
import { graphBase } from './ivf-exec.js';
import { rowRanges, type Layout } from './layout.js';
import type { GraphRule } from './types.js';
import type { WorkerPool } from './worker-pool.js';

/** What the last neighbour pass did (benchmarks, tests). */
export interface GraphPassInfo {
  /** base rows of the graph */
  rows: number;
  approximate: boolean;
  /** IVF cells and cells probed per query (0 when exact) */
  cells: number;
  probe: number;
  /** wall ms of the neighbour pass (index build included) */
  ms: number;
}

export class GraphPasses {
  last: GraphPassInfo = { rows: 0, approximate: false, cells: 0, probe: 0, ms: 0 };

  constructor(private readonly pool: WorkerPool, private readonly local: TaskRunner, private readonly L: Layout,
    private readonly memory: WebAssembly.Memory, private readonly ann: AnnOptions = {}) {}

  /** Rows the graph regions hold. */
  get rows(): number {
    return Math.min(this.L.params.n, this.L.params.graphRows ?? this.L.params.n);
  }

  /** Chunks of a pass over `rows` rows: at most one per scratch slot, at least 64 rows each. */
  private ranges(rows: number): Array<[number, number]> {
    return rowRanges(rows, Math.min(this.L.params.parts, Math.max(1, Math.ceil(rows / 64))));
  }

  /** The IVF index over the base (the store, or the subsample), under the current weights. */
  private async buildIndex(sub: boolean, seed: number): Promise<number> {
    const { rows } = graphBase(this.L, sub);
    const cells = annCells(rows, this.ann);
    if ((this.L.params.cells ?? 0) < cells) throw new Error(`cluster: the layout holds ${this.L.params.cells ?? 0} IVF cells; an index over ${rows} rows needs ${cells}`);
    await this.pool.run({ op: 'ivfTrain', sub, cells, seed });
    await Promise.all(this.ranges(rows).map(([lo, hi], part) => this.pool.run({ op: 'ivfAssign', sub, cells, lo, hi, part })));
    await this.pool.run({ op: 'ivfIndex', sub, cells });
    return cells;
  }

  /** Each base row's knnK nearest other base rows into knnIdx/knnDist: exact below the switch size, else IVF (then
   *  the index stays built; returns its cells, 0 when exact). */
  async neighbours(sub: boolean, seed: number): Promise<number> {
    const t0 = performance.now();
    const KK = this.L.params.knnK ?? 0;
    const { rows } = graphBase(this.L, sub);
    if (!sub && rows > this.rows) throw new Error(`cluster: the neighbour graph of all ${rows} rows needs an engine whose graph regions hold them (they hold ${this.rows})`);
    if (!approximate(rows, this.ann)) {
      this.local.run({ op: 'knnPrepare', sub });
      await Promise.all(this.ranges(rows).map(([lo, hi], part) => this.pool.run({ op: 'knn', lo, hi, part, K: KK, sub })));
      this.last = { rows, approximate: false, cells: 0, probe: 0, ms: performance.now() - t0 };
      return 0;
    }
    const cells = await this.buildIndex(sub, seed);
    const probe = Math.min(cells, annSettings(this.ann).probe);
    await Promise.all(this.ranges(rows).map(([lo, hi], part) => this.pool.run({ op: 'ivfGraph', sub, cells, lo, hi, part, K: KK, probe })));
    this.last = { rows, approximate: true, cells, probe, ms: performance.now() - t0 };
    return cells;
  }

  /**
   * Labels of all n store rows by the graph rule at k. Up to the rule's sample size: the rule on the whole store's
   * graph. Above: a subsample of that many rows (seeded from the rule's seed) gets the graph and the rule, and every
   * other row takes the label most of its VOTE_K nearest subsample rows carry.
   */
  async relabel(rule: GraphRule, k: number): Promise<Int32Array> {
    const { n, d } = this.L.params, buf = this.memory.buffer;
    const R = this.rows, sub = R < n;
    if (rule.K >= R) throw new Error(`cluster: the graph rule's K (${rule.K}) must be below the ${R} codes it runs on (UVHE_RULE_SAMPLE)`);
    const seed = deriveSeed(rule.seed, 'ann');
    if (sub) {
      const rows = sampleRows(n, R, deriveSeed(rule.seed, 'subsample'));
      new Int32Array(buf, this.L.subRows, R).set(rows);
      const codes = new Float32Array(buf, this.L.codes, n * d), out = new Float32Array(buf, this.L.subCodes, R * d);
      for (let s = 0; s < R; s++) out.set(codes.subarray(rows[s]! * d, rows[s]! * d + d), s * d);
    }
    let cells = await this.neighbours(sub, seed);
    await this.pool.run({ op: 'graph', k, rule, sub });
    const labels = new Int32Array(buf, this.L.knnLabels, n);
    if (!sub) return labels.slice();
    if (cells === 0) cells = await this.buildIndex(true, seed);
    const probe = Math.min(cells, annSettings(this.ann).probe), K = Math.min(VOTE_K, R);
    await Promise.all(this.ranges(n).map(([lo, hi], part) => this.pool.run({ op: 'ivfVote', cells, lo, hi, part, K, probe })));
    const out = labels.slice();
    const rows = new Int32Array(buf, this.L.subRows, R), subLabels = new Int32Array(buf, this.L.subLabels, R);
    for (let s = 0; s < R; s++) out[rows[s]!] = subLabels[s]!;
    return out;
  }
}
