// Train-step throughput: one full step (forward, backward, Adam) of the seed model at batch 128 with |D| = 5, per
// backend and, for the wasm-SIMD trainer, per thread count: median ms per step, examples/s, effective GFLOP/s and
// the fraction of this machine's register-only wasm-SIMD mul+add peak (assembly/probe.ts), probed in the same run.
//   BENCH_ONLY=train-step npm run bench          (or: npx tsx bench/train-step.bench.ts)
// Env: BENCH_BACKENDS=simd,wasm,cpu,native-cpu,gpu,pytorch (default: all but cpu, each that loads; pytorch: the
//      seed's model in plain PyTorch, bench/pytorch-step.py, its matrix products on as many OpenBLAS threads as
//      the simd rows it is timed with (bench/pytorch.ts)),
//      BENCH_THREADS=1,2 (simd thread counts; default 1..every core), BENCH_STEPS=20 (timed steps per row),
//      BENCH_RELABEL=0 skips the simd rows timed while the clustering pool (one worker, the default) relabels
//      60,000 codes at k = 100 back to back: the step's cost of sharing the cores with a relabel,
//      BENCH_DATA=digits,random (default digits; the results go to train-step.json for digits, else
//      train-step-<data>.json): the batches' images. digits: the embedded MNIST training split,
//      deskewed, as a default run trains on, with D drawn within each digit's class (the stand-in for a run's
//      clusters); random: uniform random bytes in 10 arbitrary classes, which leave no pixel row all zero.
// The simd trainer's first layer skips the pixel rows that are 0 in every image it reads (step.ts): each simd row
// is timed twice, with the skip and with the dense products ("dense first layer"), and the skipping row shows its
// speed against the dense one. For each D, the simd steps of every thread count, with and without the skip, and
// PyTorch's are timed step by step in alternation, so their ratios are measured under the same machine load.
// FLOPs per step: 2·M·N·K summed over every matrix product of the step as src/train/simd/step.ts runs it densely
// (forward, the backward's weight and input gradients, the D-averaging products; heads counted block-diagonally),
// the same maths the tfjs path runs; elementwise maps and Adam are not counted. Every row's GFLOP/s divides that
// dense count by its time, also where the skip leaves work out: an effective rate. The FLOPs the skip executes
// are printed below the table as a share of the dense count.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { createParams, disposeParams, type ModelShape } from '../src/model/vhe.js';
import { setGradientMode } from '../src/model/layers.js';
import { BatchBuilder, disposeBatch } from '../src/train/batch.js';
import { trainStep } from '../src/train/step.js';
import { Adam } from '../src/train/adam.js';
import { LIVE_ROW_LIMIT, SimdTrainer } from '../src/train/simd/trainer.js';
import { loadDataset } from '../src/data/dataset.js';
import { probePeak } from './peak.js';
import { startPyTorch, type PyTorchStep } from './pytorch.js';
import { Rng } from '../src/util/rng.js';
import { buildClusterIndex, sampleSubsets } from '../src/cluster/sampler.js';
import { createClusterEngine } from '../src/cluster/index.js';

const B = 128, M = 5, K = 10, P = 784;
const SHAPE: ModelShape = { mode: 'uvhe', pixels: P, hidden: 512, zDim: 20, cDim: 20, logStdBound: 5 };

interface Row {
  data: string; backend: string; threads: number; variant: string; msPerStep: number; examplesPerSec: number; gflops: number; peakFraction: number;
  /** the FLOPs the step executed, over the dense count (1 but for the skip) */
  executedFraction: number;
}

