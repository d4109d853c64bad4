// Turns one batch of row indices (x rows, their subsets D, |X_x|) into feature-major tensors ([P, B]: one
// column per example, see model/layers.ts). Pixels stay Uint8 in the data set and are scaled once per batch
// into reused Float32Array buffers; each distinct D member is encoded once.
import { tf } from '../backend.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { BatchTensors } from '../model/vhe.js';
import type { Rng } from '../util/rng.js';
import { FLOAT01_LUT } from '../data/dataset.js';

/** Scale the listed images (n×P bytes) into out as a [P, rows.length] column-per-image matrix. */
export function gatherColumns(images: Uint8Array, rows: Int32Array, P: number, out: Float32Array): Float32Array {
  const B = rows.length, lut = FLOAT01_LUT;
  for (let b = 0; b < B; b++) {
    const src = rows[b] * P;
    for (let p = 0, dst = b; p < P; p++, dst += B) out[dst] = lut[images[src + p]];
  }
  return out;
}

/** Where buildHost writes a batch (capacity views; [rows, columns] as in BatchTensors, column count B or U). The
 *  mean over each D is sparse there: mixIdx [B, m] holds each D's members as columns of xuT (weight 1/m each), and
 *  inv [B] holds 1/|X_x|. */
export interface HostBatch {
  xT: Float32Array; xuT: Float32Array; mixIdx: Int32Array; inv: Float32Array; epsZ: Float32Array; epsC: Float32Array;
  /** when given, buildHost writes the rows of xT and xuT here (i32 [B], [U]) instead of their pixels: the caller
   *  gathers them itself (the CPU trainer, over its threads) */
  rowsIdx?: Int32Array; uniqIdx?: Int32Array;
}
export interface HostBatchInfo { B: number; U: number; invSetSize: Float32Array | null }

/** Reused host buffers, sized for the largest batch; one per trainer. */
export class BatchBuilder {
  private slot: Int32Array; // n: position of a row among the distinct subset rows, or −1
  private x: Float32Array;
  private xu: Float32Array;
  private uniq: Int32Array;

  constructor(readonly images: Uint8Array, n: number, private P: number, maxB: number, maxM: number,
    private zDim: number, private cDim: number) {
    this.slot = new Int32Array(n).fill(-1);
    this.x = new Float32Array(maxB * P);
    this.xu = new Float32Array(maxB * maxM * P);
    this.uniq = new Int32Array(maxB * maxM);
  }

  /** xT [P, B] from rows of this builder's images, and the z noise [dz, B] (drawn from rng). */
  buildX(rows: Int32Array, rng: Rng): Pick<BatchTensors, 'xT' | 'epsZ'> {
    const B = rows.length, P = this.P;
    return {
      xT: tf.tensor2d(gatherColumns(this.images, rows, P, this.x).subarray(0, B * P), [P, B]),
      epsZ: tf.tensor2d(rng.fillNormal(new Float32Array(B * this.zDim)), [this.zDim, B]),
    };
  }

  /** The subset side of a batch: subsets [B×m] (rows of this builder's images), setSize [B] = |X_x|. Each
   *  distinct row is encoded once; mix [B, U] averages the encoded rows over each D. */
  buildSubsets(B: number, subsets: Int32Array, m: number, setSize: Int32Array, rng: Rng): Omit<BatchTensors, 'xT' | 'epsZ'> {
    const U = this.distinctRows(B, subsets, m);
    const mix = new Float32Array(B * U), mixT = new Float32Array(U * B);
    this.fillMix(B, U, subsets, m, mix, mixT);
    const inv = new Float32Array(B);
    for (let b = 0; b < B; b++) inv[b] = 1 / setSize[b];
    return {
      xuT: tf.tensor2d(gatherColumns(this.images, this.uniq.subarray(0, U), this.P, this.xu).subarray(0, U * this.P), [this.P, U]),
      mix: tf.tensor2d(mix, [B, U]), mixT: tf.tensor2d(mixT, [U, B]),
      invSetSize: tf.tensor2d(inv, [1, B]),
      epsC: tf.tensor2d(rng.fillNormal(new Float32Array(B * this.cDim)), [this.cDim, B]),
    };
  }

