// How much class information a finished run's codes hold, apart from any clustering rule: the accuracy of
// predicting the true training labels from the codes the final rule clusters (the means of q(z|x), encoded again
// from the checkpoint; uvhe: with the stored c, the part eval.space names under the run's last clustering weights) by
//   - kNN: the majority label of each code's 10 nearest other codes (Euclidean, leave-one-out), which is what a
//     neighbour-graph rule such as umap or spectral builds on;
//   - linear: ridge regression onto one-hot labels (features standardised, λ = 10⁻³·n) fitted on the even-indexed
//     codes and scored on the odd-indexed ones.
//   npx tsx bench/code-probe.ts runs/quality/mnist-uvhe-s1 runs/quality/mnist-vae-s1 …
// Exact kNN costs O(n²·d): meant for the suite's 10,000-code sets, not for 60,000.
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { dropRetiredKeys, resolveConfig } from '../src/config.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { loadCheckpoint } from '../src/train/checkpoint.js';
import { zMeansFromCheckpoint } from '../src/train/resume.js';
import { withFinalZ } from '../src/eval/final.js';
import { initBackend } from '../src/backend.js';

/** Leave-one-out accuracy of the majority label among each row's K nearest other rows (ties: the smaller label). */
export function knnAccuracy(x: Float32Array, n: number, d: number, labels: Int32Array, k: number, K = 10): number {
  const dist = new Float64Array(n), best = new Float64Array(K), idx = new Int32Array(K), votes = new Int32Array(k);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let a = 0; a < d; a++) { const t = x[i * d + a]! - x[j * d + a]!; s += t * t; }
      dist[j] = s;
    }
    dist[i] = Infinity;
    best.fill(Infinity);
    for (let j = 0; j < n; j++) { // insertion into the sorted K best
      const v = dist[j]!;
      if (v >= best[K - 1]!) continue;
      let p = K - 1;
      while (p > 0 && best[p - 1]! > v) { best[p] = best[p - 1]!; idx[p] = idx[p - 1]!; p--; }
      best[p] = v; idx[p] = j;
    }
    votes.fill(0);
    for (let q = 0; q < Math.min(K, n - 1); q++) votes[labels[idx[q]!]!]!++;
    let top = 0;
    for (let c = 1; c < k; c++) if (votes[c]! > votes[top]!) top = c;
    if (top === labels[i]) hits++;
  }
  return hits / n;
}

/** Ridge probe: fit W [d+1, k] on the even rows (standardised features and a bias), score argmax on the odd rows. */
export function linearAccuracy(x: Float32Array, n: number, d: number, labels: Int32Array, k: number): number {
  const D = d + 1, f = standardise(x, n, d);
  const row = (i: number, a: number): number => (a === d ? 1 : f[i * d + a]!);
  const A = new Float64Array(D * D), W = new Float64Array(D * k);
  for (let i = 0; i < n; i += 2) {
    for (let a = 0; a < D; a++) {
      const ra = row(i, a);
      W[a * k + labels[i]!]! += ra;
      for (let b = 0; b < D; b++) A[a * D + b]! += ra * row(i, b);
    }
  }
  for (let a = 0; a < d; a++) A[a * D + a]! += 1e-3 * n;
  solveInPlace(A, W, D, k);
  let hits = 0, total = 0;
  for (let i = 1; i < n; i += 2, total++) {
    let top = 0, topScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let a = 0; a < D; a++) s += row(i, a) * W[a * k + c]!;
      if (s > topScore) { topScore = s; top = c; }
    }
    if (top === labels[i]) hits++;
  }
  return hits / total;
}

/** Columns scaled to mean 0 and sd 1 (a constant column stays 0). */
function standardise(x: Float32Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let a = 0; a < d; a++) {
    let m = 0, v = 0;
    for (let i = 0; i < n; i++) m += x[i * d + a]!;
    m /= n;
    for (let i = 0; i < n; i++) v += (x[i * d + a]! - m) ** 2;
    const s = Math.sqrt(v / n) || 1;
    for (let i = 0; i < n; i++) out[i * d + a] = (x[i * d + a]! - m) / s;
  }
  return out;
}

