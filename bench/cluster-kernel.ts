// In-thread micro-benchmark of the assignment kernel alone (no pool, no dispatch), next to a register-only mul+add
// probe taken in the same process: other processes share this machine, so absolute GFLOP/s drift with their load.
// Reports best / median / worst of REPS passes per k (wall clock) and the median in process CPU time.
// `npm run -s build:wasm && npx tsx bench/cluster-kernel.ts [k...]`  (N, D, REPS from the environment)
import { probePeak } from './peak.js';
import { compileKernels, createSharedMemory, instantiateKernels } from '../src/cluster/kernels.js';
import { layoutViews, planLayout } from '../src/cluster/layout.js';

function fillUniform(a: Float32Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    a[i] = (x >>> 0) * 4.656612873077393e-10 - 1;
  }
}

const variant = (process.env.SIMD ?? 'strict') as 'strict' | 'relaxed';
const mod = await compileKernels(variant);
console.log(`kernel build: ${variant}`);
const n = Number(process.env.N ?? 60000), d = Number(process.env.D ?? 64);
const reps = Number(process.env.REPS ?? 9);
const ks = process.argv.slice(2).map(Number);
console.log(`register-only 128-bit mul+add peak right now: ${(await probePeak()).toFixed(1)} GFLOP/s (best of 6)`);
for (const k of ks.length ? ks : [10, 100, 1000]) {
  const probe = instantiateKernels(mod, createSharedMemory(1));
  const L = planLayout({ n, d, k, parts: 1, batchCap: 64, mCap: 4, ring: 1, kmeansPP: false }, probe.heapBase());
  const mem = createSharedMemory(L.pages);
  const K = instantiateKernels(mod, mem);
  const v = layoutViews(L, mem.buffer);
  fillUniform(v.codes, 1 + k);
  for (let c = 0; c < k; c++) v.centroids.set(v.codes.subarray((c * 37 % n) * d, (c * 37 % n) * d + d), c * d);
  v.weights.fill(1);
  K.prepareCentroids(L.centroids, k, d, L.weights, L.panel, L.cn);
  const nn = k >= 1000 ? Math.min(n, 20000) : n;
  const ts: number[] = [], cs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    K.assignRange(L.codes, d, 0, nn, L.panel, L.cn, k, L.centroids, L.weights, L.labels, L.dist, 0, 0, L.stats, L.scratch, 0, 0, 0, 0);
    ts.push(performance.now() - t0);
    const c1 = process.cpuUsage(c0);
    cs.push((c1.user + c1.system) / 1000);
  }
  const gf = (ms: number): string => ((2 * nn * k * d) / (ms / 1000) / 1e9).toFixed(1);
  ts.sort((a, b) => a - b); cs.sort((a, b) => a - b);
  console.log(`k=${k} d=${d} n=${nn}: wall best ${ts[0].toFixed(2)} ms = ${(nn / ts[0] / 1e3).toFixed(1)} Mpts/s = ${gf(ts[0])} GFLOP/s ` +
    `(median ${gf(ts[reps >> 1])}, worst ${gf(ts[reps - 1])}); cpu-time median ${gf(cs[reps >> 1])} GFLOP/s = ${(nn / cs[reps >> 1] / 1e3).toFixed(1)} Mpts/s`);
}
