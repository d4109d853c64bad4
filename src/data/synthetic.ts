// Seeded synthetic image sets with known classes, unlike digits in kind, for the quality suite (bench/quality.ts).
//
// shapes: 5 balanced classes of simple shapes (filled disc, filled square, filled triangle, cross, ring) at a
// random position and scale, 24×24. textures: 4 unbalanced classes (sizes in ratio 4:2:1:1) of whole-image
// textures (horizontal, vertical and diagonal stripes, a dot lattice) at a random period and phase, 20×20.
// Every draw comes from src/util/rng.ts, so a (kind, n, seed) always gives the same bytes.
import { Rng, deriveSeed } from '../util/rng.js';
import { writeIdxImages, writeIdxLabels } from './write-idx.js';
import { join } from 'node:path';

/** A generated set: n images of rows×cols bytes (0..255, row-major) and their classes in 0..classes-1. */
export interface SyntheticSet {
  /** n×rows×cols pixels */
  images: Uint8Array;
  /** n classes */
  labels: Int32Array;
  rows: number;
  cols: number;
  classes: number;
}

export type SyntheticKind = 'shapes' | 'textures';

export const SHAPE_CLASSES = ['disc', 'square', 'triangle', 'cross', 'ring'] as const;
export const TEXTURE_CLASSES = ['hstripes', 'vstripes', 'dstripes', 'dots'] as const;
/** textures' class sizes are in this ratio (the first class the most common) */
export const TEXTURE_WEIGHTS = [4, 2, 1, 1] as const;

const SHAPE_SIZE = 24;
const TEXTURE_SIZE = 20;
/** sub-samples per pixel side: coverage is averaged over SUB×SUB points, so edges are anti-aliased */
const SUB = 3;

/**
 * Class counts for n examples split in proportion to `weights` (largest remainders; sums to n).
 * Each count is at least 1 when n ≥ weights.length.
 */
export function apportionCounts(n: number, weights: readonly number[]): Int32Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const counts = new Int32Array(weights.length);
  const rem = weights.map((w, i) => {
    const exact = (n * w) / total;
    counts[i] = Math.floor(exact);
    return { i, r: exact - counts[i]! };
  });
  let left = n - counts.reduce((a, b) => a + b, 0);
  rem.sort((a, b) => b.r - a.r || a.i - b.i);
  for (let j = 0; left > 0; j = (j + 1) % rem.length, left--) counts[rem[j]!.i]!++;
  if (n >= weights.length) {
    // a class rounded to 0 takes one example from the largest
    for (let c = 0; c < counts.length; c++) {
      if (counts[c] === 0) { let big = 0; for (let b = 1; b < counts.length; b++) if (counts[b]! > counts[big]!) big = b; counts[big]!--; counts[c] = 1; }
    }
  }
  return counts;
}

/** Labels with the given class counts, in a seeded random order. */
function shuffledLabels(counts: Int32Array, rng: Rng): Int32Array {
  const n = counts.reduce((a, b) => a + b, 0);
  const labels = new Int32Array(n);
  let o = 0;
  for (let c = 0; c < counts.length; c++) labels.fill(c, o, (o += counts[c]!));
  return rng.shuffle(labels);
}

/** Uniform double in [lo, hi). */
const uniform = (rng: Rng, lo: number, hi: number): number => lo + (hi - lo) * rng.nextFloat();

/** Writes one image from an ink function ink(x, y) ∈ [0, 1] (x, y in pixel units, centres at .5) plus noise. */
function render(out: Uint8Array, off: number, size: number, rng: Rng, opts: { contrast: number; noise: number; ink: (x: number, y: number) => number }): void {
  const { contrast, noise, ink } = opts;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let s = 0;
      for (let i = 0; i < SUB; i++) for (let j = 0; j < SUB; j++) s += ink(c + (j + 0.5) / SUB, r + (i + 0.5) / SUB);
      const v = (s / (SUB * SUB)) * contrast + noise * rng.normal();
      out[off + r * size + c] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
  }
}

