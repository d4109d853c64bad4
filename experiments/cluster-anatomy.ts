// Where does the rule spend its k = 10 clusters on Fashion-MNIST? For each draw of the spectral rule: the
// accuracy, the garment classes that own two or more clusters (a cluster is "owned" by its majority class) and
// the classes that own none (merged into others), and how balanced its cluster sizes are (entropy / log k). On the top PCA components of the training pixels, and on the
// code stores of the run folders given (session 15).
//   npx tsx experiments/cluster-anatomy.ts [run folder]...     env N (10000, pixels only), PCA (64), K (pixels: 10), DRAWS (6)
import { readFileSync } from 'node:fs';
import { loadIdxDir, loadDataset, datasetSpecOf } from '../src/data/dataset.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { poolNeighbours } from './neighbours.js';
import { spectralLabels } from '../src/cluster/spectral.js';
import { clusterAccuracy } from '../src/eval/metrics.js';
import { pcaFit, pcaProject } from '../src/cluster/pca.js';

const names = ['T-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'boot'];
const DRAWS = Number(process.env.DRAWS ?? 6), m = Number(process.env.PCA ?? 64);
function spearman(a: number[], b: number[]): number {
  const rank = (v: number[]): number[] => { const o = v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]); const r = new Array(v.length); o.forEach(([, i], j) => { r[i] = j; }); return r; };
  const ra = rank(a), rb = rank(b), m = (a.length - 1) / 2;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < a.length; i++) { num += (ra[i] - m) * (rb[i] - m); da += (ra[i] - m) ** 2; db += (rb[i] - m) ** 2; }
  return num / Math.sqrt(da * db);
}
async function anatomy(label: string, f: Float32Array, n: number, d: number, y: Int32Array, K: number): Promise<void> {
  const nb = await poolNeighbours(f, n, d, K);
  const accs: number[] = [], hs: number[] = [];
  const tally: Record<string, number> = {};
  for (let s = 1; s <= DRAWS; s++) {
    const l = spectralLabels(f, n, d, 10, { neighbors: K, dims: 16, weights: null, iters: 100, seed: 100 + s, fits: 5, consensus: 24 }, nb);
    const a = clusterAccuracy(y, l, 10).accuracy; accs.push(a);
    const sizes = new Array(10).fill(0); for (let i = 0; i < n; i++) sizes[l[i]!]++;
    const h = -sizes.reduce((t: number, c: number) => t + (c > 0 ? (c / n) * Math.log(c / n) : 0), 0) / Math.log(10); hs.push(h);
    const C = Array.from({ length: 10 }, () => new Array(10).fill(0));
    for (let i = 0; i < n; i++) C[l[i]!]![y[i]!]++;
    const owns = new Array(10).fill(0);
    for (const row of C) owns[row.indexOf(Math.max(...row))]++;
    const split = names.filter((_, c) => owns[c] > 1), none = names.filter((_, c) => owns[c] === 0);
    for (const c of split) tally[c] = (tally[c] ?? 0) + 1;
    console.log(`${label} draw ${s}: acc ${a.toFixed(3)}  size entropy ${h.toFixed(4)}  split: ${split.join(', ') || '-'}  merged away: ${none.join(', ') || '-'}`);
  }
  const best = hs.indexOf(Math.max(...hs));
  console.log(`${label}: mean ${(accs.reduce((p, q) => p + q) / accs.length).toFixed(3)} over ${DRAWS} draws; the most balanced draw ${accs[best]!.toFixed(3)}; Spearman(entropy, acc) ${spearman(hs, accs).toFixed(2)}; classes split (draws): ${Object.entries(tally).map(([c, v]) => `${c} ${v}`).join(', ')}`);
}
const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  const tr = loadIdxDir('/usr/share/datasets/fashion-mnist', { limit: Number(process.env.N ?? 10000) }).train;
  const X = Float32Array.from(tr.images, (v) => v / 255);
  await anatomy(`pixels PCA-${m}`, pcaProject(pcaFit(X, tr.n, 784, m), X, tr.n, 784), tr.n, m, tr.labels!, Number(process.env.K ?? 10));
}
for (const dir of dirs) {
  const cfg = JSON.parse(readFileSync(dir + '/config.json', 'utf8'));
  const tr = loadDataset(datasetSpecOf(cfg)).train;
  const K = cfg.cluster.neighbors || Math.min(50, Math.max(10, Math.round(tr.n / 1000)));
  const codes = loadCheckpoint(dir + '/checkpoint.bin').arrays['engine/codes'] as Float32Array;
  await anatomy(dir.split('/').slice(-1)[0]!, codes, tr.n, cfg.model.zDim + cfg.model.cDim, tr.labels!, K);
}
