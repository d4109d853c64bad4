// Do learned local features cluster Fashion better than pixels under the same spectral rule? A screen for a
// convolutional front end (session 13): single-layer k-means patch features (Coates & Ng's recipe, our own code):
// p×p patches normalised for brightness and contrast, ZCA-whitened, k-means on sampled patches (K centres),
// every image's patches at stride 1 encoded by the "triangle" activation max(0, mean_k d − d_k), sum-pooled over
// a g×g grid → g·g·K features, then PCA to 64. 3 draws of the rule (K = 10, 16 eigenvectors, consensus of 24)
// on the first N images, against raw pixels.
//   npx tsx experiments/patch-features.ts        env N (10000), P (5), KC (64,128), G (2,3), PCA (64)
import { loadIdxDir } from '../src/data/dataset.js';
import { knn, spectralLabels } from '../src/cluster/spectral.js';
import { clusterAccuracy } from '../src/eval/metrics.js';
import { pcaFit, pcaProject } from '../src/cluster/pca.js';
import { kmeansFit, Rng } from '../src/cluster/reference.js';

const N = Number(process.env.N ?? 10000);
const split = loadIdxDir('/usr/share/datasets/fashion-mnist', { limit: N });
const tr = split.train; const n = tr.n; const y = tr.labels!;
const X = Float32Array.from(tr.images, (v) => v / 255);
const p = Number(process.env.P ?? 5); const pd = p * p; const o = 28 - p + 1; // positions per axis
const EPS = Number(process.env.EPS ?? 0.01); // variance floor (units of [0,1]²): blank patches stay small

function patchAt(i: number, r: number, c: number, out: Float64Array): void {
  let m = 0;
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) { const v = X[i * 784 + (r + a) * 28 + c + b]; out[a * p + b] = v; m += v; }
  m /= pd; let s = 0;
  for (let t = 0; t < pd; t++) { out[t] -= m; s += out[t] * out[t]; }
  const sd = Math.sqrt(s / pd + EPS);
  for (let t = 0; t < pd; t++) out[t] /= sd;
}

function features(Kc: number, g: number, seed: number): { f: Float32Array; d: number } {
  const rng = new Rng(seed);
  // 1. sample patches, whiten (ZCA: W = U diag(1/√(λ+0.1)) Uᵀ)
  const S = Math.min(200000, n * 20); const P = new Float32Array(S * pd); const tmp = new Float64Array(pd);
  for (let s = 0; s < S; s++) {
    const i = Math.floor(rng.next() * n), r = Math.floor(rng.next() * o), c = Math.floor(rng.next() * o);
    patchAt(i, r, c, tmp); for (let t = 0; t < pd; t++) P[s * pd + t] = tmp[t];
  }
  const pc = pcaFit(P, S, pd, pd, S);
  const W = new Float64Array(pd * pd);
  for (let a = 0; a < pd; a++) for (let b = 0; b < pd; b++) {
    let v = 0; for (let m = 0; m < pd; m++) v += (pc.basis[a * pd + m] * pc.basis[b * pd + m]) / Math.sqrt(pc.variances[m] + 0.1);
    W[a * pd + b] = v;
  }
  const white = (src: Float64Array, dst: Float64Array): void => {
    for (let a = 0; a < pd; a++) { let v = 0; for (let b = 0; b < pd; b++) v += W[a * pd + b] * (src[b] - pc.mean[b]); dst[a] = v; }
  };
  const wt = new Float64Array(pd);
  for (let s = 0; s < S; s++) { for (let t = 0; t < pd; t++) tmp[t] = P[s * pd + t]; white(tmp, wt); for (let t = 0; t < pd; t++) P[s * pd + t] = wt[t]; }
  // 2. k-means dictionary
  const km = kmeansFit(P, S, pd, { k: Kc, weights: null, iters: 30, init: 'kmeans++', rng });
  const C = km.centroids; const cc = new Float64Array(Kc);
  for (let k = 0; k < Kc; k++) { let s = 0; for (let t = 0; t < pd; t++) s += C[k * pd + t] ** 2; cc[k] = s; }
  // 3. encode every image: triangle activation, sum-pooled on a g×g grid of positions
  const d = g * g * Kc; const f = new Float32Array(n * d); const dist = new Float64Array(Kc);
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < o; r++) for (let c = 0; c < o; c++) {
      patchAt(i, r, c, tmp); white(tmp, wt);
      let xx = 0; for (let t = 0; t < pd; t++) xx += wt[t] * wt[t];
      let mu = 0;
      for (let k = 0; k < Kc; k++) {
        let dot = 0; const ko = k * pd; for (let t = 0; t < pd; t++) dot += wt[t] * C[ko + t];
        dist[k] = Math.sqrt(Math.max(0, xx + cc[k] - 2 * dot)); mu += dist[k];
      }
      mu /= Kc;
      const cell = (Math.min(g - 1, Math.floor((r * g) / o)) * g + Math.min(g - 1, Math.floor((c * g) / o))) * Kc;
      for (let k = 0; k < Kc; k++) { const a = mu - dist[k]; if (a > 0) f[i * d + cell + k] += a; }
    }
  }
  return { f, d };
}

function rule(name: string, f: Float32Array, d: number): void {
  const t0 = Date.now();
  const m = Number(process.env.PCA ?? 64);
  let x = f, dd = d, expl = 1;
  if (m > 0 && d > m) { const pc = pcaFit(f, n, d, m); x = pcaProject(pc, f, n, d); dd = m; expl = pc.explained; }
  const nb = knn(x, n, dd, 10, null);
  const acc: number[] = [];
  for (let s = 1; s <= 3; s++) {
    const l = spectralLabels(x, n, dd, 10, { neighbors: 10, dims: 16, weights: null, iters: 100, seed: 100 + s, fits: 5, consensus: 24 }, nb);
    acc.push(clusterAccuracy(y, l, 10).accuracy);
  }
  console.log(name, `d=${d}→${dd} (${(100 * expl).toFixed(0)} %)`, acc.map((a) => a.toFixed(3)).join(' '), 'mean', (acc.reduce((a, b) => a + b) / 3).toFixed(3), `${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

if ((process.env.PIXELS ?? '1') === '1') rule('pixels', X, 784);
for (const Kc of (process.env.KC ?? '64,128').split(',').map(Number)) {
  for (const g of (process.env.G ?? '2,3').split(',').map(Number)) {
    const t0 = Date.now(); const { f, d } = features(Kc, g, 7);
    console.log(`features p=${p} K=${Kc} g=${g}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    rule(`patch p${p} K${Kc} g${g}`, f, d);
  }
}
