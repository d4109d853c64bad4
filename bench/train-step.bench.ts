// Train-step throughput: examples/s of one full step (forward, backward, Adam) of the seed model at batch 128
// with |D| = 5, for each available backend, against the built-in-gradient baseline in the same run.
//   npm run bench            (all benchmarks)     tsx bench/train-step.bench.ts   (this one)
// Env: BENCH_BACKENDS=wasm,cpu,native-cpu,gpu (default: every one that loads except the slow pure-JS cpu).
import { Bench } from 'tinybench';
import { mkdirSync, writeFileSync } from 'node:fs';
import { initBackend, type BackendChoice } from '../src/backend.js';
import { createParams, disposeParams, type ModelShape } from '../src/model/vhe.js';
import { setGradientMode } from '../src/model/layers.js';
import { BatchBuilder, disposeBatch } from '../src/train/batch.js';
import { trainStep } from '../src/train/step.js';
import { Adam } from '../src/train/adam.js';
import { Rng } from '../src/util/rng.js';
import { buildClusterIndex, sampleSubsets } from '../src/cluster/sampler.js';

const B = 128, M = 5, N = 8000, K = 10, P = 784;

interface Row { backend: string; variant: string; msPerStep: number; examplesPerSec: number }

export async function runTrainStepBench(backends?: string[]): Promise<Row[]> {
  const wanted = (backends ?? (process.env.BENCH_BACKENDS?.split(',') ?? ['gpu', 'native-cpu', 'wasm'])) as BackendChoice[];
  const rng = new Rng(7);
  const images = new Uint8Array(N * P).map(() => rng.int(256));
  const labels = Int32Array.from({ length: N }, (_, i) => i % K);
  const index = buildClusterIndex(labels, K);
  const crng = new Rng(9);
  const rows: Row[] = [];
  for (const name of wanted) {
    let info;
    try { info = await initBackend(name); } catch (e) { console.log(`train-step: ${name} skipped (${(e as Error).message})`); continue; }
    const variants: Array<[string, 'builtin' | 'custom', boolean]> = [
      ['built-in gradients, one D per x', 'builtin', false],
      ['custom gradients, one D per x', 'custom', false],
      ['custom gradients, D shared per cluster', 'custom', true],
    ];
    const slow = info.name === 'cpu';
    const bench = new Bench({ name: `train step ${info.name}`, time: 0, iterations: slow ? 2 : 12, warmupIterations: slow ? 1 : 3 });
    const cleanups: Array<() => void> = [];
    for (const [label, mode, share] of variants) {
      const shape: ModelShape = { mode: 'uvhe', pixels: P, hidden: 512, zDim: 20, cDim: 20, logStdBound: 5 };
      const params = createParams(shape, 1);
      const opt = new Adam(params, 1e-3);
      const bb = new BatchBuilder(images, N, P, B, M, 20, 20);
      cleanups.push(() => disposeParams(params));
      bench.add(label, () => {
        const xr = Int32Array.from({ length: B }, () => rng.int(N));
        const sub = sampleSubsets(xr, labels, index, K, M, false, share, crng);
        const batch = bb.build(xr, sub.subsets, M, sub.setSize, rng);
        setGradientMode(mode);
        trainStep(shape, params, opt, batch);
        disposeBatch(batch);
      });
    }
    await bench.run();
    setGradientMode('custom');
    cleanups.forEach((f) => f());
    for (const t of bench.tasks) {
      if (t.result.state !== 'completed') { console.log(`${t.name}: ${t.result.state}`); continue; }
      const ms = t.result.latency.mean;
      rows.push({ backend: info.name, variant: t.name, msPerStep: ms, examplesPerSec: (B * 1000) / ms });
    }
  }
  console.log(`\ntrain step: seed model (MLPs 512, z 20, c 20), batch ${B}, |D| ${M}, forward + backward + Adam`);
  console.log('backend      variant                                   ms/step   examples/s   vs built-in');
  for (const r of rows) {
    const base = rows.find((q) => q.backend === r.backend && q.variant.startsWith('built-in'));
    console.log(`${r.backend.padEnd(12)} ${r.variant.padEnd(40)} ${r.msPerStep.toFixed(1).padStart(8)} ${r.examplesPerSec.toFixed(0).padStart(12)}` +
      `   ${base ? (r.examplesPerSec / base.examplesPerSec).toFixed(2).padStart(8) + '×' : '        -'}`);
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/train-step.json', JSON.stringify({ batch: B, subsetSize: M, rows }, null, 2) + '\n');
  return rows;
}

if (process.argv[1] && /train-step\.bench\.ts$/.test(process.argv[1])) await runTrainStepBench();
