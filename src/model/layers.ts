// Dense layers with hand-written gradients. Why: the wasm backend sends only non-transposed matMuls to XNNPACK;
// the built-in matMul gradient uses transposed matMuls that fall into a slow scalar loop (~30x slower). Here
// every gradient matMul gets explicitly transposed operands, and inputs that need no gradient (pixels,
// constant mixing matrices) get none computed.
import { tf } from '../backend.js';
import type { Tensor1D, Tensor2D, Variable } from '@tensorflow/tfjs-core';

/** "custom": the hand-written gradients below (wasm, cpu). "builtin": tfjs autodiff of plain matMuls, which is
 *  right where transposed matMuls are fast anyway (libtensorflow on CPU or GPU). Set once by the run. */
let gradientMode: 'custom' | 'builtin' = 'custom';
export function setGradientMode(mode: 'custom' | 'builtin'): void { gradientMode = mode; }
export function getGradientMode(): 'custom' | 'builtin' { return gradientMode; }

/** One term x·W of an affine map. grad=false: x is a constant (e.g. pixels), so dL/dx is never computed. */
export interface LinearTerm {
  x: Tensor2D; // [B, in]
  W: Variable; // [in, out]
  grad: boolean;
}

/** y = Σ_i x_i·W_i + b, shape [B, out]. Gradients: dW_i = x_iᵀ·dy, dx_i = dy·W_iᵀ, db = Σ_rows dy. */
export function linear(terms: LinearTerm[], b: Variable): Tensor2D {
  if (gradientMode === 'builtin') {
    let y = tf.matMul(terms[0].x, terms[0].W);
    for (let i = 1; i < terms.length; i++) y = tf.add(y, tf.matMul(terms[i].x, terms[i].W));
    return tf.add(y, b) as Tensor2D;
  }
  // customGrad returns gradients only for its arguments; constants are closed over, not passed.
  const gradTerms = terms.filter((t) => t.grad);
  const args: tf.Tensor[] = [...terms.map((t) => t.W), b, ...gradTerms.map((t) => t.x)];
  const f = tf.customGrad((...inputs: unknown[]) => {
    // Tensors the gradient needs must go through save(): the forward pass runs in a tidy scope, and anything
    // merely closed over would be disposed before backprop.
    const save = inputs[inputs.length - 1] as (ts: tf.Tensor[]) => void;
    let y = tf.matMul(terms[0].x, terms[0].W);
    for (let i = 1; i < terms.length; i++) y = tf.add(y, tf.matMul(terms[i].x, terms[i].W));
    y = tf.add(y, b);
    save([...terms.map((t) => t.x), ...terms.map((t) => t.W)]);
    return {
      value: y as Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dy2 = dy as Tensor2D;
        const k = terms.length;
        const dWs = terms.map((_, i) => tf.matMul(tf.transpose(saved[i] as Tensor2D), dy2));
        const db = tf.sum(dy2, 0);
        const dxs: tf.Tensor[] = [];
        for (let i = 0; i < k; i++) if (terms[i].grad) dxs.push(tf.matMul(dy2, tf.transpose(saved[k + i] as Tensor2D)));
        return [...dWs, db, ...dxs];
      },
    };
  });
  return f(...args) as Tensor2D;
}

/** y = M·h with a constant mixing matrix M [B, U] (e.g. the average over each x's subset D of the unique
 *  encoded rows h [U, F]). Mt = Mᵀ [U, B] is passed precomputed so the gradient dh = Mᵀ·dy is a plain matMul. */
export function mixRows(M: Tensor2D, Mt: Tensor2D, h: Tensor2D): Tensor2D {
  if (gradientMode === 'builtin') return tf.matMul(M, h);
  const f = tf.customGrad((hIn: unknown, save: unknown) => {
    (save as (ts: tf.Tensor[]) => void)([Mt]);
    return {
      value: tf.matMul(M, hIn as Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(saved[0] as Tensor2D, dy as Tensor2D)],
    };
  });
  return f(h) as Tensor2D;
}

/** Numerically safe log-std: s = L·tanh(raw/L). Smooth (its gradient never vanishes abruptly as a hard clamp's
 *  does) and bounded to (−L, L), so σ = e^s stays in (e^−L, e^L) and the KL never sees exp overflow. */
export function boundLogStd(raw: Tensor2D, L: number): Tensor2D {
  return tf.mul(tf.tanh(tf.div(raw, L)), L) as Tensor2D;
}

export type { Tensor1D, Tensor2D };
