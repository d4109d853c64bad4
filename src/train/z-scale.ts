// The units of z under a learned prior. KL(q(z|x) ‖ p(z|c)) is unchanged when one dimension of z is rescaled
// together with the prior's mean and std along it and the decoder's weights that read it, so a uvhe's training
// leaves each z dimension's scale arbitrary, and a Euclidean distance on z would weigh the dimensions arbitrarily.
// A VAE's N(0, I) prior fixes that scale to 1. The relabels and the final rule measure z the same way: in units of
// the aggregate prior's std, √(Var μ_p(c) + mean σ_p(c)²) over the stored class codes, which is 1 for N(0, I).
import { tf } from '../backend.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { priorZ, type ModelShape, type Params } from '../model/vhe.js';

/** Class codes the estimate reads: every ⌈n/ROWS⌉-th row of the store, so the cost is fixed whatever n. */
const ROWS = 4096;

export interface PriorScaleInput {
  shape: ModelShape;
  params: Params;
  /** the code store, n rows of [z ‖ c] (dz + dc f32 each) */
  codes: Float32Array;
  n: number;
}

/** The aggregate prior's std per z dimension [dz], over the c of every ⌈n/4096⌉-th stored code. */
export function priorScale(o: PriorScaleInput): Float32Array {
  const { shape, params, codes, n } = o;
  const dz = shape.zDim, dc = shape.cDim, d = dz + dc;
  const step = Math.max(1, Math.ceil(n / ROWS)), S = Math.ceil(n / step);
  const cT = new Float32Array(dc * S); // [dc, S], feature-major as the networks read it
  for (let s = 0; s < S; s++) for (let j = 0; j < dc; j++) cT[j * S + s] = codes[s * step * d + dz + j]!;
  const [mu, logStd] = tf.tidy(() => {
    const g = priorZ(shape, params, tf.tensor2d(cT, [dc, S]) as Tensor2D);
    return [g.mu.dataSync() as Float32Array, g.s.dataSync() as Float32Array];
  });
  const out = new Float32Array(dz);
  for (let j = 0; j < dz; j++) {
    let m = 0, m2 = 0, v = 0;
    for (let s = 0; s < S; s++) { const u = mu[j * S + s]!; m += u; m2 += u * u; v += Math.exp(2 * logStd[j * S + s]!); }
    m /= S;
    out[j] = Math.sqrt(Math.max(0, m2 / S - m * m) + v / S);
  }
  return out;
}
