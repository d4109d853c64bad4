// Does any label-free score pick the better of the partitions a spectral relabel can land in? One store, one
// graph, one embedding; M single k-means++ fits on it. For each fit: its KMeans inertia on the embedding, its
// normalised cut on the kNN graph (Shi–Malik: k − Σ_c assoc(A_c, A_c) / vol(A_c), lower is a cleaner cut), and
// its accuracy against the true labels. Then the Spearman correlation of each score with accuracy, and what
// "best of M by that score" would have given. Also C consensus labellings (of `fits` fits each, as the run's rule).
//   npx tsx experiments/partition-select.ts experiments/runs/<grid>/<run>   (env K, M=48, C=4, FITS=24)
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { PoolEngine } from '../src/cluster/pool.js';
import { affinity, topEigenvectors } from '../src/cluster/spectral.js';
import { kmeansFit, Rng } from '../src/cluster/reference.js';
import { consensusLabels } from '../src/cluster/consensus.js';
import { clusterAccuracy } from '../src/eval/metrics.js';

const dir = process.argv[2];
if (!dir) { console.error('usage: npx tsx experiments/partition-select.ts <run folder>'); process.exit(2); }
const cfg = JSON.parse(readFileSync(dir + '/config.json', 'utf8'));
const split = loadDataset(datasetSpecOf(cfg));
const y = split.train.labels!;
const n = split.train.n, dz = cfg.model.zDim as number, dc = cfg.model.cDim as number, k = 10;
const codes = loadCheckpoint(dir + '/checkpoint.bin').arrays['engine/codes'] as Float32Array;
const K = Number(process.env.K ?? (cfg.cluster.neighbors || 10));
const M = Number(process.env.M ?? 48), C = Number(process.env.C ?? 4), FITS = Number(process.env.FITS ?? 24), dims = 16;

const eng = await PoolEngine.create({ n, dz, dc, k: 2, seed: 1, weights: { z: 1, c: 1 }, iters: 1, init: 'random', batchSize: 256, refit: 'epoch', workers: 2, knnK: K });
eng.writeCodes(Int32Array.from({ length: n }, (_, i) => i), codes);
const nb = await eng.knn(K);
await eng.close();
const S = affinity(n, K, nb);
const { U } = topEigenvectors(S, n, dims, 100, 12345);
const E = new Float32Array(n * dims);
for (let i = 0; i < n; i++) {
  let s = 0;
  for (let c = 0; c < dims; c++) s += U[i * dims + c] ** 2;
  for (let c = 0; c < dims; c++) E[i * dims + c] = U[i * dims + c] / Math.sqrt(s || 1);
}

/** Shi–Malik normalised cut of labels on the graph W = D^½ S D^½. */
function ncut(lab: Int32Array): number {
  const within = new Float64Array(k), vol = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let p = S.offsets[i]; p < S.offsets[i + 1]; p++) {
    const j = S.cols[p], w = S.vals[p] * S.sqrtDeg[i] * S.sqrtDeg[j];
    vol[lab[i]] += w;
    if (lab[j] === lab[i]) within[lab[i]] += w;
  }
  let s = k;
  for (let c = 0; c < k; c++) s -= vol[c] > 0 ? within[c] / vol[c] : 0;
  return s;
}
const rank = (a: number[]): number[] => { const o = a.map((v, i) => [v, i]).sort((p, q) => p[0] - q[0]); const r = new Array(a.length); o.forEach(([, i], t) => { r[i] = t; }); return r; };
function spearman(a: number[], b: number[]): number {
  const ra = rank(a), rb = rank(b), m = a.length, ma = (m - 1) / 2;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < m; i++) { sab += (ra[i] - ma) * (rb[i] - ma); saa += (ra[i] - ma) ** 2; sbb += (rb[i] - ma) ** 2; }
  return sab / Math.sqrt(saa * sbb);
}

const rng = new Rng(777);
const fits: Array<{ labels: Int32Array; inertia: number; ncut: number; acc: number }> = [];
for (let m = 0; m < M; m++) {
  const f = kmeansFit(E, n, dims, { k, weights: null, iters: 100, init: 'kmeans++', rng });
  fits.push({ labels: f.labels, inertia: f.inertia, ncut: ncut(f.labels), acc: clusterAccuracy(y, f.labels, k).accuracy });
}
const acc = fits.map((f) => f.acc);
const by = (key: 'inertia' | 'ncut'): number => fits.reduce((b, f) => (f[key] < b[key] ? f : b)).acc;
const mean = acc.reduce((a, b) => a + b, 0) / M;
console.log(`${dir}: K ${K}, ${M} single fits: acc mean ${mean.toFixed(4)}, min ${Math.min(...acc).toFixed(4)}, max ${Math.max(...acc).toFixed(4)}`);
console.log(`  spearman(acc, −inertia) ${spearman(acc, fits.map((f) => -f.inertia)).toFixed(3)}, spearman(acc, −ncut) ${spearman(acc, fits.map((f) => -f.ncut)).toFixed(3)}`);
console.log(`  best by inertia: acc ${by('inertia').toFixed(4)}; best by ncut: acc ${by('ncut').toFixed(4)}`);
for (let c = 0; c < C; c++) {
  const sub = Array.from({ length: FITS }, () => kmeansFit(E, n, dims, { k, weights: null, iters: 100, init: 'kmeans++', rng }).labels);
  const lab = consensusLabels(sub, n, k, k, { restarts: 5, iters: 100, rng }).labels;
  console.log(`  consensus ${c + 1} of ${FITS} fits: acc ${clusterAccuracy(y, lab, k).accuracy.toFixed(4)}, ncut ${ncut(lab).toFixed(4)}`);
}
// the consensus of all M fits at once
const all = consensusLabels(fits.map((f) => f.labels), n, k, k, { restarts: 5, iters: 100, rng }).labels;
console.log(`  consensus of all ${M}: acc ${clusterAccuracy(y, all, k).accuracy.toFixed(4)}, ncut ${ncut(all).toFixed(4)}`);
