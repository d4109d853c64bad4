// PNG image grids of what a trained model does: reconstructions, samples per (pseudo-)class, and few-shot
// samples from a given D. The tfjs work runs in tf.tidy (feature-major, see model/layers.ts); pixels leave the
// tensors once per grid and are laid out on the host. PNG encoding: pngjs (pure JS, MIT, no native build).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { tf } from '../backend.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import { decode, encodeC, encodeZ, priorZ, sample, type BatchTensors, type ModelShape, type Params } from '../model/vhe.js';
import { BatchBuilder, disposeBatch } from '../train/batch.js';
import type { Dataset } from '../data/dataset.js';
import { Rng } from '../util/rng.js';

export interface ImageGridOptions {
  /** folder the PNGs are written into (created if missing) */
  dir: string;
  shape: ModelShape;
  params: Params;
  train: Dataset;
  test: Dataset;
  /** per training row: pseudo-labels (uvhe) or true labels (vhe) in 0..k-1; null for vae (or: one class) */
  trainLabels: Int32Array | null;
  /** number of (pseudo-)classes the labels range over */
  k: number;
  /** |D|: images encoded for q(c|D) */
  subsetSize: number;
  seed: number;
}

/** Layout constants (pixels): a PAD-wide gap around every tile, and a wider coloured gap (SEP) between the D
 *  images and the samples in a row. Exported so that tests and the report can compute a grid's size. */
export const GRID = {
  pad: 2,
  sep: 6,
  /** extra gap between groups of tiles (the (image, reconstruction) pairs) */
  groupGap: 6,
  /** reconstructions: test images shown (pairs: image, reconstruction) and pairs per row */
  reconCount: 40,
  reconPairsPerRow: 5,
  /** samples drawn per cluster / few-shot row; rows of the vae sample grid */
  samplesPerRow: 10,
  vaeRows: 8,
  /** few-shot rows (test classes) at most */
  fewShotRows: 10,
} as const;

const BG = [40, 40, 48];      // gaps between tiles
const SEP = [220, 120, 40];   // the separator between D and the samples drawn from it

/** One row of a grid: tiles before the separator (D, or nothing) and after it. A null tile stays blank. */
interface GridRow { left: Array<Float32Array | null>; right: Array<Float32Array | null> }

/** Extra gap (GRID.groupGap px) before right-hand tile c, after every `group` tiles: it sets pairs apart. */
function groupGaps(c: number, rightCols: number, group: number): number {
  return group > 0 ? Math.floor(Math.min(c, rightCols - 1) / group) * GRID.groupGap : 0;
}

/** Pixel size of a grid with `leftCols` tiles before the separator (0 = no separator) and `rightCols` after. */
export function gridSize(rows: number, leftCols: number, rightCols: number, h: number, w: number, group = 0): { width: number; height: number } {
  const { pad, sep } = GRID;
  const tiles = leftCols + rightCols;
  const width = tiles * w + (tiles + 1) * pad + (leftCols > 0 && rightCols > 0 ? sep : 0) + groupGaps(rightCols, rightCols, group);
  return { width, height: rows * h + (rows + 1) * pad };
}

/** Compose tiles (each h×w grey values in [0, 1], row-major) into an RGBA PNG; `group` > 0 widens the gap after
 *  every `group` right-hand tiles. */
export function encodeGrid(rows: GridRow[], leftCols: number, rightCols: number, h: number, w: number, group = 0): Buffer {
  const { width, height } = gridSize(rows.length, leftCols, rightCols, h, w, group);
  const png = new PNG({ width, height });
  const d = png.data;
  for (let i = 0; i < width * height; i++) { d[4 * i] = BG[0]; d[4 * i + 1] = BG[1]; d[4 * i + 2] = BG[2]; d[4 * i + 3] = 255; }
  const { pad, sep } = GRID;
  const hasSep = leftCols > 0 && rightCols > 0;
  if (hasSep) {
    const x0 = leftCols * (w + pad) + pad;
    for (let y = 0; y < height; y++) for (let x = x0 + 1; x < x0 + sep - 1; x++) {
      const o = 4 * (y * width + x); d[o] = SEP[0]; d[o + 1] = SEP[1]; d[o + 2] = SEP[2];
    }
  }
  rows.forEach((row, r) => {
    const y0 = pad + r * (h + pad);
    const tiles = [...row.left.slice(0, leftCols), ...new Array<null>(Math.max(0, leftCols - row.left.length)).fill(null), ...row.right.slice(0, rightCols)];
    tiles.forEach((tile, c) => {
      if (!tile) return;
      const x0 = pad + c * (w + pad) + (hasSep && c >= leftCols ? sep : 0) + (c >= leftCols ? groupGaps(c - leftCols, rightCols, group) : 0);
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
        const v = Math.round(Math.min(1, Math.max(0, tile[y * w + x])) * 255);
        const o = 4 * ((y0 + y) * width + x0 + x);
        d[o] = v; d[o + 1] = v; d[o + 2] = v;
      }
    });
  });
  return PNG.sync.write(png);
}

