// New images for `uvhe assign` and the API: from IDX files (a folder's t10k-/train- files, or one images file) or PNG
// files (a folder of them, or one), as n×rows×cols bytes (0..255, row-major, 0 = background), with labels where the
// IDX set has them. Every problem is a DataError naming the file.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { DataError } from '../data/data-error.js';
import { IDX_FILES } from '../data/dataset.js';
import { checkCountsAgree, readIdxImages, readIdxLabels } from '../data/idx.js';

/** Images read for assignment. */
export interface InputImages {
  n: number;
  rows: number;
  cols: number;
  /** n×rows×cols bytes */
  images: Uint8Array;
  /** n labels from an IDX labels file, or null */
  labels: Int32Array | null;
  /** PNG input: the n file names (the CSV's first column); null for IDX (rows are named by index) */
  names: string[] | null;
  /** what was read, for the terminal */
  source: string;
}

/** Which IDX split of a folder to read: t10k-* (test), train-*, or both (train rows first). */
export type IdxSplit = 'test' | 'train' | 'all';

/** The existing file for an IDX base name in dir (raw, .gz, or a dot before idx), or null. */
function findIdx(dir: string, entries: Set<string>, base: string): string | null {
  const dotted = base.replace('-idx', '.idx');
  for (const name of [base, `${base}.gz`, dotted, `${dotted}.gz`]) if (entries.has(name)) return join(dir, name);
  return null;
}

/** Grey level of one RGBA pixel over a black background: Rec. 601 luma of the colour times its alpha, 0..255. */
function grey(d: Uint8Array, o: number): number {
  return Math.round(((0.299 * d[o]! + 0.587 * d[o + 1]! + 0.114 * d[o + 2]!) * d[o + 3]!) / 255);
}

function readPng(file: string, out: Uint8Array, rows: number, cols: number): void {
  let png: PNG;
  try { png = PNG.sync.read(readFileSync(file)); } catch (e) { throw new DataError(file, `not a readable PNG (${(e as Error).message.split('\n')[0]})`); }
  if (png.height !== rows || png.width !== cols) throw new DataError(file, `is ${png.width}×${png.height} pixels; the run's images are ${cols}×${rows}`);
  const d = png.data as unknown as Uint8Array; // RGBA, 4 bytes per pixel, whatever the file's colour type
  for (let p = 0; p < rows * cols; p++) out[p] = grey(d, 4 * p);
}

/** PNG files (sorted by name) as images of rows×cols. */
function readPngs(files: string[], rows: number, cols: number, source: string): InputImages {
  const P = rows * cols, images = new Uint8Array(files.length * P);
  files.forEach((f, i) => readPng(f, images.subarray(i * P, (i + 1) * P), rows, cols));
  return { n: files.length, rows, cols, images, labels: null, names: files.map((f) => basename(f)), source };
}

function readIdxPair(imgFile: string, labFile: string | null): InputImages {
  const img = readIdxImages(imgFile);
  if (img.n === 0) throw new DataError(imgFile, 'contains 0 images');
  let labels: Int32Array | null = null;
  if (labFile) {
    labels = readIdxLabels(labFile, 256);
    checkCountsAgree(imgFile, img.n, labFile, labels.length);
  }
  return { n: img.n, rows: img.rows, cols: img.cols, images: img.pixels, labels, names: null, source: [imgFile, labFile].filter(Boolean).join(' + ') };
}

/**
 * Reads `path`: a folder of IDX files (`split` picks t10k-*, train-* or both; labels when their files are there), a
 * folder of .png files, one IDX images file, or one .png file. Images must be rows×cols (the run's size).
 */
export function readInputImages(path: string, rows: number, cols: number, split: IdxSplit = 'test'): InputImages {
  const abs = resolve(path);
  let st;
  try { st = statSync(abs); } catch { throw new DataError(abs, 'no such file or folder'); }
  if (st.isFile()) {
    if (extname(abs).toLowerCase() === '.png') return readPngs([abs], rows, cols, abs);
    return checkSize(readIdxPair(abs, null), rows, cols, abs);
  }
  const entries = new Set(readdirSync(abs));
  const pngs = [...entries].filter((f) => extname(f).toLowerCase() === '.png').sort();
  const test = findIdx(abs, entries, IDX_FILES.testImages), train = findIdx(abs, entries, IDX_FILES.trainImages);
  if (!test && !train) {
    if (pngs.length) return readPngs(pngs.map((f) => join(abs, f)), rows, cols, `${pngs.length} PNG files in ${abs}`);
    throw new DataError(abs, `holds no IDX images (${IDX_FILES.testImages}, ${IDX_FILES.trainImages}, raw or .gz) and no .png files`);
  }
  const one = (which: 'test' | 'train'): InputImages => {
    const img = which === 'test' ? test : train;
    if (!img) throw new DataError(join(abs, which === 'test' ? IDX_FILES.testImages : IDX_FILES.trainImages), 'file not found (also tried .gz)');
    return checkSize(readIdxPair(img, findIdx(abs, entries, which === 'test' ? IDX_FILES.testLabels : IDX_FILES.trainLabels)), rows, cols, img);
  };
  if (split !== 'all') return one(split);
  const a = one('train'), b = one('test');
  const images = new Uint8Array(a.images.length + b.images.length);
  images.set(a.images); images.set(b.images, a.images.length);
  const labels = a.labels && b.labels ? Int32Array.from([...a.labels, ...b.labels]) : null;
  return { ...a, n: a.n + b.n, images, labels, source: `${a.source}, ${b.source}` };
}

function checkSize(x: InputImages, rows: number, cols: number, file: string): InputImages {
  if (x.rows !== rows || x.cols !== cols) throw new DataError(file, `holds ${x.rows}×${x.cols} images; the run's images are ${rows}×${cols}`);
  return x;
}
