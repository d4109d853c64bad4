// Clustering throughput: assignment passes and mini-batch KMeans steps of the AS SIMD pool (1 and 2 workers)
// against the plain TS reference and two npm peers (ml-kmeans, skmeans), same data, same run. Prints a table
// with ratios and writes bench/results/cluster.json. BENCH_QUICK=1 shrinks the grid; BENCH_HUGE=1 adds the
// 10,000,000×64, k=1000 full relabel (time and memory). The 'relabel' rows time whole relabels (3 Lloyd iterations
// + final assignment) on clustered codes that move a little between relabels, as in training, with and without the
// Hamerly bounds (same results): effective points/s = n·passes / time. The machine is shared with other processes:
// assignment rows are tinybench means; relabel rows are the best of several runs, with the spread in the note.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { kmeans as mlKmeans } from 'ml-kmeans';
import skmeans from 'skmeans';
import type { ClusterEngineOptions } from '../src/cluster/engine.js';
import { PoolEngine } from '../src/cluster/pool.js';
import { assign, miniBatchUpdate } from '../src/cluster/kmeans.js';

export interface ClusterBenchRow {
  op: 'assign' | 'minibatch' | 'relabel';
  n: number; d: number; k: number;
  impl: string;
  /** mean ms per pass (assign: all n rows; minibatch: one step of `batch` rows), null if skipped */
  ms: number | null;
  pointsPerS: number | null;
  /** 2·rows·k·d / time (relabel rows: effective, as if every pass scored every row) */
  gflops: number | null;
  note?: string;
  /** relabel rows: assignment passes per relabel and the fraction of rows actually scored */
  passes?: number;
  scoredFraction?: number;
}

/** n rows around k random centres (uniform in [-1, 1)^d) with noise σ: the shape codes take once they cluster. */
function fillClustered(a: Float32Array, n: number, d: number, k: number, sigma: number, seed: number): void {
  const centres = new Float32Array(k * d);
  fillUniform(centres, seed);
  const noise = new Float32Array(n * d);
  fillUniform(noise, seed + 1);
  for (let i = 0; i < n; i++) {
    const c = (i * 2654435761) % k;
    for (let t = 0; t < d; t++) a[i * d + t] = centres[c * d + t] + sigma * noise[i * d + t];
  }
}

/**
 * Relabels of two 2-worker pools on the same codes, one brute force and one with Hamerly bounds (a brute-force pass
 * leaves no valid bounds behind, so one pool could not alternate), run in turns; before each relabel every row
 * moves a little (written back in training-sized batches, outside the timed relabel). Returns ms and pass stats.
 */
