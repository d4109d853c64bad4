// The clustering at scale (docs/scaling.md), two parts, each printing its baseline in the same run:
//   BENCH_ONLY=knn    the neighbour graph at K = 50 (the default K from 50,000 codes on) on the SIMD pool: the IVF
//                     graph (src/cluster/ann.ts) against the exact one on the same codes: recall@K and the ratio of
//                     their times. Codes: PCA-40 of the 60,000 Fashion-MNIST training images where
//                     /usr/share/datasets/fashion-mnist holds them (else 10 Gaussian blobs); BENCH_KNN_N adds sizes
//                     of blob codes (comma-separated), where the exact graph is timed only up to BENCH_KNN_EXACT_MAX
//                     rows (default 60,000) and predicted above it from the n² model, and recall is measured on
//                     BENCH_KNN_QUERIES (default 300) rows by brute force; BENCH_KNN_PROBES=4,8,… sweeps the cells
//                     probed on the real codes. BENCH_KNN_STORE=runs/<name> takes a uvhe run's trained code store
//                     (its checkpoint's [z‖c], d = 40) as the real codes instead of the PCA codes.
//   BENCH_ONLY=scale  a whole training relabel (cluster.embed spectral, in the background) and the final rule
//                     (eval.embed umap) of BENCH_SCALE_N (default 1,000,000) blob codes of d = 40, k = 10, with the
//                     peak RSS; and on the same 60,000 codes as above, the rule on its default subsample and on a
//                     smaller one (BENCH_SUBSAMPLE, default 20,000; 0 skips this part) against the rule on all
//                     codes (accuracy).
// Writes bench/results/knn.json (knn-store.json with BENCH_KNN_STORE), bench/results/scale-<n>.json (first part) and
// bench/results/scale.json (second).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RULE_SAMPLE, sampleRows, type AnnOptions } from '../src/cluster/ann.js';
import { PoolEngine } from '../src/cluster/pool.js';
import { pcaFit, pcaProject } from '../src/cluster/pca.js';
import { resolveConfig } from '../src/config.js';
import { readIdxImages, readIdxLabels } from '../src/data/idx.js';
import { gaussianBlobs } from '../src/data/synthetic-codes.js';
import { clusterAccuracy, nmi } from '../src/eval/metrics.js';
import { graphRule } from '../src/eval/rules.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const K = 50, d = 40, k = 10, WORKERS = 2;
type Log = (s: string) => void;

/** 60,000 codes with their classes, and what they are. */
/** The knn bench's real codes: a run's trained store (BENCH_KNN_STORE), else realCodes. */
function knnCodes(log: Log): { codes: Float32Array; n: number; what: string } {
  const store = process.env.BENCH_KNN_STORE;
  if (!store) return realCodes(log);
  const codes = loadCheckpoint(join(store, 'checkpoint.bin')).arrays['engine/codes'] as Float32Array | undefined;
  if (!codes || codes.length % d !== 0) throw new Error(`BENCH_KNN_STORE: ${store}/checkpoint.bin holds no code store of d = ${d}`);
  log(`knn: codes = the trained code store of ${store} (${codes.length / d} codes)`);
  return { codes, n: codes.length / d, what: `trained uvhe code store (${store})` };
}

function realCodes(log: Log): { codes: Float32Array; labels: Int32Array; n: number; what: string } {
  if (!existsSync(`${FASHION}/train-images-idx3-ubyte.gz`)) {
    const b = gaussianBlobs({ n: 60_000, d, k, seed: 1 });
    return { ...b, n: 60_000, what: 'Gaussian blobs (Fashion-MNIST not found)' };
  }
  const img = readIdxImages(`${FASHION}/train-images-idx3-ubyte.gz`), labels = readIdxLabels(`${FASHION}/train-labels-idx1-ubyte.gz`);
  const n = img.n, D = img.rows * img.cols;
  const X = Float32Array.from(img.pixels, (v) => v / 255);
  const p = pcaFit(X, n, D, d);
  log(`knn: codes = PCA-${d} of the ${n} Fashion-MNIST training images (${(100 * p.explained).toFixed(1)} % of the variance)`);
  return { codes: pcaProject(p, X, n, D), labels, n, what: `PCA-${d} of Fashion-MNIST train pixels` };
}

function pool(codes: Float32Array | ((s: Float32Array) => void), n: number, ann: AnnOptions, knnK = K): Promise<PoolEngine> {
  return PoolEngine.create({ n, dz: d, dc: 0, k, seed: 1, weights: { z: 1, c: 1 }, iters: 5, batchSize: 64, refit: 'background', workers: WORKERS, knnK },
    { codes, skipInitialFit: true, ann });
}

