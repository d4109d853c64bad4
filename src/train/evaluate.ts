// Per-epoch evaluation on the test split: test nats by the stated test-time rule for D and |X_x|, the gradient
// norms ‖∂L/∂z‖ and ‖∂L/∂c‖ (the seed's plots), and test-set cluster assignment.
//
// Test-time rule: D is always m examples of the TRAINING split and |X_x| is that
// training class's size, so a test x pays the amortised cost of an existing class code, exactly as a training
// x does. vhe: D from x's true class. uvhe: x's cluster is found by encoding x with D = {x}, taking its code
// [μz‖μc] to the nearest training centroid (weighted distance), then D comes from that cluster.
import { tf } from '../backend.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { decode, encodeC, encodeZ, forward, priorZ, type BatchTensors, type Forward, type ModelShape, type Params } from '../model/vhe.js';
import { bcePerExample, klPerExample, vheLoss } from '../model/loss.js';
import type { Dataset } from '../data/dataset.js';
import { BatchBuilder, disposeBatch } from './batch.js';
import { buildClusterIndex, sampleSubsets } from '../cluster/sampler.js';
import { Rng } from '../util/rng.js';
import { clusterAccuracy, nmi } from '../eval/metrics.js';

export interface EvalInput {
  shape: ModelShape;
  params: Params;
  train: Dataset;
  test: Dataset;
  /** train labels the subsets come from: true labels (vhe) or pseudo-labels (uvhe); null for vae */
  trainLabels: Int32Array | null;
  k: number;
  /** uvhe: n×d stored training codes [z‖c] and the per-dimension distance weights (d; null = all 1), to
   *  assign test x to a cluster */
  codes?: Float32Array;
  dimWeights?: Float32Array | null;
  subsetSize: number;
  limit: number;
  seed: number;
  batchSize: number;
}

export interface EvalResult {
  /** nats/example on the test split */
  total: number; bce: number; klZ: number; klC: number; klCWeighted: number;
  /** mean over test examples of ‖∂L_i/∂z_i‖ and ‖∂L_i/∂c_i‖ at the sampled latents */
  gradZ: number; gradC: number;
  /** uvhe: the cluster each evaluated test x was assigned to */
  testClusters: Int32Array | null;
  n: number;
}

/** Mean code per cluster: k×d, from the stored codes and labels. */
export function clusterMeans(codes: Float32Array, labels: Int32Array, k: number, d: number): Float32Array {
  const sums = new Float64Array(k * d), cnt = new Int32Array(k);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]; cnt[l]++;
    for (let j = 0; j < d; j++) sums[l * d + j] += codes[i * d + j];
  }
  const out = new Float32Array(k * d);
  for (let l = 0; l < k; l++) for (let j = 0; j < d; j++) out[l * d + j] = cnt[l] ? sums[l * d + j] / cnt[l] : Infinity;
  return out;
}

/** Gradient norms of the per-example loss w.r.t. the sampled latents, holding the encoders' outputs fixed:
 *  L(z, c) = BCE(x, dec(z, c)) + KL(q(z|c,x) ‖ p(z|c)) (uvhe's decoder reads z alone, so c's gradient comes
 *  through the prior only). z [dz, B], c [dc, B]; returns [B] norms for z and c. */
function latentGradNorms(shape: ModelShape, p: Params, x: Tensor2D, f: Forward): tf.Tensor[] {
  const { qz, z, c } = f;
  if (!c) {
    const g = tf.grad((zz: tf.Tensor) => tf.sum(tf.add(bcePerExample(x, decode(p, zz as Tensor2D, undefined)), klPerExample(qz))));
    return [tf.norm(g(z), 'euclidean', 0)];
  }
  const g = tf.grads((zz: tf.Tensor, cc: tf.Tensor) => {
    const logits = decode(p, zz as Tensor2D, cc as Tensor2D);
    return tf.sum(tf.add(bcePerExample(x, logits), klPerExample(qz, priorZ(shape, p, cc as Tensor2D))));
  });
  const [gz, gc] = g([z, c]);
  return [tf.norm(gz, 'euclidean', 0), tf.norm(gc, 'euclidean', 0)];
}

