// Which input features does the same spectral rule (K = 10, 16 eigenvectors, consensus of 24 fits) cluster best
// on the first 10,000 Fashion images: raw pixels, or HOG-like histograms of gradient orientation (9 bins per
// cell of 4 or 7 pixels, L2-normalised, square-rooted)? 3 rule seeds each (session 11,
// experiments/results/fashion-pooled-graphs.md).   npx tsx experiments/pixel-features.ts   (env FEATS=pixels,hog4,hog7)
import { loadIdxDir } from '../src/data/dataset.js';
import { knn, spectralLabels } from '../src/cluster/spectral.js';
import { clusterAccuracy } from '../src/eval/metrics.js';
const split = loadIdxDir('/usr/share/datasets/fashion-mnist', { limit: 10000 });
const tr = split.train; const n = tr.n; const y = tr.labels!;
const P = 784; const X = Float32Array.from(tr.images, (v) => v / 255);
function hog(cell: number, bins: number): { f: Float32Array; d: number } {
  const g = 28 / cell; const d = g * g * bins; const f = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const im = X.subarray(i * P, i * P + P);
    const px = (r: number, c: number): number => (r < 0 || r > 27 || c < 0 || c > 27 ? 0 : im[r * 28 + c]);
    for (let r = 0; r < 28; r++) for (let c = 0; c < 28; c++) {
      const gx = px(r, c + 1) - px(r, c - 1), gy = px(r + 1, c) - px(r - 1, c);
      const m = Math.hypot(gx, gy); if (m === 0) continue;
      let a = Math.atan2(gy, gx); if (a < 0) a += Math.PI; // unsigned orientation [0, π)
      const b = Math.min(bins - 1, Math.floor((a / Math.PI) * bins));
      f[i * d + (Math.floor(r / cell) * g + Math.floor(c / cell)) * bins + b] += m;
    }
    let s = 0; for (let t = 0; t < d; t++) s += f[i * d + t] ** 2; s = Math.sqrt(s) || 1;
    for (let t = 0; t < d; t++) f[i * d + t] = Math.sqrt(f[i * d + t] / s); // L2 then sqrt (Hellinger-like)
  }
  return { f, d };
}
const sets: [string, Float32Array, number][] = [['pixels', X, P]];
const which = (process.env.FEATS ?? 'pixels,hog4,hog7').split(',');
if (which.includes('hog4')) { const h = hog(4, 9); sets.push(['hog4', h.f, h.d]); }
if (which.includes('hog7')) { const h = hog(7, 9); sets.push(['hog7', h.f, h.d]); }
if (which.includes('pixhog')) { const h = hog(4, 9); const d = P + h.d; const f = new Float32Array(n * d); for (let i = 0; i < n; i++) { f.set(X.subarray(i * P, i * P + P), i * d); f.set(h.f.subarray(i * h.d, (i + 1) * h.d), i * d + P); } sets.push(['pix+hog4', f, d]); }
for (const [name, f, d] of sets) {
  if (!which.includes(name) && name !== 'pix+hog4') continue;
  const t0 = Date.now();
  const nb = knn(f, n, d, 10, null);
  const acc: number[] = [];
  for (let s = 1; s <= 3; s++) { const l = spectralLabels(f, n, d, 10, { neighbors: 10, dims: 16, weights: null, iters: 100, seed: 100 + s, fits: 5, consensus: 24 }, nb); acc.push(clusterAccuracy(y, l, 10).accuracy); }
  console.log(name, d, acc.map((a) => a.toFixed(3)).join(' '), 'mean', (acc.reduce((a, b) => a + b) / 3).toFixed(3), `${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
