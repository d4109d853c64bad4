// The CPU trainer's shared memory map: flat weights, gradients and Adam moments (one block each, parameters in
// the model's creation order), the batch inputs, every activation the backward pass reads, the backward buffers,
// the packed operand of the current product, one gemm tile per thread and the team's control block. All offsets
// are bytes, 64-aligned; nothing is allocated after planning.
import type { ModelShape } from '../../model/vhe.js';
import { CTL_BYTES } from './protocol.js';

/** One parameter's place in the flat blocks: element offset and size, and its [rows, cols] shape. */
export interface ParamSlot { name: string; offset: number; size: number; rows: number; cols: number }

/** Every buffer of the map (byte offsets); [features, columns] shapes in the comments, B = batch, U = subset rows. */
export interface TrainLayout {
  params: ParamSlot[];
  /** total parameter count (floats in each of the w, g, m, v blocks) */
  count: number;
  w: number; g: number; m: number; v: number;
  // inputs
  /** the data set's images, n×P bytes (0 bytes when the trainer gathers on the main thread), and the byte → [0, 1]
   *  table; the rows of a batch and its distinct subset rows (i32 [B], [U]) */
  images: number; lut: number; rowsIdx: number; uniqIdx: number;
  xT: number; // [P, B]
  xuT: number; // [P, U]
  /** i32 [P] each: the rows of xT and of xuT that are not all zero (the first layer reads only those) */
  liveX: number; liveXu: number;
  /** i32 [B, m]: each D's members as columns of xuT (the mean over D is a gather) */
  mixIdx: number;
  /** [B] 1/|X_x| */
  inv: number;
  epsZ: number; epsC: number; // [dz, B], [dc, B]
  // forward
  hu: number; // [2H, U]
  hbar: number; hz: number; hp: number; // [2H, B]
  yc: number; sC: number; c: number; // [2dc, B], [dc, B], [dc, B]
  yz: number; sZ: number; z: number; // [2dz, B], [dz, B], [dz, B]
  yp: number; sP: number; // [2dz, B], [dz, B]
  hd: number; // [H, B]
  logits: number; // [P, B]
  // backward
  dlogits: number; // [P, B]
  dhd: number; // [H, B]
  dz: number; dc: number; // [dz, B], [dc, B]
  dyz: number; dyp: number; dyc: number; // [2dz, B], [2dz, B], [2dc, B]
  dhz: number; dhp: number; dhbar: number; // [2H, B]
  dhu: number; // [2H, U]
  /** per-row sums of the loss kernels: bce [P], KL(z) [dz], KL(c) [dc], KL(c)·1/|X_x| [dc] */
  rowLoss: number;
  /** i32: set to 1 when a weight gradient is not finite */
  flag: number;
  packed: number;
  tiles: number[];
  ctl: number;
  /** bytes in all, from base */
  end: number;
}

export interface LayoutOptions {
  shape: ModelShape;
  /** the model's parameters in creation order, with their [rows, cols] shapes */
  params: Array<{ name: string; rows: number; cols: number }>;
  maxB: number;
  /** largest number of distinct subset rows in a batch (maxB · |D|), and |D| */
  maxU: number;
  m: number;
  threads: number;
  /** bytes of the images kept in the memory (n·P, or 0) */
  imageBytes: number;
  /** first free byte of the memory (the module's heapBase) */
  base: number;
  packedBytes: (K: number, N: number) => number;
  tileBytes: number;
}

export function planLayout(o: LayoutOptions): TrainLayout {
  const { shape: s, maxB: B, maxU: U } = o;
  const P = s.pixels, H = s.hidden, H2 = 2 * H, dz = s.zDim, dc = Math.max(1, s.cDim);
  let at = Math.ceil(o.base / 64) * 64;
  const take = (floats: number): number => { const p = at; at += Math.ceil((floats * 4) / 64) * 64; return p; };
  const params: ParamSlot[] = [];
  let count = 0;
  for (const p of o.params) {
    params.push({ name: p.name, offset: count, size: p.rows * p.cols, rows: p.rows, cols: p.cols });
    count += Math.ceil((p.rows * p.cols) / 16) * 16; // each parameter starts 64-aligned inside its block
  }
  const L = {
    params, count,
    w: take(count), g: take(count), m: take(count), v: take(count),
    images: take(Math.ceil(o.imageBytes / 4)), lut: take(256), rowsIdx: take(B), uniqIdx: take(U),
    xT: take(P * B), xuT: take(P * U), liveX: take(P), liveXu: take(P), mixIdx: take(B * o.m), inv: take(B), epsZ: take(dz * B), epsC: take(dc * B),
    hu: take(H2 * U), hbar: take(H2 * B), hz: take(H2 * B), hp: take(H2 * B),
    yc: take(2 * dc * B), sC: take(dc * B), c: take(dc * B),
    yz: take(2 * dz * B), sZ: take(dz * B), z: take(dz * B),
    yp: take(2 * dz * B), sP: take(dz * B),
    hd: take(H * B), logits: take(P * B),
    dlogits: take(P * B), dhd: take(H * B), dz: take(dz * B), dc: take(dc * B),
    dyz: take(2 * dz * B), dyp: take(2 * dz * B), dyc: take(2 * dc * B),
    dhz: take(H2 * B), dhp: take(H2 * B), dhbar: take(H2 * B), dhu: take(H2 * U),
    rowLoss: take(P + dz + 2 * dc), flag: take(1),
  };
  const dims = [P, H2, H, U, B];
  const big = Math.max(...dims);
  const packed = take(o.packedBytes(big, big) / 4);
  const tiles = Array.from({ length: o.threads }, () => take(o.tileBytes / 4));
  const ctl = take(CTL_BYTES / 4);
  return { ...L, packed, tiles, ctl, end: at };
}