/** Pixels of the listed dataset rows as [0, 1] tiles. */
function tilesOf(ds: Dataset, rows: ArrayLike<number>): Float32Array[] {
  const P = ds.rows * ds.cols;
  return Array.from(rows, (r) => Float32Array.from(ds.images.subarray(r * P, (r + 1) * P), (v) => v / 255));
}

/** Split a row-major [N, P] array into N tiles. */
function splitTiles(flat: Float32Array, P: number): Float32Array[] {
  return Array.from({ length: flat.length / P }, (_, i) => flat.slice(i * P, (i + 1) * P));
}

const iota = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => i);

/** q(c|D_j) for the sets D_j = rows of `ds` listed in subsets [G×m]: the mean c of each set, [dc, G]. The caller
 *  owns the returned tensor (created inside tidy, kept). */
function classCodes(o: ImageGridOptions, ds: Dataset, subsets: Int32Array, G: number, rng: Rng): Tensor2D {
  const { shape, params } = o;
  const m = subsets.length / G;
  const P = ds.rows * ds.cols;
  const builder = new BatchBuilder(ds.images, ds.n, P, G, m, shape.zDim, shape.cDim);
  const parts = builder.buildSubsets(G, subsets, m, new Int32Array(G).fill(1), rng);
  try {
    return tf.tidy(() => encodeC(shape, params, parts as BatchTensors).mu);
  } finally {
    disposeBatch(parts as BatchTensors);
  }
}

/** S decoded samples per column of c [dc, G]: z ~ p(z|c), x̂ = sigmoid(decoder logits). Returns G·S row-major
 *  tiles, group by group. With c undefined (vae), G·S samples of z ~ N(0, I). */
function samplesFrom(o: ImageGridOptions, c: Tensor2D | undefined, G: number, S: number, rng: Rng): Float32Array[] {
  const { shape, params } = o;
  const n = G * S;
  const eps = rng.fillNormal(new Float32Array(shape.zDim * n));
  const flat = tf.tidy(() => {
    const e = tf.tensor2d(eps, [shape.zDim, n]);
    let z: Tensor2D, cRep: Tensor2D | undefined;
    if (c) {
      const idx = tf.tensor1d(Int32Array.from({ length: n }, (_, i) => Math.floor(i / S)), 'int32');
      cRep = tf.gather(c, idx, 1) as Tensor2D; // [dc, G·S]: column i is group ⌊i/S⌋
      z = sample(priorZ(shape, params, cRep), e);
    } else {
      z = e;
    }
    return tf.transpose(tf.sigmoid(decode(params, z, cRep))).dataSync() as Float32Array; // [G·S, P]
  });
  return splitTiles(flat, shape.pixels);
}

/** Test images and their reconstructions: sigmoid of the decoder logits at the means of q. vhe/uvhe: c is the
 *  mean of q(c|D) with D = {x} (the image's own class code, as evaluate.ts uses to place a test x), z the mean
 *  of q(z|c, x) (uvhe: q(z|x)). */
function reconstructions(o: ImageGridOptions, rng: Rng): { rows: GridRow[]; cols: number } {
  const { shape, params, test } = o;
  const n = Math.min(GRID.reconCount, test.n);
  const rows = iota(n);
  const P = test.rows * test.cols;
  const builder = new BatchBuilder(test.images, test.n, P, n, 1, shape.zDim, shape.cDim);
  const b = shape.mode === 'vae' ? builder.buildX(rows, rng) : builder.build(rows, rows, 1, new Int32Array(n).fill(1), rng);
  let flat: Float32Array;
  try {
    flat = tf.tidy(() => {
      const c = shape.mode === 'vae' ? undefined : encodeC(shape, params, b).mu;
      const z = encodeZ(shape, params, b.xT, c).mu;
      return tf.transpose(tf.sigmoid(decode(params, z, c))).dataSync() as Float32Array;
    });
  } finally {
    disposeBatch(b);
  }
  const orig = tilesOf(test, rows), rec = splitTiles(flat, P);
  const per = GRID.reconPairsPerRow;
  const out: GridRow[] = [];
  for (let i = 0; i < n; i += per) {
    const right: Float32Array[] = [];
    for (let j = i; j < Math.min(n, i + per); j++) right.push(orig[j], rec[j]);
    out.push({ left: [], right });
  }
  return { rows: out, cols: 2 * per };
}

