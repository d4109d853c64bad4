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
 *  L(z, c) = BCE(x, dec(z, c)) + KL(q(z|c,x) ‖ p(z|c)). z [dz, B], c [dc, B]; returns [B] norms for z and c. */
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

export function evaluate(e: EvalInput): EvalResult {
  const { shape, params: p, train, test } = e;
  const P = train.rows * train.cols;
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
  // Builders over the test images (x) and over the training images (D members)
  const B = Math.min(e.batchSize, nTest);
  const xb = new BatchBuilder(test.images, test.n, P, B, 1, shape.zDim, shape.cDim);
  const db = new BatchBuilder(train.images, train.n, P, B, m, shape.zDim, shape.cDim);
  const sums = new Float64Array(7);

  for (let s = 0; s < nTest; s += B) {
    const rows = Int32Array.from({ length: Math.min(B, nTest - s) }, (_, i) => s + i);
    const bsz = rows.length;
    let batch: BatchTensors = xb.buildX(rows, rng);
    if (hasC) {
      // the class of each test x: true (vhe) or by nearest training cluster mean (uvhe)
      const cls = new Int32Array(bsz);
      if (shape.mode === 'vhe') {
        for (let i = 0; i < bsz; i++) cls[i] = test.labels![rows[i]];
      } else {
        assignTestClusters({ shape, params: p, xb, rows, rng, means: means!, k: e.k, w }, cls);
        testClusters!.set(cls, s);
      }
      // D: m training members of that class (never x itself: x is not in the training split). sampleSubsets
      // reads labels[rows[b]], so hand it rows 0..bsz-1 over the class array.
      const sub = sampleSubsets(iota(bsz), cls, index!, e.k, m, true, false, crng);
      for (let i = 0; i < bsz; i++) sub.setSize[i] = sizes![cls[i]];
      batch = { ...batch, ...db.buildSubsets(bsz, sub.subsets, m, sub.setSize, rng) };
    }
    const out = tf.tidy(() => {
      const f = forward(shape, p, batch);
      const t = vheLoss(batch.xT, f, batch.invSetSize);
      return [tf.stack([t.total, t.bce, t.klZ, t.klC, t.klCWeighted]), ...latentGradNorms(shape, p, batch.xT, f)];
    });
    const v = out[0].dataSync();
    for (let j = 0; j < 5; j++) sums[j] += v[j] * bsz;
    const gz = out[1].dataSync(), gc = out.length > 2 ? out[2].dataSync() : null;
    for (let i = 0; i < bsz; i++) { sums[5] += gz[i]; if (gc) sums[6] += gc[i]; }
    tf.dispose(out);
    disposeBatch(batch);
  }
  return {
    total: sums[0] / nTest, bce: sums[1] / nTest, klZ: sums[2] / nTest, klC: sums[3] / nTest, klCWeighted: sums[4] / nTest,
    gradZ: sums[5] / nTest, gradC: hasC ? sums[6] / nTest : NaN, testClusters, n: nTest,
  };
}

/** Test rows to assign: the model, a builder over the test images, the rows and the noise stream; k×d training
 *  cluster means and the d per-dimension distance weights. */
interface TestAssignment {
  shape: ModelShape; params: Params; xb: BatchBuilder; rows: Int32Array; rng: Rng;
  means: Float32Array; k: number; w: Float32Array;
}

/** uvhe test-time cluster into out: encode x with D = {x}, code [μz‖μc] → nearest cluster mean (weighted L2). */
function assignTestClusters(o: TestAssignment, out: Int32Array): void {
  const { shape, params: p, xb, rows, rng, means, k, w } = o;
  const d = shape.zDim + shape.cDim;
  const b = xb.build(rows, rows, 1, new Int32Array(rows.length).fill(1), rng); // D = {x}: x's own pixels
  const codes = tf.tidy(() => {
    const qc = encodeC(shape, p, b);
    const qz = encodeZ(shape, p, b.xT, qc.mu);
    return tf.transpose(tf.concat([qz.mu, qc.mu], 0)).dataSync() as Float32Array; // [B, d] rows
  });
  disposeBatch(b);
  for (let i = 0; i < rows.length; i++) {
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
 *  its true labels; lastGrad feeds cluster.weighting "gradient". */
export function evaluationRecord(ev: EvalResult, testLabels: Int32Array | null, k: number): { rec: Record<string, number | null>; lastGrad: { z: number; c: number } | null } {
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
  return { rec, lastGrad: noC ? null : { z: ev.gradZ, c: ev.gradC } };
}