const iota = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/** D of each x of an evaluation batch: subsets [B×m] of training rows and setSize [B] = |X_x|. */
export interface EvalSubsets { subsets: Int32Array; m: number; setSize: Int32Array }
/** An evaluation batch's loss terms (batch means: total, bce, klZ, klC, klCWeighted) and each example's
 *  ‖∂L_i/∂z_i‖ and ‖∂L_i/∂c_i‖ ([B]; gc null in vae mode). */
export interface EvalBatchResult { loss: ArrayLike<number>; gz: Float32Array; gc: Float32Array | null }

/** Where evaluation batches run: tfjs (below) or the CPU trainer (simd/eval-exec.ts). Calls per batch, in this
 *  order, drawing noise from rng as listed: begin (x's z noise), encodeSelf (uvhe), score (D's c noise). */
export interface EvalExec {
  /** test rows per batch */
  batchSize: number;
  begin(rows: Int32Array, rng: Rng): void;
  /** uvhe: [B, dz+dc] codes [μz‖μc] of the batch's x encoded with D = {x} (its own z and c noise) */
  encodeSelf(rng: Rng): Float32Array;
  score(d: EvalSubsets | null, rng: Rng): EvalBatchResult;
  dispose(): void;
}

/** Evaluation batches on tfjs: x from the test images, D from the training images. */
export function tfjsEvalExec(e: EvalInput): EvalExec {
  const { shape, params: p, train, test } = e;
  const P = train.rows * train.cols;
  const B = Math.min(e.batchSize, e.limit > 0 ? Math.min(e.limit, test.n) : test.n);
  const xb = new BatchBuilder(test.images, test.n, P, B, 1, shape.zDim, shape.cDim);
  const db = new BatchBuilder(train.images, train.n, P, B, e.subsetSize, shape.zDim, shape.cDim);
  let rows: Int32Array = new Int32Array(0);
  let batch: BatchTensors | null = null;
  return {
    batchSize: B,
    begin(r, rng) { rows = r; batch = xb.buildX(rows, rng); },
    encodeSelf(rng) {
      const b = xb.build(rows, rows, 1, new Int32Array(rows.length).fill(1), rng); // D = {x}: x's own pixels
      const codes = tf.tidy(() => {
        const qc = encodeC(shape, p, b);
        const qz = encodeZ(shape, p, b.xT, qc.mu);
        return tf.transpose(tf.concat([qz.mu, qc.mu], 0)).dataSync() as Float32Array; // [B, d] rows
      });
      disposeBatch(b);
      return codes;
    },
    score(d, rng) {
      const bt: BatchTensors = d ? { ...batch!, ...db.buildSubsets(rows.length, d.subsets, d.m, d.setSize, rng) } : batch!;
      const out = tf.tidy(() => {
        const f = forward(shape, p, bt);
        const t = vheLoss(bt.xT, f, bt.invSetSize);
        return [tf.stack([t.total, t.bce, t.klZ, t.klC, t.klCWeighted]), ...latentGradNorms(shape, p, bt.xT, f)];
      });
      const res = { loss: out[0].dataSync(), gz: out[1].dataSync() as Float32Array, gc: out.length > 2 ? out[2].dataSync() as Float32Array : null };
      tf.dispose(out);
      disposeBatch(bt);
      batch = null;
      return res;
    },
    dispose() { if (batch) disposeBatch(batch); },
  };
}