function recall(exact: Int32Array, approx: Int32Array, n: number): number {
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const s = new Set(exact.subarray(i * K, i * K + K));
    for (let q = 0; q < K; q++) if (s.has(approx[i * K + q]!)) hit++;
  }
  return hit / (n * K);
}

function save(name: string, data: unknown): void {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + name, JSON.stringify(data, null, 2) + '\n');
}

/** Recall@K of approximate lists against exact ones of `queries` seeded rows, found by brute force in f64 here:
 *  the exact graph of all n rows would take hours at a million rows. */
function sampledRecall(codes: Float32Array, n: number, approx: Int32Array, queries: number): number {
  const rows = sampleRows(n, Math.min(queries, n), 77);
  let hit = 0;
  const best = new Float64Array(K), ids = new Int32Array(K);
  for (const i of rows) {
    best.fill(Infinity); ids.fill(-1);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let t = 0; t < d; t++) { const v = codes[i * d + t]! - codes[j * d + t]!; s += v * v; }
      if (s >= best[K - 1]!) continue;
      let p = K - 1;
      while (p > 0 && best[p - 1]! > s) { best[p] = best[p - 1]!; ids[p] = ids[p - 1]!; p--; }
      best[p] = s; ids[p] = j;
    }
    const mine = new Set(approx.subarray(i * K, i * K + K));
    for (const j of ids) if (mine.has(j)) hit++;
  }
  return hit / (rows.length * K);
}

interface GraphRow { n: number; approxMs: number; exactMs: number | null; recall: number | null; sampledRecall: number | null; cells: number; probe: number }

/** Time of the approximate and (up to exactMax rows) exact graph of n codes; recall against the exact graph where
 *  both ran, else on a sample of rows. */
async function graphPair(codes: Float32Array | ((s: Float32Array) => void), n: number, exactMax: number, log: Log, label: string, probe?: number): Promise<GraphRow> {
  const a = await pool(codes, n, { fullGraph: true, minRows: 0, probe });
  let t = performance.now();
  const approx = await a.knn(K);
  const approxMs = performance.now() - t, info = a.lastGraph;
  const stored = n > exactMax ? await a.readCodes() : null;
  await a.close();
  let exactMs: number | null = null, rec: number | null = null, sampled: number | null = null;
  if (n <= exactMax) {
    const e = await pool(codes, n, { fullGraph: true, minRows: Infinity });
    t = performance.now();
    const exact = await e.knn(K);
    exactMs = performance.now() - t;
    await e.close();
    rec = recall(exact.idx, approx.idx, n);
  } else sampled = sampledRecall(stored!, n, approx.idx, Number(process.env.BENCH_KNN_QUERIES ?? 300));
  log(`knn ${label} n=${n} d=${d} K=${K}, ${WORKERS} workers: IVF (${info.cells} cells, ${info.probe} probed) ${(approxMs / 1000).toFixed(1)} s` +
    (exactMs === null ? `, recall@${K} on ${Math.min(n, Number(process.env.BENCH_KNN_QUERIES ?? 300))} rows ${sampled!.toFixed(4)}`
      : `, exact ${(exactMs / 1000).toFixed(1)} s (${(exactMs / approxMs).toFixed(1)}× the IVF), recall@${K} ${rec!.toFixed(4)}`));
  return { n, approxMs, exactMs, recall: rec, sampledRecall: sampled, cells: info.cells, probe: info.probe };
}

/** Recall and time of the IVF graph on the real codes at each probe count of BENCH_KNN_PROBES (against one exact
 *  graph). */
async function probeSweep(codes: Float32Array, n: number, probes: number[], log: Log): Promise<unknown[]> {
  if (probes.length === 0) return [];
  const e = await pool(codes, n, { fullGraph: true, minRows: Infinity });
  const exact = await e.knn(K);
  await e.close();
  const out: unknown[] = [];
  for (const probe of probes) {
    const a = await pool(codes, n, { fullGraph: true, minRows: 0, probe });
    const t = performance.now();
    const r = await a.knn(K);
    const ms = performance.now() - t;
    await a.close();
    const rec = recall(exact.idx, r.idx, n);
    log(`knn real n=${n}: ${probe} of ${a.lastGraph.cells} cells probed: ${(ms / 1000).toFixed(1)} s, recall@${K} ${rec.toFixed(4)}`);
    out.push({ probe, ms, recall: rec });
  }
  return out;
}

