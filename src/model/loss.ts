// The VHE objective in nats per example (the seed's calc_loss, averaged over the batch instead of summed):
//   BCE(x, x̂) summed over pixels + KL(q(z|c,x) ‖ p(z|c)) + KL(q(c|D) ‖ N(0,I)) / |X_x| (uvhe: q(z|x)).
import { tf } from '../backend.js';
import type { Tensor1D, Tensor2D, Scalar } from '@tensorflow/tfjs-core';
import type { Forward, Gauss } from './vhe.js';

/** Per-example Bernoulli negative log-likelihood, nats [B]: Σ_p softplus(l) − x·l, which equals
 *  −[x·log σ(l) + (1−x)·log(1−σ(l))] without ever forming log(0). x [P, B] in [0, 1], logits [P, B]. */
export function bcePerExample(x: Tensor2D, logits: Tensor2D): Tensor1D {
  return tf.sum(tf.sub(tf.softplus(logits), tf.mul(x, logits)), 0) as Tensor1D;
}

/** KL(q ‖ p) of diagonal Gaussians by log-std, per dimension and example, nats [d, B]:
 *  s_p − s_q − ½ + (e^{2 s_q} + (μ_q − μ_p)²) / (2 e^{2 s_p}).  p undefined means N(0, I).
 *  (Written with sub+square, not squaredDifference, whose broadcast gradient is wrong on cpu and wasm.) */
export function klElements(q: Gauss, p?: Gauss): Tensor2D {
  const varQ = tf.exp(tf.mul(q.s, 2));
  if (!p) {
    // s_p = 0, μ_p = 0
    return tf.sub(tf.mul(tf.add(varQ, tf.square(q.mu)), 0.5), tf.add(q.s, 0.5)) as Tensor2D;
  }
  const d2 = tf.square(tf.sub(q.mu, p.mu));
  return tf.add(
    tf.sub(tf.sub(p.s, q.s), 0.5),
    tf.div(tf.add(varQ, d2), tf.mul(tf.exp(tf.mul(p.s, 2)), 2)),
  ) as Tensor2D;
}

/** Per-example KL(q ‖ p), nats [B]: klElements summed over dimensions. */
export function klPerExample(q: Gauss, p?: Gauss): Tensor1D {
  return tf.sum(klElements(q, p), 0) as Tensor1D;
}

export interface LossTerms {
  /** the objective, mean over the batch, nats/example */
  total: Scalar;
  bce: Scalar;
  klZ: Scalar;
  /** unweighted KL_c: what one q(c|D) costs */
  klC: Scalar;
  /** KL_c / |X_x|: what enters the objective */
  klCWeighted: Scalar;
  /** [B] per-example objective (for gradient norms and checks) */
  perExample: Tensor1D;
  /** [dz] and [dc] batch-mean KL per dimension, nats per example: the "rate" each code dimension uses (mi
   *  weighting); for c the amortised KL_c/|X_x| */
  rateZ: Tensor1D;
  rateC: Tensor1D | null;
  /** [dc] batch-mean KL_c per dimension of one q(c|D), nats, not amortised: whether c's posterior leaves its
   *  prior at all (code/activeC), which the amortised rate, ~1/|X_x| of it, hides */
  klCDims: Tensor1D | null;
}

/** x [P, B]; invSetSize [1, B] = 1/|X_x| (ignored in vae mode). */
export function vheLoss(x: Tensor2D, f: Forward, invSetSize?: Tensor2D): LossTerms {
  const bce = bcePerExample(x, f.logits);
  const klZe = klElements(f.qz, f.pz);
  const klZ = tf.sum(klZe, 0) as Tensor1D;
  let perExample = tf.add(bce, klZ) as Tensor1D;
  let klC: Tensor1D, klCW: Tensor1D, rateC: Tensor1D | null = null, klCDims: Tensor1D | null = null;
  if (f.qc) {
    const klCe = klElements(f.qc);
    // c's rate per example is amortised: one class code is paid once per class, i.e. KL_c/|X_x| per x
    rateC = tf.mean(tf.mul(klCe, invSetSize!), 1) as Tensor1D;
    klCDims = tf.mean(klCe, 1) as Tensor1D;
    klC = tf.sum(klCe, 0) as Tensor1D;
    klCW = tf.mul(klC, tf.reshape(invSetSize!, [-1])) as Tensor1D;
    perExample = tf.add(perExample, klCW) as Tensor1D;
  } else {
    klC = tf.zerosLike(bce); klCW = klC;
  }
  return {
    total: tf.mean(perExample) as Scalar,
    bce: tf.mean(bce) as Scalar,
    klZ: tf.mean(klZ) as Scalar,
    klC: tf.mean(klC) as Scalar,
    klCWeighted: tf.mean(klCW) as Scalar,
    perExample,
    rateZ: tf.mean(klZe, 1) as Tensor1D,
    rateC,
    klCDims,
  };
}