  /** The distinct rows of subsets [B×m] into uniq[0..U), in order of first appearance; returns U. */
  private distinctRows(B: number, subsets: Int32Array, m: number): number {
    let U = 0;
    for (let i = 0; i < B * m; i++) {
      const r = subsets[i];
      if (this.slot[r] < 0) { this.slot[r] = U; this.uniq[U++] = r; }
    }
    return U;
  }

  /** mix [B, U] and mixT [U, B] (zeroed here) from the slots distinctRows left; then frees the slots. */
  private fillMix(B: number, U: number, subsets: Int32Array, m: number, mix: Float32Array, mixT: Float32Array): void {
    mix.fill(0, 0, B * U); mixT.fill(0, 0, U * B);
    const w = 1 / m;
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < m; j++) {
        const u = this.slot[subsets[b * m + j]];
        mix[b * U + u] += w; mixT[u * B + b] += w;
      }
    }
    for (let u = 0; u < U; u++) this.slot[this.uniq[u]] = -1;
  }

  /** The same batch as build(), written into host buffers (the CPU trainer's shared memory) instead of tensors,
   *  drawing the same noise in the same order. Returns the example and distinct-row counts and 1/|X_x|. */
  buildHost(rows: Int32Array, subsets: Int32Array | null, m: number, setSize: Int32Array | null, rng: Rng, out: HostBatch): HostBatchInfo {
    this.buildHostX(rows, rng, out);
    if (!subsets) return { B: rows.length, U: 0, invSetSize: null };
    return this.buildHostSubsets(rows.length, subsets, m, setSize!, rng, out);
  }

  /** buildX's part, into host buffers: x's pixels (or rows) and the z noise. */
  buildHostX(rows: Int32Array, rng: Rng, out: HostBatch): void {
    const B = rows.length;
    if (out.rowsIdx) out.rowsIdx.set(rows);
    else gatherColumns(this.images, rows, this.P, out.xT);
    rng.fillNormal(out.epsZ.subarray(0, B * this.zDim));
  }

  /** buildSubsets' part, into host buffers: each D's members (rows of this builder's images), 1/|X_x| and the c
   *  noise. */
  buildHostSubsets(B: number, subsets: Int32Array, m: number, setSize: Int32Array, rng: Rng, out: HostBatch): HostBatchInfo {
    const U = this.distinctRows(B, subsets, m);
    for (let i = 0; i < B * m; i++) out.mixIdx[i] = this.slot[subsets[i]];
    for (let u = 0; u < U; u++) this.slot[this.uniq[u]] = -1;
    if (out.uniqIdx) out.uniqIdx.set(this.uniq.subarray(0, U));
    else gatherColumns(this.images, this.uniq.subarray(0, U), this.P, out.xuT);
    const inv = out.inv.subarray(0, B);
    for (let b = 0; b < B; b++) inv[b] = 1 / setSize[b];
    rng.fillNormal(out.epsC.subarray(0, B * this.cDim));
    return { B, U, invSetSize: inv };
  }

  /** A whole training batch: rows [B]; subsets [B×m] or null (vae); setSize [B] = |X_x|. RNG order: epsZ, then
   *  epsC; the resume test depends on it staying fixed. */
  build(rows: Int32Array, subsets: Int32Array | null, m: number, setSize: Int32Array | null, rng: Rng): BatchTensors {
    const xs: BatchTensors = this.buildX(rows, rng);
    if (!subsets) return xs;
    return { ...xs, ...this.buildSubsets(rows.length, subsets, m, setSize!, rng) };
  }
}

export function disposeBatch(b: BatchTensors): void {
  for (const t of Object.values(b)) (t as Tensor2D | undefined)?.dispose();
}
