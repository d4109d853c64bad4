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

/** Training-time augmentation of images of rows×cols pixels (train.shift, train.flip); null or all off: none. */
export interface Augment {
  rows: number; cols: number; shift: number; flip: boolean;
  /** what the decoder reconstructs: the augmented view it was given (the usual) or the image as stored, so that
   *  the code must undo the move instead of recording it (a denoising objective; still a bound at test time);
   *  default augmented */
  target?: 'augmented' | 'original';
  /** train.invariance > 0: a second, independently drawn view of each x (BatchTensors.xT2) for the invariance
   *  term; needs shift or flip */
  secondView?: boolean;
  /** train.viewsFor: 'all' (the default) augments what the bound sees (x, D) and xT is the term's first view;
   *  'subsets' augments D only, so z and the decoder see x as stored; 'invariance' leaves x and D as stored, so the
   *  bound is the seed's. Both of these draw the term's two views (xViewA, xT2) apart from x. */
  viewsFor?: 'all' | 'subsets' | 'invariance';
}

/**
 * gatherColumns of images moved and mirrored at random: each listed image gets its own offset (dx, dy), uniform in
 * [−shift, shift]², and (flip) a left–right mirror with probability 1/2, drawn from rng in list order (dx, dy,
 * then flip): the image is mirrored (when drawn), then translated by (dx, dy), so out at (r, c) is the mirrored
 * image at (r − dy, c − dx); pixels from outside the image are 0. Clothes and digits lie on a 0 background, so this adds no edge.
 */
export function gatherColumnsAugmented(images: Uint8Array, rows: Int32Array, aug: Augment, rng: Rng, out: Float32Array): Float32Array {
  const B = rows.length, { rows: H, cols: W, shift } = aug, P = H * W, lut = FLOAT01_LUT;
  for (let b = 0; b < B; b++) {
    const dx = shift ? rng.below(2 * shift + 1) - shift : 0;
    const dy = shift ? rng.below(2 * shift + 1) - shift : 0;
    const mirror = aug.flip && rng.below(2) === 1;
    const src = rows[b] * P;
    for (let r = 0, dst = b; r < H; r++) {
      const sr = r - dy;
      const inRow = sr >= 0 && sr < H;
      for (let c = 0; c < W; c++, dst += B) {
        const sc = mirror ? W - 1 - (c - dx) : c - dx; // column of the mirrored image, then its source column
        out[dst] = inRow && sc >= 0 && sc < W ? lut[images[src + sr * W + sc]] : 0;
      }
    }
  }
  return out;
}

/** Reused host buffers, sized for the largest batch; one per trainer. */
export class BatchBuilder {
  private slot: Int32Array; // n: position of a row among the distinct subset rows, or −1
  private x: Float32Array;
  private xu: Float32Array;
  private xClean: Float32Array | null = null;
  private x2: Float32Array | null = null;
  private xA: Float32Array | null = null;
  private uniq: Int32Array;

  constructor(private images: Uint8Array, n: number, private P: number, maxB: number, maxM: number,
    private zDim: number, private cDim: number, private augment: Augment | null = null) {
    if (augment && !augment.shift && !augment.flip) this.augment = null;
    this.slot = new Int32Array(n).fill(-1);
    this.x = new Float32Array(maxB * P);
    this.xu = new Float32Array(maxB * maxM * P);
    this.uniq = new Int32Array(maxB * maxM);
  }

  /** Rows as a [P, rows.length] matrix in buf: augmented (this builder's Augment, drawing from rng) or as stored. */
  private columns(rows: Int32Array, buf: Float32Array, augmented: boolean, rng: Rng): Float32Array {
    const out = augmented && this.augment
      ? gatherColumnsAugmented(this.images, rows, this.augment, rng, buf) : gatherColumns(this.images, rows, this.P, buf);
    return out.subarray(0, rows.length * this.P);
  }

  /** xT [P, B] from rows of this builder's images, and the z noise [dz, B]. augmented: apply the builder's
   *  augmentation (training steps only; codes for the store's final re-encoding and evaluation see images as stored). */
  buildX(rows: Int32Array, rng: Rng, augmented = false): Pick<BatchTensors, 'xT' | 'epsZ'> {
    const B = rows.length, P = this.P;
    return {
      xT: tf.tensor2d(this.columns(rows, this.x, augmented, rng), [P, B]),
      epsZ: tf.tensor2d(rng.fillNormal(new Float32Array(B * this.zDim)), [this.zDim, B]),
    };
  }

  /** The subset side of a batch: subsets [B×m] (rows of this builder's images), setSize [B] = |X_x|. Each
   *  distinct row is encoded once; mix [B, U] averages the encoded rows over each D. */
  buildSubsets(B: number, subsets: Int32Array, m: number, setSize: Int32Array, rng: Rng, augmented = false): Omit<BatchTensors, 'xT' | 'epsZ'> {
    const P = this.P;
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
    const inv = new Float32Array(B);
    for (let b = 0; b < B; b++) inv[b] = 1 / setSize[b];
    return {
      xuT: tf.tensor2d(this.columns(uniq, this.xu, augmented, rng), [P, U]),
      mix: tf.tensor2d(mix, [B, U]), mixT: tf.tensor2d(mixT, [U, B]),
      invSetSize: tf.tensor2d(inv, [1, B]),
      epsC: tf.tensor2d(rng.fillNormal(new Float32Array(B * this.cDim)), [this.cDim, B]),
    };
  }

  /** A whole training batch: rows [B]; subsets [B×m] or null (vae); setSize [B] = |X_x|. Augmented when the
   *  builder has an Augment: x and each distinct D member independently, or only what viewsFor names. RNG order:
   *  x (and epsZ), xViewA, xT2, then D (and epsC); the resume test depends on it staying fixed. */
  build(rows: Int32Array, subsets: Int32Array | null, m: number, setSize: Int32Array | null, rng: Rng): BatchTensors {
    const viewsFor = this.augment?.viewsFor ?? 'all';
    const boundViews = viewsFor === 'all', subsetViews = viewsFor !== 'invariance';
    const xs: BatchTensors = this.buildX(rows, rng, boundViews);
    if (this.augment && !boundViews) {
      this.xA ??= new Float32Array(this.x.length);
      xs.xViewA = tf.tensor2d(this.columns(rows, this.xA, true, rng), [this.P, rows.length]);
    }
    if (this.augment?.target === 'original' && boundViews) {
      this.xClean ??= new Float32Array(this.x.length);
      xs.xTarget = tf.tensor2d(this.columns(rows, this.xClean, false, rng), [this.P, rows.length]);
    }
    if (this.augment?.secondView) {
      this.x2 ??= new Float32Array(this.x.length);
      xs.xT2 = tf.tensor2d(this.columns(rows, this.x2, true, rng), [this.P, rows.length]);
    }
    if (!subsets) return xs;
    return { ...xs, ...this.buildSubsets(rows.length, subsets, m, setSize!, rng, subsetViews) };
  }
}

export function disposeBatch(b: BatchTensors): void {
  for (const t of Object.values(b)) (t as Tensor2D | undefined)?.dispose();
}