/** Ink of shape class `cls` centred at (cx, cy) with half-size h (pixels), rotated by angle a (radians). */
function shapeInk(cls: number, cx: number, cy: number, h: number, a: number): (x: number, y: number) => number {
  const ca = Math.cos(a), sa = Math.sin(a);
  return (x, y) => {
    // coordinates in the shape's frame, in units of h
    const dx = x - cx, dy = y - cy;
    const u = (ca * dx + sa * dy) / h, v = (-sa * dx + ca * dy) / h;
    const r = Math.hypot(u, v);
    switch (cls) {
      case 0: return r <= 1 ? 1 : 0; // filled disc
      case 1: return Math.abs(u) <= 0.8 && Math.abs(v) <= 0.8 ? 1 : 0; // filled square
      case 2: return v <= 0.6 && v >= -1 + 1.6 * Math.abs(u) * 1.15 ? 1 : 0; // filled triangle, apex up
      case 3: return (Math.abs(u) <= 0.22 && Math.abs(v) <= 1) || (Math.abs(v) <= 0.22 && Math.abs(u) <= 1) ? 1 : 0; // cross
      default: return r <= 1 && r >= 0.62 ? 1 : 0; // ring
    }
  };
}

/** Ink of texture class `cls`: period p (pixels), phase φ (radians), a small orientation jitter j (radians). */
function textureInk(cls: number, p: number, phase: number, jitter: number, ox: number, oy: number): (x: number, y: number) => number {
  const k = (2 * Math.PI) / p;
  // stripes: a hard-edged wave across direction θ (horizontal stripes vary along y)
  const stripes = (theta: number) => {
    const cx = Math.cos(theta), cy = Math.sin(theta);
    return (x: number, y: number) => (Math.sin(k * (cx * x + cy * y) + phase) > 0.1 ? 1 : 0);
  };
  switch (cls) {
    case 0: return stripes(Math.PI / 2 + jitter);
    case 1: return stripes(jitter);
    case 2: return stripes(Math.PI / 4 + jitter);
    default: {
      // a square lattice of discs of radius 0.28·p
      const rad = 0.28 * p;
      return (x, y) => {
        const u = ((x - ox) % p + p) % p - p / 2, v = ((y - oy) % p + p) % p - p / 2;
        return u * u + v * v <= rad * rad ? 1 : 0;
      };
    }
  }
}

/**
 * `shapes`: n 24×24 images, 5 balanced classes (counts differ by at most 1). Each shape has a half-size of 4 to
 * 8.5 pixels, a centre anywhere that keeps it inside the frame, a rotation (square, triangle, cross: up to ±25°),
 * an ink level of 0.7 to 1, and Gaussian pixel noise of sd 0.04 (in units of full ink).
 */
export function makeShapes(n: number, seed: number): SyntheticSet {
  const size = SHAPE_SIZE, classes = SHAPE_CLASSES.length;
  const rng = new Rng(deriveSeed(seed, 'synthetic/shapes'));
  const labels = shuffledLabels(apportionCounts(n, new Array<number>(classes).fill(1)), rng);
  const images = new Uint8Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const h = uniform(rng, 4, 8.5);
    const cx = uniform(rng, h + 0.5, size - h - 0.5), cy = uniform(rng, h + 0.5, size - h - 0.5);
    const a = uniform(rng, -0.44, 0.44);
    render(images, i * size * size, size, rng, { contrast: uniform(rng, 0.7, 1), noise: 0.04, ink: shapeInk(labels[i]!, cx, cy, h, a) });
  }
  return { images, labels, rows: size, cols: size, classes };
}

/**
 * `textures`: n 20×20 images, 4 classes with sizes in ratio 4:2:1:1 (TEXTURE_WEIGHTS). Stripes (horizontal,
 * vertical, 45°) and a dot lattice, each at a period of 3.5 to 7 pixels, a random phase or lattice offset, an
 * orientation jitter of up to ±8°, an ink level of 0.6 to 1, and Gaussian pixel noise of sd 0.06.
 */