/** m members of each group, drawn without replacement while the group is large enough, else with. */
function drawMembers(members: Int32Array, m: number, rng: Rng): Int32Array {
  const out = new Int32Array(m);
  if (members.length >= m) {
    const pool = members.slice();
    for (let j = 0; j < m; j++) { const t = j + rng.int(pool.length - j); [pool[j], pool[t]] = [pool[t], pool[j]]; out[j] = pool[j]; }
  } else {
    for (let j = 0; j < m; j++) out[j] = members[rng.int(members.length)];
  }
  return out;
}

function groupRows(labels: Int32Array, k: number): Int32Array[] {
  const lists: number[][] = Array.from({ length: k }, () => []);
  labels.forEach((l, i) => { if (l >= 0 && l < k) lists[l].push(i); });
  return lists.map((l) => Int32Array.from(l));
}

/** One row per group with members: its D (m images of `ds`), then S samples from p(z|c), c = mean of q(c|D). */
function setRows(o: ImageGridOptions, ds: Dataset, groups: Int32Array[], rng: Rng): GridRow[] {
  const m = o.subsetSize, S = GRID.samplesPerRow;
  const live = groups.filter((g) => g.length > 0);
  if (live.length === 0) return [];
  const subsets = new Int32Array(live.length * m);
  live.forEach((g, j) => subsets.set(drawMembers(g, m, rng), j * m));
  const c = classCodes(o, ds, subsets, live.length, rng);
  let samples: Float32Array[];
  try { samples = samplesFrom(o, c, live.length, S, rng); } finally { c.dispose(); }
  return live.map((_, j) => ({
    left: tilesOf(ds, subsets.subarray(j * m, (j + 1) * m)),
    right: samples.slice(j * S, (j + 1) * S),
  }));
}

/**
 * Writes reconstructions.png, cluster-samples.png and (vhe/uvhe) few-shot.png into opts.dir; returns their paths.
 * - reconstructions.png: rows of (test image, reconstruction) pairs.
 * - cluster-samples.png: vhe/uvhe: one row per non-empty (pseudo-)class: its D (|D| training members), an
 *   orange bar, then samples from p(z|c) with c the mean of q(c|D). vae: samples of z ~ N(0, I).
 * - few-shot.png: one row per test class (true test labels; without labels, consecutive test rows): D = |D| test
 *   images of that class, then samples. The model never saw these images.
 */
export function writeImageGrids(opts: ImageGridOptions): string[] {
  const { shape, train, test, dir } = opts;
  const h = train.rows, w = train.cols;
  if (h * w !== shape.pixels) throw new Error(`writeImageGrids: images are ${h}×${w} but the model has ${shape.pixels} pixels`);
  mkdirSync(dir, { recursive: true });
  const rng = new Rng(opts.seed);
  const written: string[] = [];
  const put = (name: string, png: Buffer): void => { const p = join(dir, name); writeFileSync(p, png); written.push(p); };

  if (test.n > 0) {
    const r = reconstructions(opts, rng);
    put('reconstructions.png', encodeGrid(r.rows, 0, r.cols, h, w, 2));
  }

  if (shape.mode === 'vae') {
    const S = GRID.samplesPerRow, R = GRID.vaeRows;
    const tiles = samplesFrom(opts, undefined, R, S, rng);
    const rows = Array.from({ length: R }, (_, j) => ({ left: [], right: tiles.slice(j * S, (j + 1) * S) }));
    put('cluster-samples.png', encodeGrid(rows, 0, S, h, w));
    return written;
  }

  const m = opts.subsetSize;
  const labels = opts.trainLabels ?? new Int32Array(train.n); // no labels: the whole split is one class
  const k = opts.trainLabels ? opts.k : 1;
  const clusterRows = setRows(opts, train, groupRows(labels, k), rng);
  if (clusterRows.length) put('cluster-samples.png', encodeGrid(clusterRows, m, GRID.samplesPerRow, h, w));

  if (test.n > 0) {
    let groups: Int32Array[];
    if (test.labels) {
      groups = groupRows(test.labels, Math.max(test.numClasses, 1 + Math.max(...test.labels)));
    } else {
      const nGroups = Math.max(1, Math.floor(test.n / m));
      groups = Array.from({ length: nGroups }, (_, g) => Int32Array.from({ length: Math.min(m, test.n - g * m) }, (_, j) => g * m + j));
    }
    const fewRows = setRows(opts, test, groups.filter((g) => g.length > 0).slice(0, GRID.fewShotRows), rng);
    if (fewRows.length) put('few-shot.png', encodeGrid(fewRows, m, GRID.samplesPerRow, h, w));
  }
  return written;
}