/** FLOPs of one uvhe step with B examples and U distinct subset rows (see the header): c feeds only p(z|c). */
export function stepFlops(s: ModelShape, B: number, U: number): number {
  const P = s.pixels, H = s.hidden, H2 = 2 * H, dz = s.zDim, dc = s.cDim;
  const mm = (m: number, n: number, k: number): number => 2 * m * n * k;
  const heads = (d: number): number => 3 * 2 * mm(d, B, H); // forward, dW and dh of two [d, H] blocks
  const lin = (out: number, inp: number, n: number, dx: boolean): number => mm(out, n, inp) * (dx ? 3 : 2);
  return lin(H2, P, U, false) + 2 * mm(H2, B, U) + heads(dc) // q(c|D): encoder on U rows, averaging, heads
    + lin(H2, P, B, false) + heads(dz) // q(z|x)
    + lin(H2, dc, B, true) + heads(dz) // p(z|c)
    + lin(H, dz, B, true) + lin(P, H, B, true); // p(x|z)
}

interface Fixture { name: string; n: number; images: Uint8Array; labels: Int32Array; index: ReturnType<typeof buildClusterIndex> }
function fixture(name: string): Fixture {
  if (name === 'digits') {
    const d = loadDataset({ source: 'mnist', testFraction: 0.2, seed: 1, deskew: true }).train;
    return { name, n: d.n, images: d.images, labels: d.labels!, index: buildClusterIndex(d.labels!, K) };
  }
  const rng = new Rng(7), n = 8000;
  const images = new Uint8Array(n * P).map(() => rng.int(256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % K);
  return { name, n, images, labels, index: buildClusterIndex(labels, K) };
}

/** Pixel rows that are not 0 in every one of the images `rows`. */
function liveRows(images: Uint8Array, rows: ArrayLike<number>): number {
  let live = 0;
  for (let p = 0; p < P; p++) {
    for (let i = 0; i < rows.length; i++) if (images[rows[i] * P + p] !== 0) { live++; break; }
  }
  return live;
}

/** FLOPs the skip leaves out of stepFlops: the first layer's forward and weight-gradient products over the dead
 *  rows of x (B columns) and of the distinct subset rows (U columns), where the trainer takes the skip. */
function skippedFlops(s: ModelShape, liveX: number, B: number, liveU: number, U: number): number {
  const dead = (live: number, cols: number): number => (live < LIVE_ROW_LIMIT * s.pixels ? 2 * 2 * (2 * s.hidden) * (s.pixels - live) * cols : 0);
  return dead(liveX, B) + dead(liveU, U);
}

/** One step; a run that resolves to a number reports its own milliseconds (PyTorch's, timed by its script). */
type StepRun = (rows: Int32Array, sub: ReturnType<typeof sampleSubsets>, rng: Rng) => void | Promise<number>;
interface Timing { ms: number; flops: number; executed: number }

/** Times `steps` steps of each run after 3 untimed ones, the runs in alternation on the same batches (so a busy
 *  spell of the machine falls on all of them): the median ms per step (a step that other processes delayed moves
 *  a mean, not a median), the mean dense FLOPs per step and the mean share of them that `skips` executes (1 for a
 *  run whose index is not in skips). Yields to the event loop between steps (as a training epoch does), so that
 *  work running alongside can go on. */
async function timeSteps(fx: Fixture, share: boolean, steps: number, runs: StepRun[], skips: number[] = []): Promise<Timing[]> {
  const rng = new Rng(3), crng = new Rng(9);
  const times: number[][] = runs.map(() => []);
  let flops = 0, skipped = 0;
  for (let i = 0; i < steps + 3; i++) {
    const rows = Int32Array.from({ length: B }, () => rng.int(fx.n));
    const sub = sampleSubsets(rows, fx.labels, fx.index, K, M, false, share, crng);
    const uniq = [...new Set(sub.subsets)];
    for (let j = 0; j < runs.length; j++) {
      const r = (i + j) % runs.length;
      await new Promise((res) => setImmediate(res));
      const t0 = performance.now();
      const own = runs[r](rows, sub, rng);
      const ms = own instanceof Promise ? await own : performance.now() - t0;
      if (i >= 3) times[r].push(ms);
    }
    if (i >= 3) {
      flops += stepFlops(SHAPE, B, uniq.length);
      if (skips.length) skipped += skippedFlops(SHAPE, liveRows(fx.images, rows), B, liveRows(fx.images, uniq), uniq.length);
    }
  }
  return times.map((t, r) => {
    t.sort((a, b) => a - b);
    const h = t.length >> 1;
    return { ms: t.length % 2 ? t[h] : (t[h - 1] + t[h]) / 2, flops: flops / steps, executed: skips.includes(r) ? 1 - skipped / flops : 1 };
  });
}

/** Starts back-to-back relabels (Lloyd over 60,000 random codes, k = 100) on a clustering pool with one worker, as
 *  a run's background refit does; returns the function that stops them. */
async function relabelsAlongside(): Promise<() => Promise<void>> {
  const n = 60000, d = 40, rng = new Rng(5);
  const { engine } = await createClusterEngine({ n, dz: 20, dc: 20, k: 100, seed: 1, weights: { z: 1, c: 1 }, iters: 10, batchSize: 1024, refit: 'background', workers: 1 }, 'pool');
  engine.writeCodes(Int32Array.from({ length: n }, (_, i) => i), Float32Array.from({ length: n * d }, () => rng.next()));
  await engine.relabel();
  let running = true;
  const loop = (async () => { while (running) await engine.relabel(); })();
  return async () => { running = false; await loop; await engine.close(); };
}

interface SimdRowsInput {
  fx: Fixture;
  threadCounts: number[];
  steps: number;
  withTorch: boolean;
  add: (backend: 'simd' | 'pytorch', threads: number, variant: string, r: Timing) => void;
  timed: (f: () => Promise<Timing[]>) => Promise<Timing[]>;
}

/** The simd rows of one fixture. For each D, one trainer per thread count is alive at once, and every one of their
 *  steps (with and without the row skip) and PyTorch's at each thread count is timed step by step in alternation,
 *  so that the thread-count and PyTorch ratios are not moved by the machine's speed drifting between rows. */
async function simdRows(o: SimdRowsInput): Promise<void> {
  const torches = new Map<number, PyTorchStep>();
  for (const threads of o.withTorch ? o.threadCounts : []) {
    const torch = await startPyTorch(threads);
    if (!torch) break;
    torches.set(threads, torch);
  }
  for (const [label, share] of [['D shared per cluster', true], ['one D per x', false]] as const) {
    const teams = [];
    for (const threads of o.threadCounts) {
      const params = createParams(SHAPE, 1);
      const t = await SimdTrainer.create({ shape: SHAPE, params, opt: new Adam(params, 1e-3), maxB: B, subsetSize: M, threads, images: o.fx.images });
      const bb = new BatchBuilder(o.fx.images, o.fx.n, P, B, M, SHAPE.zDim, SHAPE.cDim);
      const step = (limit: number): StepRun => (r, sub, rng) => { t.liveRowLimit = limit; t.step(bb, r, sub.subsets, M, sub.setSize, rng); };
      teams.push({ threads, params, t, step });
    }
    const runs: StepRun[] = [], skips: number[] = [], names: Array<['simd' | 'pytorch', number, string]> = [];
    for (const { threads, step } of teams) {
      skips.push(runs.length);
      runs.push(step(LIVE_ROW_LIMIT), step(0));
      names.push(['simd', threads, label], ['simd', threads, `${label}, dense first layer`]);
      const torch = torches.get(threads);
      if (torch) {
        runs.push(() => torch.step(share ? 'shared' : 'per-x', B, M));
        names.push(['pytorch', threads, `${label}, torch ${torch.version}`]);
      }
    }
    const timings = await o.timed(() => timeSteps(o.fx, share, o.steps, runs, skips));
    timings.forEach((r, i) => o.add(...names[i]!, r));
    for (const { threads, params, t, step } of teams) {
      if (share && process.env.BENCH_RELABEL !== '0') {
        const stop = await relabelsAlongside();
        o.add('simd', threads, `${label}, relabel alongside`, (await o.timed(() => timeSteps(o.fx, share, o.steps, [step(LIVE_ROW_LIMIT)], [0])))[0]!);
        await stop();
      }
      await t.close();
      disposeParams(params);
    }
  }
  for (const torch of torches.values()) torch.close();
}

export async function runTrainStepBench(backends?: string[]): Promise<Row[]> {
  const asked = backends ?? (process.env.BENCH_BACKENDS?.split(',') ?? ['gpu', 'native-cpu', 'simd', 'wasm', 'pytorch']);
  const withTorch = asked.includes('pytorch');
  const wanted = asked.filter((b) => b !== 'pytorch') as BackendChoice[];
  const threadCounts = process.env.BENCH_THREADS?.split(',').map(Number) ?? Array.from({ length: availableParallelism() }, (_, i) => i + 1);
  const steps = Number(process.env.BENCH_STEPS ?? 20);
  const datas = (process.env.BENCH_DATA ?? 'digits').split(',');
  let peak = await probePeak();
  const rows: Row[] = [];
  const add = (data: string, backend: string, threads: number, variant: string, r: Timing): void => {
    const gflops = r.flops / r.ms / 1e6;
    rows.push({ data, backend, threads, variant, msPerStep: r.ms, examplesPerSec: (B * 1000) / r.ms, gflops, peakFraction: 0, executedFraction: r.executed });
  };
  const timed = async (f: () => Promise<Timing[]>): Promise<Timing[]> => {
    peak = Math.max(peak, await probePeak());
    return f();
  };
  for (const data of datas) {
    const fx = fixture(data);
    for (const name of wanted) {
      let info;
      try { info = await initBackend(name); } catch (e) { console.log(`train-step: ${name} skipped (${(e as Error).message})`); continue; }
      const slow = info.name === 'cpu';
      if (info.name === 'simd') {
        await simdRows({ fx, threadCounts, steps, withTorch, add: (backend, threads, variant, r) => add(data, backend, threads, variant, r), timed });
        continue;
      }
      const variants: Array<[string, 'builtin' | 'custom', boolean]> = [
        ['built-in gradients, one D per x', 'builtin', false],
        ['custom gradients, one D per x', 'custom', false],
        ['custom gradients, D shared per cluster', 'custom', true],
      ];
      for (const [label, mode, share] of variants) {
        const params = createParams(SHAPE, 1);
        const opt = new Adam(params, 1e-3);
        const bb = new BatchBuilder(fx.images, fx.n, P, B, M, SHAPE.zDim, SHAPE.cDim);
        setGradientMode(mode);
        add(data, info.name, 1, label, (await timed(() => timeSteps(fx, share, slow ? 2 : Math.max(4, steps >> 1), [(r, sub, rng) => {
          const batch = bb.build(r, sub.subsets, M, sub.setSize, rng);
          trainStep(SHAPE, params, opt, batch);
          disposeBatch(batch);
        }])))[0]);
        setGradientMode('custom');
        disposeParams(params);
      }
    }
  }
  for (const r of rows) r.peakFraction = r.gflops / (peak * r.threads);
  print(rows, peak);
  mkdirSync('bench/results', { recursive: true });
  // one file per choice of BENCH_DATA: train-step.json for the default digits, train-step-random.json, …
  const file = datas.join('-') === 'digits' ? 'train-step.json' : `train-step-${datas.join('-')}.json`;
  writeFileSync(`bench/results/${file}`, JSON.stringify({ batch: B, subsetSize: M, data: datas, peakGflops: peak, liveRowLimit: LIVE_ROW_LIMIT, rows }, null, 2) + '\n');
  return rows;
}

/** The table: each row against the tfjs wasm step on the same data and D, and a skipping simd row against its
 *  dense twin; then what the GFLOP/s count. */
function print(rows: Row[], peak: number): void {
  console.log(`\ntrain step: seed model (MLPs 512, z 20, c 20), batch ${B}, |D| ${M}, forward + backward + Adam`);
  console.log(`wasm-SIMD peak (register-only 128-bit mul+add, one thread, best probe of this run): ${peak.toFixed(1)} GFLOP/s`);
  console.log('data    backend  threads  variant                                            ms/step   examples/s   GFLOP/s   of peak   vs wasm (same D)   vs dense   vs PyTorch (same D, threads)');
  const ratio = (r: Row, q: Row | undefined): string => (q ? (r.examplesPerSec / q.examplesPerSec).toFixed(2).padStart(8) + '×' : '        -');
  for (const r of rows) {
    const shared = r.variant.includes('shared');
    const base = rows.find((q) => q.data === r.data && q.backend === 'wasm' && q.variant.startsWith('custom') && q.variant.includes('shared') === shared);
    const mine = r.backend === 'simd' && !r.variant.includes(',');
    const dense = mine ? rows.find((q) => q.data === r.data && q.threads === r.threads && q.variant === `${r.variant}, dense first layer`) : undefined;
    const torch = r.backend === 'simd' ? rows.find((q) => q.data === r.data && q.threads === r.threads && q.backend === 'pytorch' && q.variant.includes('shared') === shared) : undefined;
    console.log(`${r.data.padEnd(7)} ${r.backend.padEnd(8)} ${String(r.threads).padStart(7)}  ${r.variant.padEnd(50)} ${r.msPerStep.toFixed(1).padStart(8)} ${r.examplesPerSec.toFixed(0).padStart(12)}` +
      ` ${r.gflops.toFixed(1).padStart(9)} ${(100 * r.peakFraction).toFixed(0).padStart(8)}%   ${ratio(r, base)}          ${ratio(r, dense)}   ${ratio(r, torch)}`);
  }
  for (const r of rows.filter((q) => q.backend === 'simd' && q.threads > 1 && !q.variant.includes(','))) {
    const one = rows.find((q) => q.data === r.data && q.backend === 'simd' && q.threads === 1 && q.variant === r.variant);
    if (one) console.log(`simd, ${r.variant}: ${r.threads} threads ÷ 1 thread, steps in alternation: ${(r.examplesPerSec / one.examplesPerSec).toFixed(2)}×`);
  }
  const seed = rows.find((q) => q.backend === 'pytorch' && q.threads === 1 && !q.variant.includes('shared'));
  for (const r of rows.filter((q) => q.backend === 'simd' && q.variant === 'D shared per cluster' && seed && q.data === seed.data)) {
    console.log(`default step (simd, D shared) on ${r.threads} thread(s) against the seed's step in PyTorch on 1 thread (one D per x): ${(r.examplesPerSec / seed!.examplesPerSec).toFixed(2)}×`);
  }
  console.log('GFLOP/s: the dense step\'s FLOPs over the time, for every row (PyTorch rows: those of the simd step with the same D;');
  console.log('PyTorch encodes all B·|D| subset rows with one D per x where simd encodes the distinct ones, a few % more work);');
  console.log('where the first layer skips the all-zero pixel');
  console.log(`rows (the simd rows without "dense first layer", fewer than ${LIVE_ROW_LIMIT * 100} % of the rows live) that is an effective rate:`);
  if (rows.every((r) => r.executedFraction === 1)) console.log('  none here: no batch had that few live rows');
  for (const r of rows) {
    if (r.executedFraction < 1) console.log(`  ${r.data}, simd ${r.threads} thread(s), ${r.variant}: executes ${(100 * r.executedFraction).toFixed(1)} % of the dense FLOPs, ${(r.gflops * r.executedFraction).toFixed(1)} GFLOP/s executed`);
  }
}

if (process.argv[1] && /train-step\.bench\.ts$/.test(process.argv[1])) { await runTrainStepBench(); process.exit(0); }