export function makeTextures(n: number, seed: number): SyntheticSet {
  const size = TEXTURE_SIZE, classes = TEXTURE_CLASSES.length;
  const rng = new Rng(deriveSeed(seed, 'synthetic/textures'));
  const labels = shuffledLabels(apportionCounts(n, TEXTURE_WEIGHTS), rng);
  const images = new Uint8Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const p = uniform(rng, 3.5, 7);
    const phase = uniform(rng, 0, 2 * Math.PI);
    const jitter = uniform(rng, -0.14, 0.14);
    const ox = uniform(rng, 0, p), oy = uniform(rng, 0, p);
    render(images, i * size * size, size, rng, { contrast: uniform(rng, 0.6, 1), noise: 0.06, ink: textureInk(labels[i]!, p, phase, jitter, ox, oy) });
  }
  return { images, labels, rows: size, cols: size, classes };
}

export const PROTOTYPE_CLASSES = 10;
const PROTOTYPE_SIZE = 28;

/**
 * `prototypes`: n 28×28 images (the size of MNIST), 10 balanced classes, cheap enough for millions of images
 * (scale tests and benchmarks: one pass of a few operations per pixel). Each class has a template of three soft
 * Gaussian strokes at random places; an image is its class's template shifted by up to ±2 pixels each way, at an
 * ink level of 0.6 to 1, plus uniform pixel noise of ±0.1.
 */
export function makePrototypes(n: number, seed: number): SyntheticSet {
  const size = PROTOTYPE_SIZE, classes = PROTOTYPE_CLASSES, P = size * size;
  const rng = new Rng(deriveSeed(seed, 'synthetic/prototypes'));
  const templates = new Float32Array(classes * P);
  for (let c = 0; c < classes; c++) {
    for (let s = 0; s < 3; s++) {
      const cx = uniform(rng, 6, 22), cy = uniform(rng, 6, 22), sx = uniform(rng, 1.5, 6), sy = uniform(rng, 1.5, 6);
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        templates[c * P + y * size + x] += Math.exp(-(((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2) / 2);
      }
    }
    for (let t = 0; t < P; t++) templates[c * P + t] = Math.min(1, templates[c * P + t]!);
  }
  const labels = shuffledLabels(apportionCounts(n, new Array<number>(classes).fill(1)), rng);
  const images = new Uint8Array(n * P);
  for (let i = 0; i < n; i++) {
    const dx = rng.below(5) - 2, dy = rng.below(5) - 2, ink = uniform(rng, 0.6, 1), tp = labels[i]! * P, o = i * P;
    for (let y = 0; y < size; y++) {
      const sy = y - dy;
      for (let x = 0; x < size; x++) {
        const sx = x - dx;
        const v = (sx >= 0 && sx < size && sy >= 0 && sy < size ? ink * templates[tp + sy * size + sx]! : 0) + 0.2 * (rng.nextFloat() - 0.5);
        images[o + y * size + x] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
    }
  }
  return { images, labels, rows: size, cols: size, classes };
}

/** The generator of a kind. */
export function makeSynthetic(kind: SyntheticKind, n: number, seed: number): SyntheticSet {
  return kind === 'shapes' ? makeShapes(n, seed) : makeTextures(n, seed);
}

/**
 * Writes a train split of nTrain and a test split of nTest (drawn from independent streams of `seed`) as an IDX
 * folder that `data.source: "idx"` reads: train-/t10k-images-idx3-ubyte and train-/t10k-labels-idx1-ubyte.
 */
export function writeSyntheticIdx(dir: string, kind: SyntheticKind, sizes: { nTrain: number; nTest: number; seed: number }): void {
  const train = makeSynthetic(kind, sizes.nTrain, deriveSeed(sizes.seed, 'train'));
  const test = makeSynthetic(kind, sizes.nTest, deriveSeed(sizes.seed, 'test'));
  for (const [set, pre] of [[train, 'train'], [test, 't10k']] as const) {
    writeIdxImages(join(dir, `${pre}-images-idx3-ubyte`), set.images, set.labels.length, set.rows, set.cols);
    writeIdxLabels(join(dir, `${pre}-labels-idx1-ubyte`), set.labels);
  }
}