export async function runKnnBench(log: Log = console.log): Promise<void> {
  const real = knnCodes(log);
  const rows: Array<GraphRow & { codes: string }> = [{ codes: real.what, ...(await graphPair(real.codes, real.n, Infinity, log, 'real')) }];
  const sweep = await probeSweep(real.codes, real.n, (process.env.BENCH_KNN_PROBES ?? '').split(',').filter((s) => s !== '').map(Number), log);
  const exactMax = Number(process.env.BENCH_KNN_EXACT_MAX ?? 60_000);
  const sizes = (process.env.BENCH_KNN_N ?? '').split(',').filter((s) => s !== '').map(Number);
  for (const n of sizes) {
    const fill = (s: Float32Array): void => { gaussianBlobs({ n, d, k, seed: 1, into: s }); };
    rows.push({ codes: 'Gaussian blobs', ...(await graphPair(fill, n, exactMax, log, 'blobs')) });
  }
  // the exact search is O(n²·d): predicted from the largest size it was timed at
  const timed = rows.filter((r) => r.exactMs !== null).at(-1)!;
  const predicted = rows.filter((r) => r.exactMs === null).map((r) => ({ n: r.n, exactMs: timed.exactMs! * (r.n / timed.n) ** 2 }));
  for (const p of predicted) log(`knn n=${p.n}: exact predicted ${(p.exactMs / 1000).toFixed(0)} s (n² from n=${timed.n})`);
  save(process.env.BENCH_KNN_STORE ? 'knn-store.json' : 'knn.json', { K, d, workers: WORKERS, rows, probes: sweep, exactPredicted: predicted });
}

export async function runScaleBench(log: Log = console.log): Promise<void> {
  const cfg = resolveConfig({ mode: 'uvhe' });
  const out: Record<string, unknown> = {};
  // 1. the whole rule at BENCH_SCALE_N codes
  const n = Number(process.env.BENCH_SCALE_N ?? 1_000_000);
  let truth: Int32Array = new Int32Array(0);
  let t = performance.now();
  const e = await pool((s) => { truth = gaussianBlobs({ n, d, k, seed: 2, sep: 5, into: s }).labels; }, n, {});
  const loadMs = performance.now() - t;
  const train = graphRule(cfg, { embed: 'spectral', k, n, seedName: 'spectral-1', fits: 3 });
  t = performance.now();
  const rel = await e.graphRelabel({ ...train, background: true });
  const relabelMs = performance.now() - t;
  const finalRule = graphRule(cfg, { embed: 'umap', k, n, seedName: 'final-spectral', fits: 5 });
  t = performance.now();
  const fin = await e.graphRelabel(finalRule);
  const finalMs = performance.now() - t;
  await e.close();
  const rss = process.resourceUsage().maxRSS * 1024;
  out.scale = {
    n, d, k, K: train.K, ruleSample: RULE_SAMPLE, generateMs: loadMs, relabelMs, finalMs, peakRssBytes: rss,
    relabelAccuracy: clusterAccuracy(truth, rel.labels, k).accuracy, finalAccuracy: clusterAccuracy(truth, fin.labels, k).accuracy,
  };
  save(`scale-${n}.json`, out); // written now too, so a long second part cannot lose it
  log(`scale n=${n} d=${d} k=${k}: blobs + pool ${(loadMs / 1000).toFixed(1)} s; training relabel (spectral, background) ${(relabelMs / 1000).toFixed(1)} s, ` +
    `accuracy ${clusterAccuracy(truth, rel.labels, k).accuracy.toFixed(3)}; final rule (umap) ${(finalMs / 1000).toFixed(1)} s, accuracy ` +
    `${clusterAccuracy(truth, fin.labels, k).accuracy.toFixed(3)}; peak RSS ${(rss / 2 ** 30).toFixed(2)} GiB`);
  // 2. subsampled against full on 60,000 real codes (BENCH_SUBSAMPLE=0: skip)
  const small = Number(process.env.BENCH_SUBSAMPLE ?? 20_000);
  if (small === 0) return;
  const real = realCodes(log);
  const acc: Record<string, unknown> = { codes: real.what };
  for (const embed of ['spectral', 'umap'] as const) {
    const rule = graphRule(cfg, { embed, k, n: real.n, seedName: 'final-spectral', fits: 5 });
    for (const [name, sample] of [['all', Infinity], [`default ${RULE_SAMPLE}`, RULE_SAMPLE], [`${small}`, small]] as const) {
      const p = await pool(real.codes, real.n, { sample });
      t = performance.now();
      const r = await p.graphRelabel(rule);
      const ms = performance.now() - t;
      await p.close();
      const a = clusterAccuracy(real.labels, r.labels, k).accuracy, m = nmi(real.labels, r.labels);
      acc[`${embed} ${name}`] = { ms, accuracy: a, nmi: m };
      save('scale.json', { ...out, subsample: acc });
      log(`rule on a subsample, n=${real.n}: ${embed} on ${name} codes ${(ms / 1000).toFixed(1)} s, accuracy ${a.toFixed(4)}, NMI ${m.toFixed(4)}`);
    }
  }
}
