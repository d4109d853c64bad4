// The seed's networks (MLPs, 512 hidden units, ReLU, sigmoid decoder) for the three modes, as explicit
// variables. Each "mean" and "log-std" network pair of the seed shares its input, so their two first layers
// are fused into one matMul of width 2H (identical maths: the first H rows feed the mean head, the last H the
// log-std head). Feature-major throughout (see layers.ts): every activation is [features, B], W is [out, in].
import { tf } from '../backend.js';
import type { Tensor2D, Variable } from '@tensorflow/tfjs-core';
import { boundLogStd, headMask, linear, mixColumns } from './layers.js';
import { Rng } from '../util/rng.js';

export type Mode = 'vae' | 'vhe' | 'uvhe';

export interface ModelShape {
  mode: Mode;
  /** pixels per image (28·28 = 784) */
  pixels: number;
  /** hidden units per network (the seed: 512) */
  hidden: number;
  zDim: number;
  /** 0 in vae mode */
  cDim: number;
  /** log-std bound L: s = L·tanh(raw/L) */
  logStdBound: number;
}

/** All trainable variables, by name (names are stable: checkpoints and exports use them). */
export type Params = Record<string, Variable>;

/** PyTorch's nn.Linear default init (U(±1/√fan_in) for W and b), from our own seeded RNG so that a run is
 *  reproducible on every backend. */
function initLinear(rng: Rng, fanIn: number, inDim: number, outDim: number, name: string, params: Params): void {
  const bound = 1 / Math.sqrt(fanIn);
  const w = new Float32Array(outDim * inDim);
  for (let i = 0; i < w.length; i++) w[i] = (rng.next() * 2 - 1) * bound;
  // unnamed: tfjs variable names are global, and two models (e.g. tests, comparisons) may coexist
  params[name] = tf.variable(tf.tensor2d(w, [outDim, inDim]), true);
}
/** The two heads of a network (mean and log-std, each [d] from its own H hidden units) as ONE block-diagonal
 *  [2d, 2H] weight: one matMul instead of two plus slices; the off-diagonal blocks are 0 and stay 0 (headMask). */
function initHeads(rng: Rng, H: number, d: number, pre: string, params: Params): void {
  const bound = 1 / Math.sqrt(H);
  const w = new Float32Array(2 * d * 2 * H);
  for (let r = 0; r < 2 * d; r++) for (let c = 0; c < H; c++) w[r * 2 * H + (r < d ? c : H + c)] = (rng.next() * 2 - 1) * bound;
  params[`${pre}/Whead`] = tf.variable(tf.tensor2d(w, [2 * d, 2 * H]), true);
  initBias(rng, H, 2 * d, `${pre}/bhead`, params);
  headMask(d, H); // the (cached) mask exists from here on, not first inside some later step

}

function initBias(rng: Rng, fanIn: number, outDim: number, name: string, params: Params): void {
  const bound = 1 / Math.sqrt(fanIn);
  const b = new Float32Array(outDim);
  for (let i = 0; i < outDim; i++) b[i] = (rng.next() * 2 - 1) * bound;
  params[name] = tf.variable(tf.tensor2d(b, [outDim, 1]), true); // a column: broadcasts over the B columns
}

/**
 * Whether q(z|·) and p(x|·) read c. The vhe (the seed's networks) infers z from [x‖c] and decodes [z‖c]: c comes
 * from x's true class. A uvhe's c comes from a pseudo-class, and its clusters are refitted on z; there c shapes
 * only the prior p(z|c) (c → z → x, as in the Neural Statistician), so z stays a whole code of x that the prior
 * pulls towards its cluster, instead of a residual given a cluster that may be wrong.
 */
export function readsClassCode(mode: Mode): boolean {
  return mode === 'vhe';
}

export function createParams(s: ModelShape, seed: number): Params {
  const rng = new Rng(seed);
  const p: Params = {};
  const H = s.hidden, H2 = 2 * s.hidden, P = s.pixels;
  const hasC = s.mode !== 'vae';
  if (hasC) {
    // q(c|D): encode_c_u and encode_c_logstd, first layers fused [P, 2H]
    initLinear(rng, P, P, H2, 'encC/W1', p); initBias(rng, P, H2, 'encC/b1', p);
    initHeads(rng, H, s.cDim, 'encC', p);
  }
  // q(z|c,x): input [x‖c] (vhe; uvhe and vae: x alone); the first layer is split into an x part and a c part
  const readC = readsClassCode(s.mode), zIn = P + (readC ? s.cDim : 0);
  initLinear(rng, zIn, P, H2, 'encZ/Wx', p);
  if (readC) initLinear(rng, zIn, s.cDim, H2, 'encZ/Wc', p);
  initBias(rng, zIn, H2, 'encZ/b1', p);
  initHeads(rng, H, s.zDim, 'encZ', p);
  if (hasC) {
    // p(z|c): prior_z_mu and prior_z_logstd, first layers fused [dc, 2H]
    initLinear(rng, s.cDim, s.cDim, H2, 'prior/W1', p); initBias(rng, s.cDim, H2, 'prior/b1', p);
    initHeads(rng, H, s.zDim, 'prior', p);
  }
  // p(x|z,c): input [z‖c] (vhe; uvhe and vae: z alone) split the same way, then H → P logits (the sigmoid lives
  // in the BCE)
  const dIn = s.zDim + (readC ? s.cDim : 0);
  initLinear(rng, dIn, s.zDim, H, 'dec/Wz', p);
  if (readC) initLinear(rng, dIn, s.cDim, H, 'dec/Wc', p);
  initBias(rng, dIn, H, 'dec/b1', p);
  initLinear(rng, H, H, P, 'dec/W2', p); initBias(rng, H, P, 'dec/b2', p);
  return p;
}