async function benchRelabel(n: number, d: number, k: number, reps: number): Promise<Array<{ bounds: boolean; ms: number[]; passes: number; scored: number; rows: number }>> {
  const eo: ClusterEngineOptions = { n, dz: d, dc: 0, k, seed: 3, weights: { z: 1, c: 1 }, iters: 3, batchSize: 512, refit: 'epoch', workers: 2 };
  const out = [false, true].map((bounds) => ({ bounds, ms: [] as number[], passes: 0, scored: 0, rows: 0 }));
  const pools = await Promise.all(out.map((o) => PoolEngine.create(eo, { skipInitialFit: true, bounds: o.bounds, codes: (s) => fillClustered(s, n, d, k, 0.3, n + d + k) })));
  try {
    const codes = pools[0].views.codes.slice();
    const step = new Float32Array(n * d);
    const B = 512;
    const rows = new Int32Array(B);
    const move = (seed: number): void => {
      fillUniform(step, seed);
      for (let t = 0; t < codes.length; t++) codes[t] += 0.01 * step[t];
      for (let lo = 0; lo < n; lo += B) {
        const hi = Math.min(n, lo + B);
        for (let i = lo; i < hi; i++) rows[i - lo] = i;
        for (const p of pools) p.writeCodes(rows.subarray(0, hi - lo), codes.subarray(lo * d, hi * d));
      }
    };
    for (const p of pools) { await p.relabel(); await p.relabel(); } // converge a little, record bounds, tier up
    for (let r = 0; r < reps; r++) {
      move(100 + r);
      for (let i = 0; i < pools.length; i++) {
        const res = await pools[i].relabel();
        const o = out[i];
        o.ms.push(res.ms);
        o.passes += pools[i].lastPass.passes; o.scored += pools[i].lastPass.scored; o.rows += pools[i].lastPass.rows;
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  return out;
}

/** Fast uniform fill in [-1, 1) (xorshift32) so that building 10^7-row stores takes no time. */
function fillUniform(a: Float32Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    a[i] = (x >>> 0) * 4.656612873077393e-10 - 1;
  }
}

function toRows(a: Float32Array, n: number, d: number): number[][] {
  const out: number[][] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Array.from(a.subarray(i * d, i * d + d));
  return out;
}

/** Mean ms of fn over a short tinybench run (async fns awaited). */
async function timeIt(name: string, fn: () => unknown, budgetMs: number): Promise<number> {
  const bench = new Bench({ time: budgetMs, iterations: 2, warmup: true, warmupIterations: 1, warmupTime: 0 });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw new Error(`bench ${name}: ${r.state}${'error' in r ? `: ${String(r.error)}` : ''}`);
  return r.latency.mean;
}

const B_MINI = 1024;

export async function runClusterBench(opts: { quick?: boolean; huge?: boolean; log?: (s: string) => void } = {}): Promise<ClusterBenchRow[]> {
  const quick = opts.quick ?? process.env.BENCH_QUICK === '1';
  const huge = opts.huge ?? process.env.BENCH_HUGE === '1';
  const log = opts.log ?? ((s: string) => console.log(s));
  const ds = quick ? [64] : [32, 64, 128];
  const ks = quick ? [10, 100, 1000] : [10, 100, 1000];
  const ns = quick ? [60000] : [60000, 1000000];
  /** plain-JS rows (reference, peers) are skipped above this many flops per pass: they would take minutes */
  const jsFlopBudget = quick ? 2e9 : 8e9;
  const budget = quick ? 200 : 400;
  const rows: ClusterBenchRow[] = [];
  const push = (r: ClusterBenchRow): void => { rows.push(r); };
  const fmt = (op: ClusterBenchRow['op'], n: number, d: number, k: number, impl: string, ms: number | null, pts: number, note?: string): void => {
    push({ op, n, d, k, impl, ms, pointsPerS: ms === null ? null : pts / (ms / 1000), gflops: ms === null ? null : (2 * pts * k * d) / (ms / 1000) / 1e9, note });
  };

  for (const n of ns) for (const d of ds) for (const k of ks) {
    const flops = 2 * n * k * d;
    const eo: ClusterEngineOptions = { n, dz: d, dc: 0, k, seed: 1, weights: { z: 1, c: 1 }, iters: 0, batchSize: B_MINI, refit: 'online', workers: 2 };
    const pool = await PoolEngine.create(eo, { skipInitialFit: true, codes: (s) => fillUniform(s, n + d + k) });
    try {
      const codes = pool.views.codes; // the same data for every implementation
      const cent = (await pool.centroids()).slice();
      const passBudget = flops > 2e10 ? 0 : budget;
      const b = pool.simd; // "relaxed" (fused multiply-add) where the runtime has relaxed SIMD, else "strict"
      fmt('assign', n, d, k, `AS SIMD pool ${b}, 1 worker`, await timeIt('p1', () => pool.assignPass(1), passBudget), n);
      fmt('assign', n, d, k, `AS SIMD pool ${b}, 2 workers`, await timeIt('p2', () => pool.assignPass(2), passBudget), n);
      if (b === 'relaxed') {
        // the same pass with the strict build (mul, then add: bit for bit like the TS oracle); same codes and seed,
        // so the same initial centres
        const strict = await PoolEngine.create({ ...eo, simd: 'strict' }, { skipInitialFit: true, codes });
        try {
          fmt('assign', n, d, k, 'AS SIMD pool strict, 1 worker', await timeIt('s1', () => strict.assignPass(1), passBudget), n);
        } finally {
          await strict.close();
        }
      }
      const jsOk = flops <= jsFlopBudget;
      const labels = new Int32Array(n);
      fmt('assign', n, d, k, 'plain TS reference', jsOk ? await timeIt('ts', () => assign(codes, n, d, cent, k, null, labels), 0) : null, n, jsOk ? undefined : 'skipped');
      if (jsOk) {
        const data = toRows(codes, n, d);
        const init = toRows(cent, k, d);
        // Peers only expose fit(): one iteration from given centroids = one assignment + one mean update.
        fmt('assign', n, d, k, 'npm ml-kmeans (1 iter)', await timeIt('ml', () => mlKmeans(data, k, { initialization: init, maxIterations: 1 }), 0), n);
        fmt('assign', n, d, k, 'npm skmeans (1 iter)', await timeIt('sk', () => skmeans(data, k, init, 1), 0), n);
      } else {
        fmt('assign', n, d, k, 'npm ml-kmeans (1 iter)', null, n, 'skipped');
        fmt('assign', n, d, k, 'npm skmeans (1 iter)', null, n, 'skipped');
      }
      // mini-batch (Sculley) step: B rows written with online refit (assign B + centre updates + labels)
      if (n === ns[0]) {
        const rowsIdx = Int32Array.from({ length: B_MINI }, (_, i) => (i * 7919) % n);
        const batch = new Float32Array(B_MINI * d);
        fillUniform(batch, 99);
        fmt('minibatch', n, d, k, 'AS SIMD pool, 1 worker', await timeIt('mb', () => { pool.writeCodes(rowsIdx, batch); return pool.flush(); }, budget), B_MINI);
        const c2 = cent.slice(), cnt = new Int32Array(k).fill(1), lab = new Int32Array(B_MINI);
        fmt('minibatch', n, d, k, 'plain TS reference', await timeIt('mbts', () => miniBatchUpdate(batch, B_MINI, d, c2, k, null, cnt, lab), budget), B_MINI);
      }
    } finally {
      await pool.close();
    }
    if (n === ns[0]) {
      const reps = quick ? 3 : 5;
      for (const o of await benchRelabel(n, d, k, reps)) {
        const ms = [...o.ms].sort((a, b) => a - b);
        const passes = o.passes / reps;
        push({
          op: 'relabel', n, d, k, impl: o.bounds ? 'AS pool relabel, bounds, 2w' : 'AS pool relabel, brute, 2w', ms: ms[0],
          pointsPerS: (n * passes) / (ms[0] / 1000), gflops: (2 * n * k * d * passes) / (ms[0] / 1000) / 1e9,
          passes, scoredFraction: o.scored / o.rows,
          note: `best of ${reps} (worst ${ms[ms.length - 1].toFixed(1)} ms); ${passes.toFixed(1)} passes; scored ${(100 * o.scored / o.rows).toFixed(1)}% of rows`,
        });
      }
    }
    log(`done n=${n} d=${d} k=${k}`);
  }

  printTable(rows, log);

  if (huge) {
    const n = 10_000_000, d = 64, k = 1000;
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const eo: ClusterEngineOptions = { n, dz: d, dc: 0, k, seed: 1, weights: { z: 1, c: 1 }, iters: 1, batchSize: 256, refit: 'epoch', workers: 2 };
    const pool = await PoolEngine.create(eo, { skipInitialFit: true, codes: (s) => fillUniform(s, 7) });
    const tBuild = performance.now() - t0;
    const r = await pool.relabel();
    const mem = process.memoryUsage();
    log(`huge relabel n=${n} d=${d} k=${k}, 1 Lloyd iteration + final assignment (2 passes, 2 workers): ${(r.ms / 1000).toFixed(1)} s` +
      ` (${((2 * 2 * n * k * d) / (r.ms / 1000) / 1e9).toFixed(1)} GFLOP/s); build ${(tBuild / 1000).toFixed(1)} s;` +
      ` shared memory ${(pool.layout.bytes / 2 ** 30).toFixed(2)} GiB; rss ${(mem.rss / 2 ** 30).toFixed(2)} GiB (was ${(rss0 / 2 ** 30).toFixed(2)})`);
    rows.push({ op: 'assign', n, d, k, impl: 'AS SIMD pool relabel (1 iter + final), 2 workers', ms: r.ms, pointsPerS: (2 * n) / (r.ms / 1000), gflops: (4 * n * k * d) / (r.ms / 1000) / 1e9, note: `rss ${(mem.rss / 2 ** 30).toFixed(2)} GiB, shared ${(pool.layout.bytes / 2 ** 30).toFixed(2)} GiB; records the bounds` });
    // the next relabel with the bounds just recorded (uniform data: little to skip; codes unchanged in between)
    const r2 = await pool.relabel({ bounds: true });
    const st = pool.lastPass;
    log(`huge relabel again with Hamerly bounds: ${(r2.ms / 1000).toFixed(1)} s, scored ${((100 * st.scored) / st.rows).toFixed(1)}% of rows over ${st.passes} passes`);
    rows.push({ op: 'relabel', n, d, k, impl: 'AS pool relabel, bounds, 2w (2nd)', ms: r2.ms, pointsPerS: (st.passes * n) / (r2.ms / 1000), gflops: (2 * st.passes * n * k * d) / (r2.ms / 1000) / 1e9, passes: st.passes, scoredFraction: st.scored / st.rows, note: 'uniform data, codes unchanged since the first relabel' });
    await pool.close();
  }

  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}cluster.json`, JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, rows }, null, 1));
  log(`wrote ${dir}cluster.json`);
  return rows;
}

function printTable(rows: ClusterBenchRow[], log: (s: string) => void): void {
  const key = (r: ClusterBenchRow): string => `${r.op}|${r.n}|${r.d}|${r.k}`;
  const groups = new Map<string, ClusterBenchRow[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const pad = (s: string, w: number): string => (s.length >= w ? s : s + ' '.repeat(w - s.length));
  const lpad = (s: string, w: number): string => (s.length >= w ? s : ' '.repeat(w - s.length) + s);
  log(`${pad('op', 10)}${lpad('n', 8)}${lpad('d', 5)}${lpad('k', 6)}  ${pad('impl', 32)}${lpad('ms', 10)}${lpad('Mpts/s', 9)}${lpad('GFLOP/s', 9)}${lpad('×TS', 8)}${lpad('×peer', 8)}`);
  log('(relabel rows: effective Mpts/s = n·passes/time and GFLOP/s = 2·n·k·d·passes/time; ×TS there = × the brute-force relabel)');
  for (const g of groups.values()) {
    const ts = g.find((r) => r.impl.startsWith('plain TS'))?.ms ?? g.find((r) => r.impl.includes('brute'))?.ms ?? null;
    const peers = g.filter((r) => r.impl.startsWith('npm') && r.ms !== null).map((r) => r.ms as number);
    const peer = peers.length ? Math.min(...peers) : null;
    for (const r of g) {
      const ratio = (base: number | null): string => (r.ms === null || base === null ? '-' : (base / r.ms).toFixed(1));
      log(`${pad(r.op, 10)}${lpad(String(r.n), 8)}${lpad(String(r.d), 5)}${lpad(String(r.k), 6)}  ${pad(r.impl, 32)}` +
        `${lpad(r.ms === null ? (r.note ?? '-') : r.ms.toFixed(2), 10)}${lpad(r.pointsPerS === null ? '-' : (r.pointsPerS / 1e6).toFixed(2), 9)}` +
        `${lpad(r.gflops === null ? '-' : r.gflops.toFixed(1), 9)}${lpad(ratio(ts), 8)}${lpad(ratio(peer), 8)}` +
        (r.op === 'relabel' && r.note ? `  ${r.note}` : ''));
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  runClusterBench().catch((e: unknown) => { console.error(e); process.exit(1); });
}
