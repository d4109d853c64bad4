// Session 11's screen of final rules on stored codes: does a consensus pooled over several spectral embeddings
// (graphs of other K, other eigenvector counts, other spaces, the raw pixels) or with more consensus starts beat
// the one-graph consensus of 24 fits? Each variant is scored over SEEDS seeds of the rule (TypeScript neighbours);
// results in experiments/results/fashion-pooled-graphs.md. The winner (pooled K, 40 starts) is eval.graphs /
// eval.consensusRestarts; --recluster scores it exactly as a run does.
//   npx tsx experiments/ensemble-rule.ts <run folder> …   (env SEEDS=3, VARIANTS=base,KR40,…)
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { knn, spectralEmbedding, type Neighbours } from '../src/cluster/spectral.js';
import { kmeansFit } from '../src/cluster/reference.js';
import { consensusLabels } from '../src/cluster/consensus.js';
import { clusterAccuracy, nmi } from '../src/eval/metrics.js';
import { Rng } from '../src/util/rng.js';

const seeds = Number(process.env.SEEDS ?? 3);
const mean = (v: number[]): number => v.reduce((p, q) => p + q, 0) / v.length;
type Emb = { K: number; dims: number; space: 'zc' | 'z' | 'pix' };
const variants: Record<string, { embs: Emb[]; fits: number; restarts?: number }> = {
  base: { embs: [{ K: 10, dims: 16, space: 'zc' }], fits: 24 },
  fits96: { embs: [{ K: 10, dims: 16, space: 'zc' }], fits: 96 },
  dims: { embs: [12, 16, 20, 24].map((dims) => ({ K: 10, dims, space: 'zc' as const })), fits: 24 },
  K: { embs: [10, 20, 30, 50].map((K) => ({ K, dims: 16, space: 'zc' as const })), fits: 24 },
  Kdims: { embs: [10, 20, 40].flatMap((K) => [12, 16, 24].map((dims) => ({ K, dims, space: 'zc' as const }))), fits: 12 },
  pixzc: { embs: [{ K: 10, dims: 16, space: 'zc' }, { K: 10, dims: 16, space: 'pix' }, { K: 10, dims: 24, space: 'zc' }, { K: 10, dims: 24, space: 'pix' }], fits: 24 },
  baseR40: { embs: [{ K: 10, dims: 16, space: 'zc' }], fits: 24, restarts: 40 },
  fits96R40: { embs: [{ K: 10, dims: 16, space: 'zc' }], fits: 96, restarts: 40 },
  KR40: { embs: [10, 20, 30, 50].map((K) => ({ K, dims: 16, space: 'zc' as const })), fits: 24, restarts: 40 },
  pix: { embs: [{ K: 10, dims: 16, space: 'pix' }], fits: 24 },
  space: { embs: [{ K: 10, dims: 16, space: 'zc' }, { K: 10, dims: 16, space: 'z' }, { K: 20, dims: 16, space: 'zc' }, { K: 20, dims: 16, space: 'z' }], fits: 24 },
};
const only = process.env.VARIANTS?.split(',');
const totals = new Map<string, number[]>();
for (const dir of process.argv.slice(2)) {
  const cfg = JSON.parse(readFileSync(dir + '/config.json', 'utf8'));
  const ck = loadCheckpoint(dir + '/checkpoint.bin');
  const split = loadDataset(datasetSpecOf(cfg));
  const y = split.train.labels!, n = split.train.n, k = split.train.numClasses;
  let codes = ck.arrays['engine/codes'] as Float32Array | undefined;
  if (!codes) throw new Error('no store');
  const d = codes.length / n, dz = cfg.model?.zDim ?? 20;
  const pix = Float32Array.from(split.train.images, (v) => v / 255);
  const nbs = new Map<string, Neighbours>();
  const wz = new Float32Array(d); for (let j = 0; j < dz; j++) wz[j] = 1;
  const nbOf = (K: number, space: string): Neighbours => {
    const key = `${K}/${space}`;
    if (!nbs.has(key)) nbs.set(key, space === 'pix' ? knn(pix, n, 784, K, null) : knn(codes!, n, d, K, space === 'z' ? wz : null));
    return nbs.get(key)!;
  };
  for (const [name, v] of Object.entries(variants)) {
    if (only && !only.includes(name)) continue;
    const acc: number[] = [], mi: number[] = [];
    const t0 = Date.now();
    for (let s = 1; s <= seeds; s++) {
      const rng = new Rng(7919 * s);
      const fits: Int32Array[] = [];
      v.embs.forEach((e, ei) => {
        const E = spectralEmbedding(e.space === 'pix' ? pix : codes!, n, e.space === 'pix' ? 784 : d, { neighbors: e.K, dims: e.dims, weights: e.space === 'z' ? wz : null, iters: 100, seed: 1000 * s + ei }, nbOf(e.K, e.space));
        for (let f = 0; f < v.fits; f++) fits.push(kmeansFit(E, n, e.dims, { k, weights: null, iters: 100, init: 'kmeans++', rng }).labels);
      });
      const l = consensusLabels(fits, n, k, k, { restarts: v.restarts ?? 5, iters: 100, rng }).labels;
      acc.push(clusterAccuracy(y, l, k).accuracy); mi.push(nmi(y, l));
    }
    if (!totals.has(name)) totals.set(name, []);
    totals.get(name)!.push(mean(acc));
    console.log(`${dir} ${name}: ${mean(acc).toFixed(3)} (${acc.map((a) => a.toFixed(3)).join(', ')}) NMI ${mean(mi).toFixed(3)}  ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
}
for (const [name, v] of totals) console.log(`${name}: mean over ${v.length} stores ${mean(v).toFixed(4)}`);
