// The spectral relabel's eigen step at the size of Fashion-MNIST's training set (n = 60,000, 40-column codes, 16
// eigenvectors, 100 subspace steps): the current path (rows renumbered breadth-first, CholeskyQR2) against the
// plain one (the data's shuffled row order, Gram–Schmidt) on the same graph, in the same run, with the ratio.
// The neighbour graph comes from the SIMD pool (timed too, for scale). Codes: 10 Gaussian blobs in shuffled row
// order, as a training store is. Writes bench/results/spectral.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { PoolEngine } from '../src/cluster/pool.js';
import { affinity, topEigenvectors } from '../src/cluster/spectral.js';
import { Rng } from '../src/util/rng.js';

/** Mean ms of one call of fn (tinybench, a single timed iteration: each call takes seconds). */
export async function timeOnce(name: string, fn: () => unknown): Promise<number> {
  const bench = new Bench({ time: 0, iterations: 1, warmup: false });
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') throw new Error(`bench ${name}: ${r.state}${'error' in r ? `: ${String(r.error)}` : ''}`);
  return r.latency.mean;
}

export async function runSpectralBench(opts: { n?: number; log?: (s: string) => void } = {}): Promise<void> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const n = opts.n ?? Number(process.env.BENCH_SPECTRAL_N ?? 60000), dz = 20, dc = 20, d = dz + dc, K = 10, dims = 16, iters = 100;
  const g = new Rng(1);
  const centres = Float32Array.from({ length: 10 * d }, () => 3 * (g.nextFloat() - 0.5));
  const codes = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(g.nextFloat() * 10);
    for (let t = 0; t < d; t++) codes[i * d + t] = centres[c * d + t] + (g.nextFloat() - 0.5) + (g.nextFloat() - 0.5);
  }
  const pool = await PoolEngine.create(
    { n, dz, dc, k: 10, seed: 1, weights: { z: 1, c: 1 }, iters: 0, batchSize: 1024, refit: 'epoch', workers: 2, knnK: K },
    { skipInitialFit: true, codes: (s) => s.set(codes) },
  );
  let nb: { idx: Int32Array; dist: Float64Array } | null = null;
  try {
    const knnMs = await timeOnce('knn', async () => { nb = await pool.knn(K); });
    log(`spectral n=${n} d=${d}: neighbour graph (K=${K}, SIMD pool, 2 workers) ${(knnMs / 1000).toFixed(1)} s`);
  } finally {
    await pool.close();
  }
  const S = affinity(n, K, nb!);
  const fast = await timeOnce('eigen', () => topEigenvectors(S, n, { dims, iters, seed: 1 }));
  const plain = await timeOnce('eigen-plain', () => topEigenvectors(S, n, { dims, iters, seed: 1, plain: true }));
  log(`spectral n=${n}: ${dims} eigenvectors, ${iters} steps: breadth-first order + CholeskyQR2 ${(fast / 1000).toFixed(1)} s, ` +
    `data order + Gram–Schmidt ${(plain / 1000).toFixed(1)} s: ${(plain / fast).toFixed(2)}× faster`);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + 'spectral.json', JSON.stringify({ n, d, K, dims, iters, eigenMs: fast, eigenPlainMs: plain, speedup: plain / fast }, null, 2) + '\n');
}
