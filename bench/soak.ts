// Soak: a long in-process training run on tiny data (thousands of steps) that samples tf.memory().numTensors and
// process.memoryUsage().rss over time and says whether they stay flat (least-squares slope over the second
// half, after warm-up). Not part of the test suite.
//
//   npx tsx bench/soak.ts                    # 3,000 steps, uvhe, tiny IDX fixture, batch 4 (15 steps/epoch)
//   SOAK_STEPS=10000 SOAK_MODE=vhe SOAK_HIDDEN=64 SOAK_BATCH=4 npx tsx bench/soak.ts
//
// Exit code 1 when a slope is not flat (tensors: any growth; rss: more than SOAK_RSS_KB_PER_1K_STEPS, default
// 512 KiB per 1,000 steps), so it can also gate a CI job.
import { join, resolve } from 'node:path';
import { initBackend, tf } from '../src/backend.js';
import { resolveConfig } from '../src/config.js';
import { loadDataset } from '../src/data/dataset.js';
import { setGradientMode } from '../src/model/layers.js';
import { disposeParams, train } from '../src/train/loop.js';

const ROOT = resolve(import.meta.dirname, '..');
const env = (k: string, d: string): string => process.env[k] ?? d;
const STEPS = Number(env('SOAK_STEPS', '3000'));
const MODE = env('SOAK_MODE', 'uvhe');
const HIDDEN = Number(env('SOAK_HIDDEN', '32'));
const BATCH = Number(env('SOAK_BATCH', '4'));
const SAMPLES = Number(env('SOAK_SAMPLES', '40'));
const RSS_LIMIT_KB = Number(env('SOAK_RSS_KB_PER_1K_STEPS', '512'));
const DATA = env('SOAK_DATA', join(ROOT, 'test/fixtures/tiny-mnist-idx'));

interface Sample { step: number; epoch: number; sec: number; tensors: number; rssMiB: number; heapMiB: number; externalMiB: number }

/** Least-squares slope of ys against xs. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length, mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i] - mx) * (ys[i] - my); sxx += (xs[i] - mx) ** 2; }
  return sxx === 0 ? 0 : sxy / sxx;
}

async function main(): Promise<number> {
  const split = loadDataset({ source: 'idx', dir: DATA, testFraction: 0.2, seed: 1 });
  const stepsPerEpoch = Math.ceil(split.train.n / Math.min(BATCH, split.train.n));
  const epochs = Math.max(2, Math.ceil(STEPS / stepsPerEpoch));
  const cfg = resolveConfig({}, [
    ['mode', MODE], ['data.source', 'idx'], ['data.dir', DATA], ['model.hidden', HIDDEN], ['train.batchSize', BATCH],
    ['train.epochs', epochs], ['cluster.k', 4], ['eval.every', 10], ['runtime.backend', 'wasm'], ['train.progress', 'none'],
  ]);
  const backend = await initBackend(cfg.runtime.backend);
  setGradientMode(backend.tfBackend === 'tensorflow' ? 'builtin' : 'custom');
  const total = epochs * stepsPerEpoch;
  const every = Math.max(1, Math.floor(total / SAMPLES));
  // with --expose-gc (npx tsx --expose-gc bench/soak.ts) each sample is taken after a full GC: less sawtooth
  const gc = (globalThis as { gc?: () => void }).gc;
  console.log(`soak: mode ${MODE}, ${split.train.n} train examples, batch ${BATCH}, hidden ${HIDDEN}: ${epochs} epochs × ${stepsPerEpoch} steps = ${total} steps; backend ${backend.name}; sample every ${every} steps${gc ? ', after a full GC' : ''}`);

  const samples: Sample[] = [];
  const t0 = performance.now();
  let step = 0;
  const take = (epoch: number): void => {
    gc?.();
    const m = process.memoryUsage();
    samples.push({ step, epoch, sec: (performance.now() - t0) / 1000, tensors: tf.memory().numTensors, rssMiB: m.rss / 2 ** 20, heapMiB: m.heapUsed / 2 ** 20, externalMiB: m.external / 2 ** 20 });
  };
  const result = await train(cfg, split, {
    onStep: (epoch) => { step++; if (step % every === 0) take(epoch); },
  });
  take(epochs); // after train(): the pool is closed and the batch buffers are garbage
  const after = samples.pop()!;
  const lastLoss = Number(result.last['loss/total']);
  disposeParams(result.params);

  const pad = (s: string | number, w: number): string => String(s).padStart(w);
  console.log(`\n${pad('step', 7)} ${pad('epoch', 6)} ${pad('sec', 7)} ${pad('tensors', 8)} ${pad('rss MiB', 8)} ${pad('heap MiB', 9)} ${pad('ext MiB', 8)}`);
  const shown = samples.filter((_, i) => i % Math.max(1, Math.floor(samples.length / 12)) === 0 || i === samples.length - 1);
  for (const s of [...shown, { ...after, epoch: 'end' as unknown as number }]) {
    console.log(`${pad(s.step, 7)} ${pad(s.epoch, 6)} ${pad(s.sec.toFixed(1), 7)} ${pad(s.tensors, 8)} ${pad(s.rssMiB.toFixed(1), 8)} ${pad(s.heapMiB.toFixed(1), 9)} ${pad(s.externalMiB.toFixed(1), 8)}`);
  }
  // slopes over the second half (the first epochs warm up: Adam state, JIT, allocator pools)
  const half = samples.slice(Math.floor(samples.length / 2));
  const xs = half.map((s) => s.step);
  const tSlope = slope(xs, half.map((s) => s.tensors)) * 1000;
  const rSlope = slope(xs, half.map((s) => s.rssMiB)) * 1024 * 1000;
  const hSlope = slope(xs, half.map((s) => s.heapMiB)) * 1024 * 1000;
  const tensorsFlat = new Set(half.map((s) => s.tensors)).size === 1;
  const rssFlat = rSlope <= RSS_LIMIT_KB;
  console.log(`\nsecond half (steps ${xs[0]}..${xs[xs.length - 1]}, ${half.length} samples):`);
  console.log(`  tensors: ${tSlope.toFixed(3)} per 1,000 steps (values ${[...new Set(half.map((s) => s.tensors))].join(', ')}) → ${tensorsFlat ? 'FLAT' : 'GROWING'}`);
  console.log(`  rss:     ${rSlope.toFixed(1)} KiB per 1,000 steps (limit ${RSS_LIMIT_KB}) → ${rssFlat ? 'FLAT' : 'GROWING'}`);
  console.log(`  heap:    ${hSlope.toFixed(1)} KiB per 1,000 steps (informational)`);
  console.log(`  ${step} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s; final train loss ${lastLoss.toFixed(2)} nats`);
  return tensorsFlat && rssFlat ? 0 : 1;
}

main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
