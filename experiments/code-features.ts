// Session 12's screen: which representation a finished uvhe run's networks give of each training x clusters best
// under the spectral rule (K = 10, 16 eigenvectors, consensus of 24 fits, 3 rule seeds)? The store [z‖c] holds
// z = x minus what x's own cluster explains, so it mostly repeats the pseudo-labels; z encoded against ONE shared
// class code (c = 0, the prior's centre, or the store's mean c) must carry the class itself, as a VAE's code does.
//   npx tsx experiments/code-features.ts <uvhe run folder> …   (env FEATS=store,z0,zbar,self,hc,pix; SEEDS=3)
import { readFileSync } from 'node:fs';
import { initBackend, tf } from '../src/backend.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { resolveConfig } from '../src/config.js';
import { modelShape } from '../src/train/loop.js';
import { createParams, encodeCSelf, encodeZ } from '../src/model/vhe.js';
import { linear } from '../src/model/layers.js';
import { pcaFit, pcaProject } from '../src/cluster/pca.js';
import { knn, spectralLabels } from '../src/cluster/spectral.js';
import { clusterAccuracy, nmi } from '../src/eval/metrics.js';

await initBackend('auto');
const seeds = Number(process.env.SEEDS ?? 3);
const feats = (process.env.FEATS ?? 'store,z0,zbar,self,hc').split(',');
const mean = (v: number[]): number => v.reduce((p, q) => p + q, 0) / v.length;
const totals = new Map<string, number[]>();
for (const dir of process.argv.slice(2)) {
  const raw = JSON.parse(readFileSync(dir + '/config.json', 'utf8'));
  const cfg = resolveConfig(raw);
  const ck = loadCheckpoint(dir + '/checkpoint.bin');
  const split = loadDataset(datasetSpecOf(cfg));
  const tr = split.train, n = tr.n, P = tr.rows * tr.cols, k = tr.numClasses, y = tr.labels!;
  const shape = modelShape(cfg, P);
  const p = createParams(shape, 0);
  for (const [name, v] of Object.entries(p)) v.assign(tf.tensor(ck.arrays[`param/${name}`] as Float32Array, v.shape));
  const dz = shape.zDim, dc = shape.cDim, d = dz + dc;
  const store = (ck.arrays['engine/codes'] as Float32Array | undefined) ?? new Float32Array(n * d);
  const cbar = new Float32Array(dc);
  for (let i = 0; i < n; i++) for (let j = 0; j < dc; j++) cbar[j] += store[i * d + dz + j] / n;
  const H = shape.hidden;
  /** the mean half (H ReLU units) of a fused first layer's output [2H, B] */
  const meanHalf = (h: tf.Tensor): Tensor2D => tf.slice(h, [0, 0], [H, -1]) as Tensor2D;
  const zIn = (xT: Tensor2D): Array<{ W: tf.Variable; xT: Tensor2D; grad: boolean }> => [{ W: p['encZ/Wx']!, xT, grad: false }, ...(dc ? [{ W: p['encZ/Wc']!, xT: tf.zeros([dc, xT.shape[1]]) as Tensor2D, grad: false }] : [])];
  const X = Float32Array.from(tr.images, (v) => v / 255);
  /** rows of f(xT [P, B]) → [dims, B], over all n in batches of 1000 */
  const rowsOf = (dims: number, f: (xT: Tensor2D) => Tensor2D): Float32Array => {
    const out = new Float32Array(n * dims);
    for (let s = 0; s < n; s += 1000) {
      const B = Math.min(1000, n - s);
      const r = tf.tidy(() => tf.transpose(f(tf.transpose(tf.tensor2d(X.subarray(s * P, (s + B) * P), [B, P])) as Tensor2D)).dataSync() as Float32Array);
      out.set(r, s * dims);
    }
    return out;
  };
  const sets: Record<string, () => [Float32Array, number]> = {
    store: () => [store, d],
    pix: () => [X, P],
    z0: () => [rowsOf(dz, (xT) => encodeZ(shape, p, xT, tf.zeros([dc, xT.shape[1]]) as Tensor2D).mu), dz],
    zbar: () => [rowsOf(dz, (xT) => encodeZ(shape, p, xT, tf.tile(tf.tensor2d(cbar, [dc, 1]), [1, xT.shape[1]]) as Tensor2D).mu), dz],
    self: () => [rowsOf(dz + dc, (xT) => { const c = encodeCSelf(shape, p, xT).mu; return tf.concat([encodeZ(shape, p, xT, c).mu, c], 0) as Tensor2D; }), dz + dc],
    z0c: () => [rowsOf(dz + dc, (xT) => tf.concat([encodeZ(shape, p, xT, tf.zeros([dc, xT.shape[1]]) as Tensor2D).mu, encodeCSelf(shape, p, xT).mu], 0) as Tensor2D), dz + dc],
    cself: () => [rowsOf(dc, (xT) => encodeCSelf(shape, p, xT).mu), dc],
    // the class encoder's hidden layer (mean half, H ReLU units)
    hc: () => [rowsOf(H, (xT) => meanHalf(tf.relu(linear([{ W: p['encC/W1']!, xT, grad: false }], p['encC/b1']!)))), H],
    // hc in its top PCA components (env PCA, default 64)
    hcpca: () => { const [f, fd] = sets.hc!(); const m = Number(process.env.PCA ?? 64); const t = Date.now(); const pc = pcaFit(f, n, fd, m); console.log(`  pca ${m}: ${(pc.explained * 100).toFixed(1)} % of the variance, ${((Date.now() - t) / 1000).toFixed(1)} s`); return [pcaProject(pc, f, n, fd), m]; },
    hzpca: () => { const [f, fd] = sets.hz!(); const m = Number(process.env.PCA ?? 64); const pc = pcaFit(f, n, fd, m); console.log(`  pca ${m}: ${(pc.explained * 100).toFixed(1)} %`); return [pcaProject(pc, f, n, fd), m]; },
    // both halves (mean and log-std heads' units), 2H
    hcfull: () => [rowsOf(2 * H, (xT) => tf.relu(linear([{ W: p['encC/W1']!, xT, grad: false }], p['encC/b1']!)) as Tensor2D), 2 * H],
    // the z encoder's hidden layer (uvhe: at c = 0; vae: its only encoder), mean half
    hz: () => [rowsOf(H, (xT) => meanHalf(tf.relu(linear(zIn(xT), p['encZ/b1']!)))), H],
    // vae: the means of q(z|x)
    vz: () => [rowsOf(dz, (xT) => encodeZ(shape, p, xT, undefined).mu), dz],
  };
  for (const name of feats) {
    const t0 = Date.now();
    const [f, fd] = sets[name]!();
    const nb = knn(f, n, fd, 10, null);
    const acc: number[] = [], mi: number[] = [];
    for (let s = 1; s <= seeds; s++) {
      const l = spectralLabels(f, n, fd, k, { neighbors: 10, dims: 16, weights: null, iters: 100, seed: 100 + s, fits: 5, consensus: 24 }, nb);
      acc.push(clusterAccuracy(y, l, k).accuracy); mi.push(nmi(y, l));
    }
    if (!totals.has(name)) totals.set(name, []);
    totals.get(name)!.push(mean(acc));
    console.log(`${dir} ${name} (${fd}-d): ${mean(acc).toFixed(3)} (${acc.map((a) => a.toFixed(3)).join(', ')}) NMI ${mean(mi).toFixed(3)}  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}
for (const [name, v] of totals) console.log(`${name}: mean over ${v.length} runs ${mean(v).toFixed(4)}`);
