// Train-step throughput: one full step (forward, backward, Adam) of the seed model at batch 128 with |D| = 5, per
// backend and, for the wasm-SIMD trainer, per thread count: median ms per step, examples/s, effective GFLOP/s and
// the fraction of this machine's register-only wasm-SIMD mul+add peak (assembly/probe.ts), probed in the same run.
//   BENCH_ONLY=train-step npm run bench          (or: npx tsx bench/train-step.bench.ts)
// Env: BENCH_BACKENDS=simd,wasm,cpu,native-cpu,gpu (default: gpu, native-cpu, simd, wasm: each that loads),
//      BENCH_THREADS=1,2 (simd thread counts; default 1..every core), BENCH_STEPS=20 (timed steps per row),
//      BENCH_RELABEL=0 skips the simd rows timed while the clustering pool (one worker, the default) relabels
//      60,000 codes at k = 100 back to back: the step's cost of sharing the cores with a relabel.
// FLOPs per step: 2·M·N·K summed over every matrix product of the step as src/train/simd/step.ts runs it (forward,
// the backward's weight and input gradients, the D-averaging products; heads counted block-diagonally), the same
// maths the tfjs path runs; elementwise maps and Adam are not counted.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { createParams, disposeParams, type ModelShape } from '../src/model/vhe.js';
import { setGradientMode } from '../src/model/layers.js';
import { BatchBuilder, disposeBatch } from '../src/train/batch.js';
import { trainStep } from '../src/train/step.js';
import { Adam } from '../src/train/adam.js';
import { SimdTrainer } from '../src/train/simd/trainer.js';
import { probePeak } from './peak.js';
import { Rng } from '../src/util/rng.js';
import { buildClusterIndex, sampleSubsets } from '../src/cluster/sampler.js';
import { createClusterEngine } from '../src/cluster/index.js';

const B = 128, M = 5, N = 8000, K = 10, P = 784;
const SHAPE: ModelShape = { mode: 'uvhe', pixels: P, hidden: 512, zDim: 20, cDim: 20, logStdBound: 5 };

interface Row { backend: string; threads: number; variant: string; msPerStep: number; examplesPerSec: number; gflops: number; peakFraction: number }

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

interface Fixture { images: Uint8Array; labels: Int32Array; index: ReturnType<typeof buildClusterIndex> }
function fixture(): Fixture {
  const rng = new Rng(7);
  const images = new Uint8Array(N * P).map(() => rng.int(256));
  const labels = Int32Array.from({ length: N }, (_, i) => i % K);
  return { images, labels, index: buildClusterIndex(labels, K) };
}

/** Times `steps` steps after 3 untimed ones: the median ms per step (a step that other processes delayed moves
 *  a mean, not a median) and the mean FLOPs per step. Yields to the event loop between steps (as a training epoch
 *  does), so that work running alongside can go on. */