/** Test nats, gradient norms and (uvhe) test clusters, batch by batch on exec (tfjs by default). */
export function evaluate(e: EvalInput, exec: EvalExec = tfjsEvalExec(e)): EvalResult {
  const { shape, test } = e;
  const nTest = e.limit > 0 ? Math.min(e.limit, test.n) : test.n;
  const m = e.subsetSize;
  const rng = new Rng(e.seed);
  const crng = new Rng(e.seed);
  const hasC = shape.mode !== 'vae';
  const index = hasC && e.trainLabels ? buildClusterIndex(e.trainLabels, e.k) : null;
  const sizes = index ? Int32Array.from({ length: e.k }, (_, c) => index.offsets[c + 1] - index.offsets[c]) : null;
  const d = shape.zDim + shape.cDim;
  const means = e.codes && e.trainLabels ? clusterMeans(e.codes, e.trainLabels, e.k, d) : null;
  const w = e.dimWeights ?? new Float32Array(d).fill(1);
  const testClusters = shape.mode === 'uvhe' ? new Int32Array(nTest) : null;
  const B = exec.batchSize;
  const sums = new Float64Array(7);
  try {
    for (let s = 0; s < nTest; s += B) {
      const rows = Int32Array.from({ length: Math.min(B, nTest - s) }, (_, i) => s + i);
      const bsz = rows.length;
      exec.begin(rows, rng);
      let sub: EvalSubsets | null = null;
      if (hasC) {
        // the class of each test x: true (vhe) or by nearest training cluster mean (uvhe)
        const cls = new Int32Array(bsz);
        if (shape.mode === 'vhe') {
          for (let i = 0; i < bsz; i++) cls[i] = test.labels![rows[i]];
        } else {
          nearestMeans(exec.encodeSelf(rng), { means: means!, k: e.k, w, d }, cls);
          testClusters!.set(cls, s);
        }
        // D: m training members of that class (never x itself: x is not in the training split). sampleSubsets
        // reads labels[rows[b]], so hand it rows 0..bsz-1 over the class array.
        const ss = sampleSubsets(iota(bsz), cls, index!, e.k, m, true, false, crng);
        for (let i = 0; i < bsz; i++) ss.setSize[i] = sizes![cls[i]];
        sub = { subsets: ss.subsets, m, setSize: ss.setSize };
      }
      const r = exec.score(sub, rng);
      for (let j = 0; j < 5; j++) sums[j] += r.loss[j] * bsz;
      for (let i = 0; i < bsz; i++) { sums[5] += r.gz[i]; if (r.gc) sums[6] += r.gc[i]; }
    }
  } finally {
    exec.dispose();
  }
  return {
    total: sums[0] / nTest, bce: sums[1] / nTest, klZ: sums[2] / nTest, klC: sums[3] / nTest, klCWeighted: sums[4] / nTest,
    gradZ: sums[5] / nTest, gradC: hasC ? sums[6] / nTest : NaN, testClusters, n: nTest,
  };
}

/** uvhe test-time clusters into out: each [B, d] code row → the nearest of k cluster means (k×d; weighted L2). */
function nearestMeans(codes: Float32Array, o: { means: Float32Array; k: number; w: Float32Array; d: number }, out: Int32Array): void {
  const { means, k, w, d } = o;
  for (let i = 0; i < out.length; i++) {
    let best = 0, bestD = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const diff = codes[i * d + j] - means[c * d + j];
        s += w[j] * diff * diff;
      }
      if (s < bestD) { bestD = s; best = c; }
    }
    out[i] = best;
  }
}

/** An epoch's evaluation as metrics: test nats, gradient norms and (uvhe) the test split's cluster scores against
 *  its true labels. */
export function evaluationRecord(ev: EvalResult, testLabels: Int32Array | null, k: number): { rec: Record<string, number | null> } {
  const noC = Number.isNaN(ev.gradC);
  const rec: Record<string, number | null> = {
    'test/total': ev.total, 'test/bce': ev.bce, 'test/klZ': ev.klZ, 'test/klC': ev.klC, 'test/klCWeighted': ev.klCWeighted,
    'grad/z': ev.gradZ, 'grad/c': noC ? null : ev.gradC, 'grad/ratio': noC ? null : ev.gradZ / ev.gradC,
  };
  if (ev.testClusters && testLabels) {
    const tl = testLabels.subarray(0, ev.n);
    rec['cluster/testNmi'] = nmi(tl, ev.testClusters);
    rec['cluster/testAcc'] = clusterAccuracy(tl, ev.testClusters, k).accuracy;
  }
  return { rec };
}
