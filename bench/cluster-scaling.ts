// 1 vs 2 workers on one assignment pass, with the process CPU time (all threads) next to the wall time: when
// cpu/wall stays near 2 with 2 workers but the speed-up does not, the cores are shared with other processes.
// `npm run -s build:wasm && npx tsx bench/cluster-scaling.ts [k]`  (N, D, REPS from the environment)
import type { ClusterEngineOptions } from '../src/cluster/engine.js';
import { PoolEngine } from '../src/cluster/pool.js';

const n = Number(process.env.N ?? 60000), d = Number(process.env.D ?? 64), k = Number(process.argv[2] ?? 1000);
const reps = Number(process.env.REPS ?? 5);
const eo: ClusterEngineOptions = { n, dz: d, dc: 0, k, seed: 1, weights: { z: 1, c: 1 }, iters: 0, batchSize: 512, refit: 'epoch', workers: 2 };
const pool = await PoolEngine.create(eo, { skipInitialFit: true, codes: (s) => { for (let i = 0; i < s.length; i++) s[i] = Math.sin(i * 0.37) ; } });
await pool.assignPass(1); await pool.assignPass(2); await pool.assignPass(2);
for (const w of [1, 2]) {
  const walls: number[] = [], ratios: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    await pool.assignPass(w);
    const wall = performance.now() - t0, c = process.cpuUsage(c0);
    walls.push(wall); ratios.push((c.user + c.system) / 1000 / wall);
  }
  const i = walls.indexOf(Math.min(...walls));
  console.log(`k=${k} ${w} worker(s): best ${walls[i].toFixed(1)} ms = ${(2 * n * k * d / walls[i] / 1e6).toFixed(1)} GFLOP/s, worst ${Math.max(...walls).toFixed(1)} ms; cpu/wall ${ratios.map((x) => x.toFixed(2)).join(' ')}`);
}
await pool.close();
