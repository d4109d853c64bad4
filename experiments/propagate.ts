// Can a run's codes refine the pixels' partition instead of replacing it? The codes' neighbourhoods are purer
// than the pixels' (10-NN purity 0.81 against 0.77 on Fashion), while the pixels' top principal components give
// the better global partition (0.652 against 0.600 at 60k). So: take the spectral rule's partition of the pixel
// components and spread it over a kNN graph by label spreading (Zhou et al. 2004: F ← αSF + (1−α)Y with
// S = D^-½ W D^-½, W the symmetrised binary kNN graph), over the pixel graph (the control) and over the code graph
// (session 15).
//   npx tsx experiments/propagate.ts <run folder>     env PCA (64), DRAWS (3), ALPHAS (0.5,0.9,0.99), T (30)
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { poolNeighbours as neighbours } from './neighbours.js';
import { spectralLabels, type Neighbours } from '../src/cluster/spectral.js';
import { pcaFit, pcaProject } from '../src/cluster/pca.js';
import { clusterAccuracy } from '../src/eval/metrics.js';

const m = Number(process.env.PCA ?? 64), k = 10, T = Number(process.env.T ?? 30);
const alphas = (process.env.ALPHAS ?? '0.5,0.9,0.99').split(',').map(Number);
/** Label spreading of hard labels l (n) over the symmetrised kNN graph nb (n×K), α in (0, 1), T steps. */
function spread(nb: Neighbours, n: number, K: number, l: Int32Array, alpha: number): Int32Array {
  const deg = new Float64Array(n).fill(K);
  for (let e = 0; e < n * K; e++) deg[nb.idx[e]!]! += 1;
  const isd = deg.map((v) => 1 / Math.sqrt(v));
  const Y = new Float64Array(n * k);
  for (let i = 0; i < n; i++) Y[i * k + l[i]!] = 1;
  let F = Y.slice(), G = new Float64Array(n * k);
  for (let t = 0; t < T; t++) {
    G.fill(0);
    for (let i = 0; i < n; i++) for (let a = 0; a < K; a++) {
      const j = nb.idx[i * K + a]!, w = isd[i]! * isd[j]!;
      for (let c = 0; c < k; c++) { G[i * k + c]! += w * F[j * k + c]!; G[j * k + c]! += w * F[i * k + c]!; }
    }
    for (let e = 0; e < n * k; e++) G[e] = alpha * G[e]! + (1 - alpha) * Y[e]!;
    [F, G] = [G, F];
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) { let b = 0; for (let c = 1; c < k; c++) if (F[i * k + c]! > F[i * k + b]!) b = c; out[i] = b; }
  return out;
}
const dir = process.argv[2]!;
const cfg = JSON.parse(readFileSync(dir + '/config.json', 'utf8'));
const split = loadDataset(datasetSpecOf(cfg));
const y = split.train.labels!, n = split.train.n, d = cfg.model.zDim + cfg.model.cDim;
const K = cfg.cluster.neighbors || Math.min(50, Math.max(10, Math.round(n / 1000)));
const codes = loadCheckpoint(dir + '/checkpoint.bin').arrays['engine/codes'] as Float32Array;
const X = Float32Array.from(split.train.images, (v) => v / 255);
const rows = pcaProject(pcaFit(X, n, 784, m), X, n, 784);
const pnb = await neighbours(rows, n, m, K), cnb = await neighbours(codes, n, d, K);
const acc = (l: Int32Array): number => clusterAccuracy(y, l, k).accuracy;
const res: Record<string, number[]> = {};
const push = (key: string, v: number): void => { (res[key] ??= []).push(v); };
for (let s = 1; s <= Number(process.env.DRAWS ?? 3); s++) {
  const o = { neighbors: K, dims: 16, weights: null, iters: 100, fits: 5, consensus: 24 };
  const lp = spectralLabels(rows, n, m, k, { ...o, seed: 100 + s }, pnb);
  const lc = spectralLabels(codes, n, d, k, { ...o, seed: 200 + s }, cnb);
  push('pixels', acc(lp)); push('codes', acc(lc));
  for (const a of alphas) { push(`pixels→pixel graph α${a}`, acc(spread(pnb, n, K, lp, a))); push(`pixels→code graph α${a}`, acc(spread(cnb, n, K, lp, a))); }
  console.log(`draw ${s}: ` + Object.entries(res).map(([key, v]) => `${key} ${v[v.length - 1]!.toFixed(3)}`).join(' | '));
}
for (const [key, v] of Object.entries(res)) console.log(`${key.padEnd(28)} ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3)} (${v.map((x) => x.toFixed(3)).join(' ')})`);