async function timeSteps(fx: Fixture, share: boolean, steps: number, run: (rows: Int32Array, sub: ReturnType<typeof sampleSubsets>, rng: Rng) => void): Promise<{ ms: number; flops: number }> {
  const rng = new Rng(3), crng = new Rng(9);
  const times: number[] = [];
  let flops = 0;
  for (let i = 0; i < steps + 3; i++) {
    await new Promise((r) => setImmediate(r));
    const rows = Int32Array.from({ length: B }, () => rng.int(N));
    const sub = sampleSubsets(rows, fx.labels, fx.index, K, M, false, share, crng);
    const U = new Set(sub.subsets).size;
    const t0 = performance.now();
    run(rows, sub, rng);
    if (i >= 3) { times.push(performance.now() - t0); flops += stepFlops(SHAPE, B, U); }
  }
  times.sort((a, b) => a - b);
  const h = times.length >> 1;
  return { ms: times.length % 2 ? times[h] : (times[h - 1] + times[h]) / 2, flops: flops / steps };
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

export async function runTrainStepBench(backends?: string[]): Promise<Row[]> {
  const wanted = (backends ?? (process.env.BENCH_BACKENDS?.split(',') ?? ['gpu', 'native-cpu', 'simd', 'wasm'])) as BackendChoice[];
  const threadCounts = process.env.BENCH_THREADS?.split(',').map(Number) ?? Array.from({ length: availableParallelism() }, (_, i) => i + 1);
  const steps = Number(process.env.BENCH_STEPS ?? 20);
  const fx = fixture();
  let peak = await probePeak();
  const rows: Row[] = [];
  const add = (backend: string, threads: number, variant: string, r: { ms: number; flops: number }): void => {
    const gflops = r.flops / r.ms / 1e6;
    rows.push({ backend, threads, variant, msPerStep: r.ms, examplesPerSec: (B * 1000) / r.ms, gflops, peakFraction: 0 });
  };
  const timed = async (f: () => Promise<{ ms: number; flops: number }>): Promise<{ ms: number; flops: number }> => {
    peak = Math.max(peak, await probePeak());
    return f();
  };
  for (const name of wanted) {
    let info;
    try { info = await initBackend(name); } catch (e) { console.log(`train-step: ${name} skipped (${(e as Error).message})`); continue; }
    const slow = info.name === 'cpu';
    if (info.name === 'simd') {
      for (const threads of threadCounts) {
        for (const [label, share] of [['D shared per cluster', true], ['one D per x', false]] as const) {
          const params = createParams(SHAPE, 1);
          const t = await SimdTrainer.create({ shape: SHAPE, params, opt: new Adam(params, 1e-3), maxB: B, subsetSize: M, threads, images: fx.images });
          const bb = new BatchBuilder(fx.images, N, P, B, M, SHAPE.zDim, SHAPE.cDim);
          add('simd', threads, label, await timed(() => timeSteps(fx, share, steps, (r, sub, rng) => { t.step(bb, r, sub.subsets, M, sub.setSize, rng); })));
          if (share && process.env.BENCH_RELABEL !== '0') {
            const stop = await relabelsAlongside();
            add('simd', threads, `${label}, relabel alongside`, await timed(() => timeSteps(fx, share, steps, (r, sub, rng) => { t.step(bb, r, sub.subsets, M, sub.setSize, rng); })));
            await stop();
          }
          await t.close();
          disposeParams(params);
        }
      }
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
      const bb = new BatchBuilder(fx.images, N, P, B, M, SHAPE.zDim, SHAPE.cDim);
      setGradientMode(mode);
      add(info.name, 1, label, await timed(() => timeSteps(fx, share, slow ? 2 : Math.max(4, steps >> 1), (r, sub, rng) => {
        const batch = bb.build(r, sub.subsets, M, sub.setSize, rng);
        trainStep(SHAPE, params, opt, batch);
        disposeBatch(batch);
      })));
      setGradientMode('custom');
      disposeParams(params);
    }
  }
  for (const r of rows) r.peakFraction = r.gflops / (peak * r.threads);
  console.log(`\ntrain step: seed model (MLPs 512, z 20, c 20), batch ${B}, |D| ${M}, forward + backward + Adam`);
  console.log(`wasm-SIMD peak (register-only 128-bit mul+add, one thread, best probe of this run): ${peak.toFixed(1)} GFLOP/s`);
  console.log('backend  threads  variant                                   ms/step   examples/s   GFLOP/s   of peak   vs wasm (same D)');
  for (const r of rows) {
    const shared = r.variant.includes('shared');
    const base = rows.find((q) => q.backend === 'wasm' && q.variant.startsWith('custom') && q.variant.includes('shared') === shared);
    console.log(`${r.backend.padEnd(8)} ${String(r.threads).padStart(7)}  ${r.variant.padEnd(40)} ${r.msPerStep.toFixed(1).padStart(8)} ${r.examplesPerSec.toFixed(0).padStart(12)}` +
      ` ${r.gflops.toFixed(1).padStart(9)} ${(100 * r.peakFraction).toFixed(0).padStart(8)}%` +
      `   ${base ? (r.examplesPerSec / base.examplesPerSec).toFixed(2).padStart(8) + '×' : '        -'}`);
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/train-step.json', JSON.stringify({ batch: B, subsetSize: M, peakGflops: peak, rows }, null, 2) + '\n');
  return rows;
}

if (process.argv[1] && /train-step\.bench\.ts$/.test(process.argv[1])) { await runTrainStepBench(); process.exit(0); }
