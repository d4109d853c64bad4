// Turns one batch of row indices (x rows, their subsets D, |X_x|) into tensors. Pixels stay Uint8 in the data
// set and are scaled once per batch into reused Float32Array buffers; each distinct D member is encoded once.
import { tf } from '../backend.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { BatchTensors } from '../model/vhe.js';
import type { Rng } from '../util/rng.js';

const SCALE = new Float32Array(256).map((_, i) => i / 255);

/** Copy rows of Uint8 images (n×P) into out (rows.length×P) scaled to [0, 1]. */
export function gatherPixels(images: Uint8Array, P: number, rows: Int32Array, out: Float32Array): Float32Array {
  for (let b = 0; b < rows.length; b++) {
    const src = rows[b] * P, dst = b * P;
    for (let p = 0; p < P; p++) out[dst + p] = SCALE[images[src + p]];
  }
  return out;
}

/** Reused host buffers, sized for the largest batch; one per trainer. */
export class BatchBuilder {
  private slot: Int32Array; // n: position of a row among the distinct subset rows, or −1
  private x: Float32Array;
  private xu: Float32Array;
  private uniq: Int32Array;

  constructor(private images: Uint8Array, private n: number, private P: number, maxB: number, maxM: number,
    private zDim: number, private cDim: number) {
    this.slot = new Int32Array(n).fill(-1);
    this.x = new Float32Array(maxB * P);
    this.xu = new Float32Array(maxB * maxM * P);
    this.uniq = new Int32Array(maxB * maxM);
  }

  /** rows [B]; subsets [B×m] (row indices into the same images) or null (vae); setSize [B] = |X_x|. */
  build(rows: Int32Array, subsets: Int32Array | null, m: number, setSize: Int32Array | null, rng: Rng): BatchTensors {
    const B = rows.length, P = this.P;
    const x = tf.tensor2d(gatherPixels(this.images, P, rows, this.x).subarray(0, B * P), [B, P]);
    const epsZ = tf.tensor2d(rng.fillNormal(new Float32Array(B * this.zDim)), [B, this.zDim]);
    if (!subsets) return { x, epsZ };
    // Distinct subset rows, in first-seen order, and the averaging matrix over each D.
    let U = 0;
    for (let i = 0; i < B * m; i++) {
      const r = subsets[i];
      if (this.slot[r] < 0) { this.slot[r] = U; this.uniq[U++] = r; }
    }
    const mix = new Float32Array(B * U), mixT = new Float32Array(U * B);
    const w = 1 / m;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < m; j++) {
        const u = this.slot[subsets[b * m + j]];
        mix[b * U + u] += w; mixT[u * B + b] += w;
      }
    }
    for (let u = 0; u < U; u++) this.slot[this.uniq[u]] = -1;
    const uniq = this.uniq.subarray(0, U);
    const xu = tf.tensor2d(gatherPixels(this.images, P, uniq, this.xu).subarray(0, U * P), [U, P]);
    const inv = new Float32Array(B);
    for (let b = 0; b < B; b++) inv[b] = 1 / setSize![b];
    return {
      x, xu, epsZ,
      mix: tf.tensor2d(mix, [B, U]), mixT: tf.tensor2d(mixT, [U, B]),
      invSetSize: tf.tensor2d(inv, [B, 1]),
      epsC: tf.tensor2d(rng.fillNormal(new Float32Array(B * this.cDim)), [B, this.cDim]),
    };
  }
}

export function disposeBatch(b: BatchTensors): void {
  for (const t of Object.values(b)) (t as Tensor2D | undefined)?.dispose();
}
