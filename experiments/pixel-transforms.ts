// Does a per-image intensity transform make the pixels' partition follow garment type rather than brightness?
// On 10k Fashion images the spectral rule's worst cluster (1,260 images of five top classes) is the dark garments:
// mean intensity 0.20 against 0.30–0.48 for the other tops, at the same coverage. Each transform below is applied
// to x in [0, 1] (784 pixels), then the top PCA components, K neighbours, the spectral rule, DRAWS draws (session 15).
//   npx tsx experiments/pixel-transforms.ts     env N (10000), PCA (64), K (10), DRAWS (3), TF (comma list)
import { loadIdxDir } from '../src/data/dataset.js';
import { poolNeighbours } from './neighbours.js';
import { spectralLabels } from '../src/cluster/spectral.js';
import { clusterAccuracy } from '../src/eval/metrics.js';
import { pcaFit, pcaProject } from '../src/cluster/pca.js';

const N = Number(process.env.N ?? 10000), m = Number(process.env.PCA ?? 64), K = Number(process.env.K ?? 10);
const split = loadIdxDir('/usr/share/datasets/fashion-mnist', { limit: N });
const tr = split.train; const n = tr.n; const y = tr.labels!;
/** One image's 784 pixels in [0, 1] → transformed in place. */
const transforms: Record<string, (x: Float32Array) => void> = {
  raw: () => {},
  // foreground (x > 0.05) mean scaled to 0.5, clipped at 1: a dark garment gets the brightness of a light one
  fgmean: (x) => { let s = 0, c = 0; for (const v of x) if (v > 0.05) { s += v; c++; } const g = c ? 0.5 / (s / c) : 1; for (let p = 0; p < 784; p++) x[p] = Math.min(1, x[p]! * g); },
  // unit L2 norm (times 10, the order of a raw image's norm): only the pattern, not the total ink
  l2: (x) => { let s = 0; for (const v of x) s += v * v; const g = s > 0 ? 10 / Math.sqrt(s) : 1; for (let p = 0; p < 784; p++) x[p] = x[p]! * g; },
  // silhouette: shape alone
  bin05: (x) => { for (let p = 0; p < 784; p++) x[p] = x[p]! > 0.05 ? 1 : 0; },
  // half silhouette, half the intensities scaled by the foreground mean
  mix: (x) => { let s = 0, c = 0; for (const v of x) if (v > 0.05) { s += v; c++; } const g = c ? 0.5 / (s / c) : 1; for (let p = 0; p < 784; p++) x[p] = 0.5 * (x[p]! > 0.05 ? 1 : 0) + 0.5 * Math.min(1, x[p]! * g); },
};
for (const name of (process.env.TF ?? 'raw,fgmean,l2,bin05,mix').split(',')) {
  const X = Float32Array.from(tr.images, (v) => v / 255);
  for (let i = 0; i < n; i++) transforms[name]!(X.subarray(i * 784, (i + 1) * 784));
  const f = pcaProject(pcaFit(X, n, 784, m), X, n, 784);
  const nb = await poolNeighbours(f, n, m, K);
  let pure = 0; for (let i = 0; i < n; i++) for (let a = 0; a < 10 && a < K; a++) if (y[nb.idx[i * K + a]!] === y[i]) pure++;
  const accs: number[] = [];
  for (let s = 1; s <= Number(process.env.DRAWS ?? 3); s++) {
    const l = spectralLabels(f, n, m, 10, { neighbors: K, dims: 16, weights: null, iters: 100, seed: 100 + s, fits: 5, consensus: 24 }, nb);
    accs.push(clusterAccuracy(y, l, 10).accuracy);
  }
  console.log(`${name.padEnd(7)} 10-NN purity ${(pure / n / Math.min(10, K)).toFixed(3)}  acc ${(accs.reduce((a, b) => a + b) / accs.length).toFixed(3)} (${accs.map((a) => a.toFixed(3)).join(' ')})`);
}
