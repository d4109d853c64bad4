// Dense layers in feature-major layout, with hand-written gradients.
//
// Layout: activations are [features, B] (one column per example) and weights are [out, in] (PyTorch's own
// layout), so a layer is yᵀ = W·xᵀ + b. Why: tfjs-wasm hands matMuls to XNNPACK, which repacks its right-hand
// operand on every call. With the weight on the left, what gets repacked is the small [in, B] activation
// instead of the 784×1024 weight (measured: ~1.6× faster per matMul at B = 128, more at B = 50).
// Why hand-written gradients: the wasm backend sends only non-transposed matMuls to XNNPACK; the built-in
// matMul gradient uses transposed ones that fall into a scalar loop (~30× slower). Here every gradient matMul
// gets explicitly transposed operands, and inputs that need no gradient (pixels, constants) get none computed.
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
 *  Gradients: dW_i = dyᵀ·x_i (x_i = (x_iᵀ)ᵀ, explicit), dx_iᵀ = W_iᵀ·dyᵀ (W_iᵀ explicit), db = Σ_columns dyᵀ. */
export function linear(terms: LinearTerm[], b: Variable): Tensor2D {
  if (gradientMode === 'builtin') {
    let y = tf.matMul(terms[0].W, terms[0].xT);
    for (let i = 1; i < terms.length; i++) y = tf.add(y, tf.matMul(terms[i].W, terms[i].xT));
    return tf.add(y, b) as Tensor2D;
  }
  // customGrad returns gradients only for its arguments; constants are closed over, not passed.
  const gradTerms = terms.filter((t) => t.grad);
  const args: tf.Tensor[] = [...terms.map((t) => t.W), b, ...gradTerms.map((t) => t.xT)];
  const f = tf.customGrad((...inputs: unknown[]) => {
    // Tensors the gradient needs must go through save(): the forward pass runs in a tidy scope, and anything
    // merely closed over would be disposed before backprop.
    const save = inputs[inputs.length - 1] as (ts: tf.Tensor[]) => void;
    let y = tf.matMul(terms[0].W, terms[0].xT);
    for (let i = 1; i < terms.length; i++) y = tf.add(y, tf.matMul(terms[i].W, terms[i].xT));
    y = tf.add(y, b);
    save([...terms.map((t) => t.xT), ...terms.map((t) => t.W)]);
    return {
      value: y as Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dyT = dy as Tensor2D; // [out, B]
        const k = terms.length;
        const dWs = terms.map((_, i) => tf.matMul(dyT, tf.transpose(saved[i] as Tensor2D)));
        const db = tf.sum(dyT, 1, true);
        const dxs: tf.Tensor[] = [];
        for (let i = 0; i < k; i++) if (terms[i].grad) dxs.push(tf.matMul(tf.transpose(saved[k + i] as Tensor2D), dyT));
        return [...dWs, db, ...dxs];
      },
    };
  });
  return f(...args) as Tensor2D;
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
