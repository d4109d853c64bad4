// Do a run's codes add anything to the pixels' own partition? On each run's code store and on the top PCA
// components of its training pixels: the spectral rule's consensus over the code graph's fits alone, the pixel
// graph's alone, and both pooled into one consensus (as eval.graphs pools graphs), 3 draws each (session 14).
//   npx tsx experiments/anchor-pool.ts <run folder>...     env PCA (64), FITS (24 per graph)
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { poolNeighbours as neighbours } from './neighbours.js';
import { spectralFits, type Neighbours } from '../src/cluster/spectral.js';
import { consensusLabels } from '../src/cluster/consensus.js';
import { Rng } from '../src/cluster/reference.js';
import { pcaFit, pcaProject } from '../src/cluster/pca.js';
import { clusterAccuracy } from '../src/eval/metrics.js';

const m = Number(process.env.PCA ?? 64), FITS = Number(process.env.FITS ?? 24), k = 10;
let pix = null as { key: string; rows: Float32Array; nb: Neighbours } | null;
for (const dir of process.argv.slice(2)) {
  const cfg = JSON.parse(readFileSync(dir + '/config.json', 'utf8'));
  const split = loadDataset(datasetSpecOf(cfg));
  const y = split.train.labels!, n = split.train.n, d = cfg.model.zDim + cfg.model.cDim;
  const K = cfg.cluster.neighbors || Math.min(50, Math.max(10, Math.round(n / 1000)));
  const codes = loadCheckpoint(dir + '/checkpoint.bin').arrays['engine/codes'] as Float32Array;
  const key = `${n}/${K}`;
  if (pix?.key !== key) {
    const X = Float32Array.from(split.train.images, (v) => v / 255);
    const rows = pcaProject(pcaFit(X, n, 784, m), X, n, 784);
    pix = { key, rows, nb: await neighbours(rows, n, m, K) };
  }
  const cnb = await neighbours(codes, n, d, K);
  const res: Record<string, number[]> = { codes: [], pixels: [], pooled: [] };
  for (let s = 1; s <= 3; s++) {
    const o = (seed: number) => ({ neighbors: K, dims: 16, weights: null, iters: 100, seed });
    const rc = new Rng(1000 + s), rp = new Rng(2000 + s);
    const fc = spectralFits(codes, n, d, k, o(10 + s), FITS, rc, cnb);
    const fp = spectralFits(pix.rows, n, m, k, o(20 + s), FITS, rp, pix.nb);
    const acc = (fits: Int32Array[]): number => clusterAccuracy(y, consensusLabels(fits, n, k, k, { restarts: 5, iters: 100, rng: new Rng(3000 + s) }).labels, k).accuracy;
    res.codes.push(acc(fc)); res.pixels.push(acc(fp)); res.pooled.push(acc([...fc, ...fp]));
  }
  const f = (a: number[]): string => `${(a.reduce((x, v) => x + v, 0) / a.length).toFixed(3)} (${a.map((v) => v.toFixed(3)).join(' ')})`;
  console.log(`${dir}: codes ${f(res.codes)}  pixels ${f(res.pixels)}  pooled ${f(res.pooled)}`);
}
