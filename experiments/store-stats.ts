// What a finished uvhe run's code store holds, independent of any clustering rule: the 10-NN label purity of
// [z‖c], of z alone and of c alone, the same for the run's own input pixels (after its deskew / gamma), and the
// share of the store's variance that sits in z. The numbers behind "Where issue 6 stands" in the README
// (Fashion stores: purity 0.81–0.82, pixels 0.78–0.80, z ≈ 98 % of the variance).
//   npx tsx experiments/store-stats.ts experiments/runs/<grid>/<run> …   (env PIXELS=20000: pixel rows sampled)
// Neighbours come from the SIMD pool (exact, squared L2); the part spaces use its per-dimension weights (1 on
// the part's dimensions, 0 elsewhere).
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { PoolEngine } from '../src/cluster/pool.js';
import { neighbourPurity } from '../src/eval/metrics.js';
import { Rng } from '../src/util/rng.js';

const K = 10;
const pixelRows = Number(process.env.PIXELS ?? 20000);

/** K nearest other rows of the n×(dz+dc) rows under per-dimension weights w (null: all 1), on a 2-worker pool. */
async function neighbours(rows: Float32Array, n: number, dz: number, dc: number, ws: Array<Float32Array | null>): Promise<Int32Array[]> {
  const eng = await PoolEngine.create({ n, dz, dc, k: 2, seed: 1, weights: { z: 1, c: 1 }, iters: 1, init: 'random', batchSize: 256, refit: 'epoch', workers: 2, knnK: K });
  try {
    eng.writeCodes(Int32Array.from({ length: n }, (_, i) => i), rows);
    const out: Int32Array[] = [];
    for (const w of ws) out.push((await eng.knn(K, w ?? undefined)).idx);
    return out;
  } finally {
    await eng.close();
  }
}

const dirs = process.argv.slice(2);
if (dirs.length === 0) { console.error('usage: npx tsx experiments/store-stats.ts <run folder> …'); process.exit(2); }
console.log('| run | 10-NN purity [z‖c] | z | c | pixels (rows) | z share of variance |');
console.log('|---|---|---|---|---|---|');
for (const dir of dirs) {
  let cfg;
  try { cfg = JSON.parse(readFileSync(dir + '/config.json', 'utf8')); } catch (e) {
    console.error(`error: ${dir}: not a run folder (${dir}/config.json: ${(e as Error).message.split('\n')[0]})`);
    process.exit(1);
  }
  if (cfg.mode !== 'uvhe') { console.log(`| ${dir} | (mode ${cfg.mode}: no code store) | | | | |`); continue; }
  const split = loadDataset(datasetSpecOf(cfg));
  const y = split.train.labels;
  if (!y) throw new Error(`${dir}: the training data has no labels to score against`);
  const n = split.train.n, dz = cfg.model.zDim as number, dc = cfg.model.cDim as number, d = dz + dc;
  const codes = loadCheckpoint(dir + '/checkpoint.bin').arrays['engine/codes'] as Float32Array;
  if (!codes || codes.length !== n * d) throw new Error(`${dir}: checkpoint holds no ${n}×${d} code store`);
  const part = (from: number, to: number): Float32Array => Float32Array.from({ length: d }, (_, j) => (j >= from && j < to ? 1 : 0));
  const [zc, z, c] = (await neighbours(codes, n, dz, dc, [null, part(0, dz), part(dz, d)])).map((idx) => neighbourPurity(y, idx, K));
  // variance per dimension over the store, summed by part
  let vz = 0, vc = 0;
  for (let j = 0; j < d; j++) {
    let s = 0, s2 = 0;
    for (let i = 0; i < n; i++) { const v = codes[i * d + j]; s += v; s2 += v * v; }
    const v = s2 / n - (s / n) ** 2;
    if (j < dz) vz += v; else vc += v;
  }
  // the pixels, on a seeded sample of rows (exact neighbours are O(m²·P))
  const m = Math.min(n, pixelRows), P = split.train.rows * split.train.cols;
  const pick = Int32Array.from({ length: n }, (_, i) => i);
  new Rng(7).shuffle(pick);
  const px = new Float32Array(m * P), py = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    const i = pick[r];
    py[r] = y[i];
    for (let p = 0; p < P; p++) px[r * P + p] = split.train.images[i * P + p] / 255;
  }
  const [pxIdx] = await neighbours(px, m, P, 0, [null]);
  const f = (v: number): string => v.toFixed(3);
  console.log(`| ${dir} | ${f(zc)} | ${f(z)} | ${f(c)} | ${f(neighbourPurity(py, pxIdx, K))} (${m}) | ${(100 * vz / (vz + vc)).toFixed(1)} % |`);
}
