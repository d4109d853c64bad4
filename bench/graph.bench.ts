// The whole graph relabel at the embedded MNIST training size (n = 8,000, 40-column codes, k = 10), from the same
// neighbour graph: spectral (16 eigenvectors, the consensus of 24 KMeans fits: the training default) against umap
// (k-dim layout, 10 Gaussian mixtures per layout) with 1 and with 3 layouts (cluster.layouts, the default), in the
// same run, with the ratio to spectral. Codes: 10 Gaussian blobs in shuffled row order. Labels are scored against
// the blobs so a fast but wrong path would show. Writes bench/results/graph.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { graphLabels } from '../src/cluster/graph.js';
import { knn } from '../src/cluster/neighbours.js';
import type { GraphRule } from '../src/cluster/types.js';
import { clusterAccuracy } from '../src/eval/metrics.js';
import { Rng } from '../src/util/rng.js';
import { timeOnce } from './spectral.bench.js';

export async function runGraphBench(opts: { n?: number; log?: (s: string) => void } = {}): Promise<void> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const n = opts.n ?? Number(process.env.BENCH_GRAPH_N ?? 8000), d = 40, k = 10, K = 10;
  const g = new Rng(2);
  const centres = Float32Array.from({ length: k * d }, () => 2 * (g.nextFloat() - 0.5));
  const codes = new Float32Array(n * d), truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(g.nextFloat() * k);
    truth[i] = c;
    for (let t = 0; t < d; t++) codes[i * d + t] = centres[c * d + t]! + 0.5 * g.normal();
  }
  const nb = knn(codes, n, d, K, null);
  const rules: Array<[string, GraphRule]> = [
    ['spectral, consensus of 24', { embed: 'spectral', K, dims: 16, iters: 100, epochs: 0, fits: 3, consensus: 24, seed: 1 }],
    ['umap, 1 layout', { embed: 'umap', K, dims: k, iters: 100, epochs: 200, fits: 10, consensus: 1, seed: 1 }],
    ['umap, 3 layouts', { embed: 'umap', K, dims: k, iters: 100, epochs: 200, fits: 10, consensus: 3, seed: 1 }],
  ];
  const out: Record<string, { ms: number; accuracy: number }> = {};
  for (const [name, rule] of rules) {
    let labels: Int32Array = new Int32Array(0);
    const ms = await timeOnce(name, () => { labels = graphLabels(codes, n, d, k, rule, null, nb); });
    out[name] = { ms, accuracy: clusterAccuracy(truth, labels, k).accuracy };
  }
  const base = out['spectral, consensus of 24']!.ms;
  for (const [name, r] of Object.entries(out)) {
    log(`graph relabel n=${n} k=${k}: ${name.padEnd(26)} ${(r.ms / 1000).toFixed(1)} s  (${(r.ms / base).toFixed(2)}× spectral)  accuracy ${r.accuracy.toFixed(3)}`);
  }
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + 'graph.json', JSON.stringify({ n, d, k, K, rules: out }, null, 2) + '\n');
}
