// The eigen step of the pixel PCA (cluster.start = "pixels", eval.codes = "hidden"): the 784×784 covariance of
// the embedded MNIST training digits, decomposed by Householder tridiagonalisation + implicit QR (the current
// path, src/cluster/eigen.ts) against cyclic Jacobi (the plain baseline, src/cluster/spectral.ts) in the same
// run, with the ratio and the largest gap between their top 64 eigenvalues. Writes bench/results/pca.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadEmbeddedMnist } from '../src/data/dataset.js';
import { covariance } from '../src/cluster/pca.js';
import { symmetricEigen } from '../src/cluster/eigen.js';
import { jacobiEigen } from '../src/cluster/spectral.js';
import { timeOnce } from './spectral.bench.js';

export async function runPcaBench(opts: { log?: (s: string) => void } = {}): Promise<void> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const tr = loadEmbeddedMnist({ testFraction: 0.2, seed: 1 }).train, d = 784, m = 64;
  const X = Float32Array.from(tr.images, (v) => v / 255);
  let C: Float64Array = new Float64Array(0);
  const covMs = await timeOnce('covariance', () => { C = covariance(X, tr.n, d).C; });
  let fast: { values: Float64Array } = { values: new Float64Array(0) }, plain: { values: Float64Array } = { values: new Float64Array(0) };
  const fastMs = await timeOnce('householder-qr', () => { fast = symmetricEigen(C.slice(), d); });
  const plainMs = await timeOnce('jacobi', () => { plain = jacobiEigen(C.slice(), d); });
  const top = (v: Float64Array): number[] => [...v].sort((a, b) => b - a).slice(0, m);
  const a = top(fast.values), b = top(plain.values);
  const gap = Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.abs(b[0])));
  log(`pca d=${d} (${tr.n} digits; covariance ${(covMs / 1000).toFixed(1)} s): Householder + QR ${(fastMs / 1000).toFixed(1)} s, ` +
    `cyclic Jacobi ${(plainMs / 1000).toFixed(1)} s: ${(plainMs / fastMs).toFixed(1)}× faster; top ${m} eigenvalues agree to ${gap.toExponential(1)} of the largest`);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + 'pca.json', JSON.stringify({ d, rows: tr.n, covarianceMs: covMs, householderQrMs: fastMs, jacobiMs: plainMs, speedup: plainMs / fastMs, topEigenvalueGap: gap }, null, 2) + '\n');
}
