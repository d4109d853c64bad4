// Does the consensus step's own inertia (its disagreement with the pooled fits) pick the better partition?
// Pools 24 single KMeans fits from the spectral embedding of each graph (K from env KS, default 10,20,30,50),
// then runs 40 single consensus starts and ranks them by inertia against their accuracy (session 11,
// experiments/results/fashion-pooled-graphs.md).   npx tsx experiments/consensus-starts.ts <run folder>
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { knn, spectralEmbedding } from '../src/cluster/spectral.js';
import { kmeansFit } from '../src/cluster/reference.js';
import { consensusLabels } from '../src/cluster/consensus.js';
import { clusterAccuracy } from '../src/eval/metrics.js';
import { Rng } from '../src/util/rng.js';
const dir = process.argv[2];
const Ks = (process.env.KS ?? '10,20,30,50').split(',').map(Number);
const cfg = JSON.parse(readFileSync(dir + '/config.json', 'utf8'));
const ck = loadCheckpoint(dir + '/checkpoint.bin');
const split = loadDataset(datasetSpecOf(cfg));
const y = split.train.labels!, n = split.train.n, k = 10;
const codes = ck.arrays['engine/codes'] as Float32Array, d = codes.length / n;
const rng = new Rng(12345);
const fits: Int32Array[] = []; const fitAcc: number[] = [];
Ks.forEach((K, ei) => {
  const E = spectralEmbedding(codes, n, d, { neighbors: K, dims: 16, weights: null, iters: 100, seed: 77 + ei }, knn(codes, n, d, K, null));
  for (let f = 0; f < 24; f++) { const l = kmeansFit(E, n, 16, { k, weights: null, iters: 100, init: 'kmeans++', rng }).labels; fits.push(l); fitAcc.push(clusterAccuracy(y, l, k).accuracy); }
});
console.log('single fits: mean acc', (fitAcc.reduce((a, b) => a + b) / fitAcc.length).toFixed(3), 'min', Math.min(...fitAcc).toFixed(3), 'max', Math.max(...fitAcc).toFixed(3));
const rows: [number, number][] = [];
for (let r = 0; r < 40; r++) { const c = consensusLabels(fits, n, k, k, { restarts: 1, iters: 100, rng }); rows.push([c.inertia, clusterAccuracy(y, c.labels, k).accuracy]); }
rows.sort((a, b) => a[0] - b[0]);
const rank = (v: number[]): number[] => { const o = v.map((x, i) => [x, i]).sort((a, b) => a[0] - b[0]); const r = new Array(v.length); o.forEach(([, i], j) => (r[i] = j)); return r; };
const ri = rank(rows.map((r) => -r[0])), ra = rank(rows.map((r) => r[1]));
const m = (ri.length - 1) / 2; let num = 0, da = 0, db = 0; for (let i = 0; i < ri.length; i++) { num += (ri[i] - m) * (ra[i] - m); da += (ri[i] - m) ** 2; db += (ra[i] - m) ** 2; }
console.log('consensus restarts: acc mean', (rows.reduce((s, r) => s + r[1], 0) / rows.length).toFixed(3), 'spearman(-inertia, acc)', (num / Math.sqrt(da * db)).toFixed(2));
console.log('lowest 5 inertia:', rows.slice(0, 5).map((r) => `${r[0].toFixed(0)}:${r[1].toFixed(3)}`).join(' '));
console.log('highest 5:', rows.slice(-5).map((r) => `${r[0].toFixed(0)}:${r[1].toFixed(3)}`).join(' '));