/** A [D, D] X = B [D, k] by Gauss–Jordan elimination with partial pivoting; B becomes X. */
function solveInPlace(A: Float64Array, B: Float64Array, D: number, k: number): void {
  for (let p = 0; p < D; p++) {
    let piv = p;
    for (let r = p + 1; r < D; r++) if (Math.abs(A[r * D + p]!) > Math.abs(A[piv * D + p]!)) piv = r;
    for (let c = 0; c < D; c++) [A[p * D + c], A[piv * D + c]] = [A[piv * D + c]!, A[p * D + c]!];
    for (let c = 0; c < k; c++) [B[p * k + c], B[piv * k + c]] = [B[piv * k + c]!, B[p * k + c]!];
    const pv = A[p * D + p]!;
    for (let r = 0; r < D; r++) {
      const g = r === p ? 0 : A[r * D + p]! / pv;
      if (g === 0) continue;
      for (let c = 0; c < D; c++) A[r * D + c]! -= g * A[p * D + c]!;
      for (let c = 0; c < k; c++) B[r * k + c]! -= g * B[p * k + c]!;
    }
  }
  for (let p = 0; p < D; p++) for (let c = 0; c < k; c++) B[p * k + c]! /= A[p * D + p]!;
}

/** The codes the run's final rule clusters, n×d, and the training labels. */
async function finalCodes(runDir: string): Promise<{ codes: Float32Array; n: number; d: number; labels: Int32Array; k: number; what: string }> {
  const raw = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const cfg = resolveConfig(dropRetiredKeys(raw, join(runDir, 'config.json')), []);
  const ck = loadCheckpoint(join(runDir, 'checkpoint.bin'));
  const { train } = loadDataset(datasetSpecOf(cfg));
  if (!train.labels) throw new Error(`${runDir}: the training data has no labels`);
  const base = { n: train.n, labels: train.labels, k: train.numClasses };
  await initBackend(cfg.runtime.backend);
  const zMeans = await zMeansFromCheckpoint(cfg, ck, train);
  if (cfg.mode === 'vae') return { ...base, codes: zMeans, d: cfg.model.zDim, what: 'means of q(z|x)' };
  const store = withFinalZ(ck.arrays['engine/codes'] as Float32Array, zMeans, train.n, cfg.model.zDim);
  const dz = cfg.model.zDim, dc = cfg.model.cDim, from = cfg.eval.space === 'c' ? dz : 0, to = cfg.eval.space === 'z' ? dz : dz + dc;
  const d = to - from, codes = new Float32Array(train.n * d);
  // under the final rule's weights (z in its prior's units): row·√w, so that Euclidean distances are the rule's
  const w = ck.arrays['cluster/dimWeights'] as Float32Array | undefined;
  for (let i = 0; i < train.n; i++) {
    for (let j = 0; j < d; j++) codes[i * d + j] = store[i * (dz + dc) + from + j]! * Math.sqrt(w ? w[from + j]! : 1);
  }
  return { ...base, codes, d, what: `final codes, ${cfg.eval.space}${w ? ', weighted' : ''}` };
}

async function main(): Promise<void> {
  console.log('run | codes | n × d | kNN-10 accuracy | linear accuracy');
  for (const dir of process.argv.slice(2)) {
    const c = await finalCodes(dir);
    const knn = knnAccuracy(c.codes, c.n, c.d, c.labels, c.k), lin = linearAccuracy(c.codes, c.n, c.d, c.labels, c.k);
    console.log(`${dir} | ${c.what} | ${c.n} × ${c.d} | ${knn.toFixed(3)} | ${lin.toFixed(3)}`);
  }
}

if (process.argv[1] && /code-probe\.ts$/.test(process.argv[1])) {
  main().catch((e: unknown) => { process.stderr.write(`code-probe: ${(e as Error).message}\n`); process.exit(1); });
}