export function disposeParams(p: Params): void {
  for (const v of Object.values(p)) v.dispose();
}

/** A diagonal Gaussian by mean and (bounded) log-std, both [d, B]. */
export interface Gauss { mu: Tensor2D; s: Tensor2D }

/** Tensors of one batch (feature-major: one column per example). */
export interface BatchTensors {
  /** [P, B] pixels in [0, 1]: what the encoders read */
  xT: Tensor2D;
  /** [P, U] the distinct rows of all subsets D in the batch (vhe/uvhe) */
  xuT?: Tensor2D;
  /** [B, U] averaging matrix: row b holds multiplicity/|D| for the members of x_b's D; mixT is its transpose */
  mix?: Tensor2D;
  mixT?: Tensor2D;
  /** [1, B] 1/|X_x| */
  invSetSize?: Tensor2D;
  /** [dz, B] and [dc, B] standard normal noise for the reparametrisation */
  epsZ: Tensor2D;
  epsC?: Tensor2D;
}

export interface Forward {
  qc?: Gauss;
  qz: Gauss;
  /** p(z|c); undefined means N(0, I) (vae) */
  pz?: Gauss;
  /** [dc, B] and [dz, B] samples */
  c?: Tensor2D;
  z: Tensor2D;
  /** [P, B] decoder logits */
  logits: Tensor2D;
}

/** Mean and bounded log-std [d, B] from the fused hidden layer h [2H, B] through the block-diagonal heads. */
function head(h: Tensor2D, H: number, p: Params, pre: string, L: number): Gauss {
  const W = p[pre + '/Whead'];
  const d = W.shape[0] / 2;
  const y = linear([{ W, xT: h, grad: true }], p[pre + '/bhead'], headMask(d, H)); // [2d, B]
  return {
    mu: tf.slice(y, [0, 0], [d, -1]) as Tensor2D,
    s: boundLogStd(tf.slice(y, [d, 0], [d, -1]) as Tensor2D, L),
  };
}

/** q(c|D): encode each distinct subset row once, average the hidden layer over D with the mixing matrix, then
 *  the (linear) heads. Exact: the seed averages head outputs over D, and mean(W·h_j + b) = W·mean(h_j) + b. */
export function encodeC(s: ModelShape, p: Params, b: BatchTensors): Gauss {
  const hu = tf.relu(linear([{ W: p['encC/W1'], xT: b.xuT!, grad: false }], p['encC/b1'])) as Tensor2D; // [2H, U]
  const hbar = mixColumns(hu, b.mix!, b.mixT!); // [2H, B]
  return head(hbar, s.hidden, p, 'encC', s.logStdBound);
}

/** q(z|c,x) for c [dc, B] (or none in vae mode); c is not read where the networks do not read it
 *  (readsClassCode). */
export function encodeZ(s: ModelShape, p: Params, xT: Tensor2D, c: Tensor2D | undefined): Gauss {
  const terms = [{ W: p['encZ/Wx'], xT, grad: false }];
  if (c && p['encZ/Wc']) terms.push({ W: p['encZ/Wc'], xT: c, grad: true });
  const h = tf.relu(linear(terms, p['encZ/b1'])) as Tensor2D;
  return head(h, s.hidden, p, 'encZ', s.logStdBound);
}

/** p(z|c). */
export function priorZ(s: ModelShape, p: Params, c: Tensor2D): Gauss {
  const h = tf.relu(linear([{ W: p['prior/W1'], xT: c, grad: true }], p['prior/b1'])) as Tensor2D;
  return head(h, s.hidden, p, 'prior', s.logStdBound);
}

/** Decoder logits [P, B] from z [dz, B] and c [dc, B] (or none; not read where readsClassCode is false). */
export function decode(p: Params, z: Tensor2D, c: Tensor2D | undefined): Tensor2D {
  const terms = [{ W: p['dec/Wz'], xT: z, grad: true }];
  if (c && p['dec/Wc']) terms.push({ W: p['dec/Wc'], xT: c, grad: true });
  const h = tf.relu(linear(terms, p['dec/b1'])) as Tensor2D;
  return linear([{ W: p['dec/W2'], xT: h, grad: true }], p['dec/b2']);
}

/** Reparametrised sample mu + e^s · eps. */
export function sample(g: Gauss, eps: Tensor2D): Tensor2D {
  return tf.add(g.mu, tf.mul(tf.exp(g.s), eps)) as Tensor2D;
}

/** The whole forward pass: D → q(c|D) → c → q(z|c,x) → z → p(x|z,c), and p(z|c) (uvhe: q(z|x), p(x|z)). */
export function forward(s: ModelShape, p: Params, b: BatchTensors): Forward {
  if (s.mode === 'vae') {
    const qz = encodeZ(s, p, b.xT, undefined);
    const z = sample(qz, b.epsZ);
    return { qz, z, logits: decode(p, z, undefined) };
  }
  const qc = encodeC(s, p, b);
  const c = sample(qc, b.epsC!);
  const qz = encodeZ(s, p, b.xT, c);
  const z = sample(qz, b.epsZ);
  return { qc, c, qz, z, pz: priorZ(s, p, c), logits: decode(p, z, c) };
}
