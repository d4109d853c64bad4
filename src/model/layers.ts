// Dense layers in feature-major layout, with hand-written gradients.
//
// Layout: activations are [features, B] (one column per example) and weights are [out, in] (PyTorch's own
// layout), so a layer is yᵀ = W·xᵀ + b. Why: tfjs-wasm hands matMuls to XNNPACK, which repacks its right-hand
// operand on every call; with the weight on the left, what gets repacked is the small [in, B] activation
// instead of the large weight. Why hand-written gradients: the wasm backend sends only non-transposed matMuls to
// XNNPACK, and the built-in matMul gradient uses transposed ones that fall into a scalar loop. Here every
// gradient matMul gets explicitly transposed operands, and inputs that need no gradient get none computed.
import { tf } from '../backend.js';
import type { Tensor2D, Variable } from '@tensorflow/tfjs-core';

/** "custom": the hand-written gradients below (wasm, cpu). "builtin": tfjs autodiff of plain matMuls, which is
 *  right where transposed matMuls are fast anyway (libtensorflow on CPU or GPU). Set once by the run. */
let gradientMode: 'custom' | 'builtin' = 'custom';
export function setGradientMode(mode: 'custom' | 'builtin'): void { gradientMode = mode; }
export function getGradientMode(): 'custom' | 'builtin' { return gradientMode; }

/** One term W·xᵀ of an affine map. grad=false: x is a constant (e.g. pixels), so dL/dx is never computed. */
export interface LinearTerm {
  W: Variable; // [out, in]
  xT: Tensor2D; // [in, B]
  grad: boolean;
}

/** yᵀ = Σ_i W_i·x_iᵀ + b, shape [out, B]; b is [out, 1].
 *  Gradients: dW_i = dyᵀ·x_i (x_i = (x_iᵀ)ᵀ, explicit), dx_iᵀ = W_iᵀ·dyᵀ (W_iᵀ explicit), db = Σ_columns dyᵀ.
 *  mask (one term only): a constant 0/1 matrix shaped like W; the weight is used as W ⊙ mask and its gradient
 *  is masked too, so entries outside the mask stay exactly 0 under Adam (block-diagonal fused heads). */
export function linear(terms: LinearTerm[], b: Variable, mask?: Tensor2D): Tensor2D {
  if (gradientMode === 'builtin') {
    const w0 = mask ? tf.mul(terms[0].W, mask) : terms[0].W;
    let y = tf.matMul(w0, terms[0].xT);
    for (let i = 1; i < terms.length; i++) y = tf.add(y, tf.matMul(terms[i].W, terms[i].xT));
    return tf.add(y, b) as Tensor2D;
  }
  // customGrad returns gradients only for its arguments; constants are closed over, not passed.
  const gradTerms = terms.filter((t) => t.grad);
  const args: tf.Tensor[] = [...terms.map((t) => t.W), b, ...gradTerms.map((t) => t.xT)];
  const f = tf.customGrad((...inputs: unknown[]) => {
    // Activations the gradient needs must go through save(): the forward pass runs in a tidy scope, and anything
    // merely closed over would be disposed before backprop. Not saved (saving clones): the weights (variables
    // live on) and constant inputs (grad=false: batch tensors, which outlive the step).
    const save = inputs[inputs.length - 1] as (ts: tf.Tensor[]) => void;
    let y = tf.matMul(terms[0].W, terms[0].xT);
    for (let i = 1; i < terms.length; i++) y = tf.add(y, tf.matMul(terms[i].W, terms[i].xT));
    y = tf.add(y, b);
    save(gradTerms.map((t) => t.xT));
    return {
      value: y as Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dyT = dy as Tensor2D; // [out, B]
        let g = 0;
        const xs = terms.map((t) => (t.grad ? (saved[g++] as Tensor2D) : t.xT));
        const dWs = terms.map((_, i) => {
          const dW = tf.matMul(dyT, tf.transpose(xs[i]));
          return mask ? tf.mul(dW, mask) : dW;
        });
        const db = tf.sum(dyT, 1, true);
        const dxs: tf.Tensor[] = [];
        for (let i = 0; i < terms.length; i++) if (terms[i].grad) dxs.push(tf.matMul(tf.transpose(terms[i].W), dyT));
        return [...dWs, db, ...dxs];
      },
    };
  });
  return f(...args) as Tensor2D;
}

/** The 0/1 block-diagonal mask of a fused pair of heads: [2d, 2H], ones on rows [0, d) × columns [0, H) (the
 *  mean head reads the first H hidden units) and rows [d, 2d) × columns [H, 2H) (the log-std head the rest).
 *  Cached per shape for the life of the process (kept out of every tidy). */
const masks = new Map<string, Tensor2D>();
export function headMask(d: number, H: number): Tensor2D {
  const key = `${d}x${H}`;
  let m = masks.get(key);
  if (!m) {
    const a = new Float32Array(2 * d * 2 * H);
    for (let r = 0; r < 2 * d; r++) for (let c = 0; c < 2 * H; c++) a[r * 2 * H + c] = (r < d) === (c < H) ? 1 : 0;
    m = tf.keep(tf.tensor2d(a, [2 * d, 2 * H]));
    masks.set(key, m);
  }
  return m;
}

/** yᵀ = hᵀ·Mᵀ: mixes the columns of hᵀ [F, U] by a constant matrix M [B, U] (e.g. the average over each x's
 *  subset D of the distinct encoded rows). Mt = Mᵀ [U, B] is the forward operand; the gradient is dyᵀ·M. */
export function mixColumns(hT: Tensor2D, M: Tensor2D, Mt: Tensor2D): Tensor2D {
  if (gradientMode === 'builtin') return tf.matMul(hT, Mt);
  const f = tf.customGrad((hIn: unknown, save: unknown) => {
    (save as (ts: tf.Tensor[]) => void)([M]);
    return {
      value: tf.matMul(hIn as Tensor2D, Mt),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy as Tensor2D, saved[0] as Tensor2D)],
    };
  });
  return f(hT) as Tensor2D;
}

/** Numerically safe log-std: s = L·tanh(raw/L). Smooth (its gradient never vanishes abruptly as a hard clamp's
 *  does) and bounded to (−L, L), so σ = e^s stays in (e^−L, e^L) and the KL never sees exp overflow. */
export function boundLogStd(raw: Tensor2D, L: number): Tensor2D {
  return tf.mul(tf.tanh(tf.div(raw, L)), L) as Tensor2D;
}
