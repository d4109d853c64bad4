// Where would a pseudo-label loop start if its first partition came from the pixels instead of random codes?
// The spectral rule (K neighbours on the pool, 16 eigenvectors, consensus of 24 KMeans fits) on the top PCA
// components of the training pixels, 3 draws, on the first N Fashion-MNIST images (session 14).
//   npx tsx experiments/pixel-start.ts     env N (60000), PCA (64; 0 = raw 784), K (50), DRAWS (3)
import { loadIdxDir } from '../src/data/dataset.js';
import { poolNeighbours } from './neighbours.js';
import { spectralLabels } from '../src/cluster/spectral.js';
import { clusterAccuracy, nmi } from '../src/eval/metrics.js';
import { pcaFit, pcaProject } from '../src/cluster/pca.js';

const N = Number(process.env.N ?? 60000), m = Number(process.env.PCA ?? 64), K = Number(process.env.K ?? 50);
const split = loadIdxDir('/usr/share/datasets/fashion-mnist', { limit: N });
const tr = split.train; const n = tr.n; const y = tr.labels!;
const X = Float32Array.from(tr.images, (v) => v / 255);
let t0 = Date.now();
let f: Float32Array = X, d = 784;
if (m > 0) { const pc = pcaFit(X, n, 784, m); f = pcaProject(pc, X, n, 784); d = m; console.log(`pca ${m}: ${(100 * pc.explained).toFixed(1)} % in ${((Date.now() - t0) / 1000).toFixed(0)} s`); }
t0 = Date.now();
const nb = await poolNeighbours(f, n, d, K);
console.log(`knn K=${K}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
const accs: number[] = [];
for (let s = 1; s <= Number(process.env.DRAWS ?? 3); s++) {
  t0 = Date.now();
  const l = spectralLabels(f, n, d, 10, { neighbors: K, dims: 16, weights: null, iters: 100, seed: 100 + s, fits: 5, consensus: 24 }, nb);
  const a = clusterAccuracy(y, l, 10).accuracy; accs.push(a);
  console.log(`draw ${s}: acc ${a.toFixed(3)} nmi ${nmi(y, l).toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
console.log(`N=${n} PCA=${m} K=${K}: mean ${(accs.reduce((a, b) => a + b) / accs.length).toFixed(3)}`);
