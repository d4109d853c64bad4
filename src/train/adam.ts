// Adam (Kingma & Ba; PyTorch's form: w −= lr·m̂/(√v̂ + ε)) with its state in plain Float32Arrays, so that it is
// checkpointed as-is. On the wasm backend one fused JS loop updates the weights in place in the wasm heap:
// tfjs's own Adam runs about ten separate kernels over every weight, a large share of a step. Elsewhere (GPU,
// native, cpu) the same maths runs as tensor ops.
import { tf, wasmHeapF32 } from '../backend.js';
import type { NamedTensorMap, Variable } from '@tensorflow/tfjs-core';

export interface AdamState {
  t: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class Adam {
  private t = 0;
  readonly m: Record<string, Float32Array> = {};
  readonly v: Record<string, Float32Array> = {};

  constructor(private params: Record<string, Variable>, readonly lr: number,
    readonly beta1 = 0.9, readonly beta2 = 0.999, readonly eps = 1e-8) {
    for (const [k, p] of Object.entries(params)) { this.m[k] = new Float32Array(p.size); this.v[k] = new Float32Array(p.size); }
  }

  /** The first parameter whose gradient holds a NaN or ±Inf, or null. One cheap pass: x·0 is 0 only if x is finite. */
  firstNonFinite(grads: NamedTensorMap): string | null {
    for (const k of Object.keys(this.params)) {
      const g = grads[k];
      const G = wasmHeapF32(g);
      const data = G ? G.heap.subarray(G.offset, G.offset + g.size) : (g.dataSync() as Float32Array);
      let acc = 0;
      for (let i = 0; i < data.length; i++) acc += data[i] * 0;
      if (acc !== 0) return k;
    }
    return null;
  }

  /** grads: by the same names as params. Leaves the grads to the caller to dispose. */
  step(grads: NamedTensorMap): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const a = this.lr / (1 - b1 ** this.t); // lr with the first-moment bias correction folded in
    const cb2 = 1 / (1 - b2 ** this.t);
    for (const [k, p] of Object.entries(this.params)) {
      const g = grads[k];
      const W = wasmHeapF32(p), G = wasmHeapF32(g);
      if (W && G) {
        const heap = W.heap, wo = W.offset, go = G.offset, m = this.m[k], v = this.v[k], n = m.length;
        for (let i = 0; i < n; i++) {
          const gi = heap[go + i];
          const mi = b1 * m[i] + (1 - b1) * gi;
          const vi = b2 * v[i] + (1 - b2) * gi * gi;
          m[i] = mi; v[i] = vi;
          heap[wo + i] -= (a * mi) / (Math.sqrt(vi * cb2) + eps);
        }
      } else {
        this.stepTensors(k, p, g, a, cb2);
      }
    }
  }

  /** The same update as tensor ops (any backend); moments round-trip through the host arrays. */
  private stepTensors(k: string, p: Variable, g: tf.Tensor, a: number, cb2: number): void {
    const { beta1: b1, beta2: b2, eps } = this;
    const [m, v, w] = tf.tidy(() => {
      const m = tf.add(tf.mul(tf.tensor(this.m[k], p.shape), b1), tf.mul(g, 1 - b1));
      const v = tf.add(tf.mul(tf.tensor(this.v[k], p.shape), b2), tf.mul(tf.square(g), 1 - b2));
      const w = tf.sub(p, tf.div(tf.mul(m, a), tf.add(tf.sqrt(tf.mul(v, cb2)), eps)));
      return [m, v, w];
    });
    this.m[k].set(m.dataSync()); this.v[k].set(v.dataSync());
    p.assign(w);
    tf.dispose([m, v, w]);
  }

  getState(): AdamState { return { t: this.t, m: this.m, v: this.v }; }
  setState(s: AdamState): void {
    this.t = s.t;
    for (const k of Object.keys(this.m)) { this.m[k].set(s.m[k]); this.v[k].set(s.v[k]); }
  }
}
