// Re-cluster stored code stores under several seeds of the clustering rule itself, to compare two final rules by
// their expected accuracy rather than by one draw: `npm start -- --recluster` scores one draw (the run's own seed),
// and KMeans on the spectral embedding swings by ±0.05 between draws on the same codes.
//   npx tsx experiments/rule-seeds.ts experiments/runs/<grid>/<run> …   (env SEEDS=4, CONSENSUS=0,24)
// For each store and each value of eval.consensus (0 = the best of 5 fits by inertia): accuracy and NMI at k = 10
// over SEEDS rule seeds (the eigen-solver's start and the KMeans seeds), 10 neighbours (TypeScript, computed once)
// and 16 eigenvectors (the defaults at k = 10).
import { readFileSync } from 'node:fs';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { knn, spectralLabels } from '../src/cluster/spectral.js';
import { clusterAccuracy, nmi } from '../src/eval/metrics.js';

const seeds = Number(process.env.SEEDS ?? 4);
const rules = (process.env.CONSENSUS ?? '0,24').split(',').map(Number);
const mean = (v: number[]): number => v.reduce((p, q) => p + q, 0) / v.length;
const perRule = new Map<number, number[]>(rules.map((r) => [r, []]));
for (const dir of process.argv.slice(2)) {
  const cfg = JSON.parse(readFileSync(dir + '/config.json', 'utf8'));
  const ck = loadCheckpoint(dir + '/checkpoint.bin');
  // the run's own data spec (a config.json from before data.deskew / data.gamma reads as raw pixels, as it trained)
  const split = loadDataset(datasetSpecOf(cfg));
  const y = split.train.labels!, n = split.train.n, k = split.train.numClasses;
  const codes = ck.arrays['engine/codes'] as Float32Array, d = codes.length / n;
  const nb = knn(codes, n, d, 10, null);
  const cells: string[] = [];
  for (const consensus of rules) {
    const acc: number[] = [], mi: number[] = [];
    for (let s = 1; s <= seeds; s++) {
      const l = spectralLabels(codes, n, d, k, { neighbors: 10, dims: 16, weights: null, iters: 100, seed: 1000 + s, fits: 5, consensus }, nb);
      acc.push(clusterAccuracy(y, l, k).accuracy); mi.push(nmi(y, l));
    }
    perRule.get(consensus)!.push(mean(acc));
    cells.push(`${mean(acc).toFixed(3)} (${acc.map((a) => a.toFixed(3)).join(', ')}) NMI ${mean(mi).toFixed(3)}`);
  }
  console.log(`| ${dir} | ${cells.join(' | ')} |`);
}
for (const [r, v] of perRule) console.log(`consensus ${r}: mean accuracy over ${v.length} stores ${mean(v).toFixed(4)}`);
