// IDX parser: round trips through the writer (raw and gzip), and one test per kind of corruption.

import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { datasetSpecOf, loadDataset, loadIdxDir } from '../../src/data/dataset.js';
import {
  DataError,
  decodeIdx,
  parseIdxImages,
  parseIdxLabels,
  readIdx,
  readIdxImages,
  readIdxLabels,
} from '../../src/data/idx.js';
import { encodeIdx, gzip, writeIdx, writeIdxImages, writeIdxLabels } from '../../src/data/write-idx.js';

const root = mkdtempSync(join(tmpdir(), 'uvhe-idx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirCount = 0;
const freshDir = (): string => {
  const d = join(root, `d${dirCount++}`);
  mkdirSync(d);
  return d;
};

/** Deterministic small images: n×rows×cols bytes. */
function pattern(n: number, rows: number, cols: number): Uint8Array {
  const a = new Uint8Array(n * rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = (i * 37 + (i >> 3)) & 0xff;
  return a;
}

/** Runs fn, expects a DataError, checks it is one line naming the file, returns the message. */
function dataError(fn: () => unknown, file: string): string {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataError);
  const msg = (err as DataError).message;
  expect(msg).not.toMatch(/[\r\n]/);
  expect(msg.startsWith(`data: ${file}: `)).toBe(true);
  return msg;
}

/** A directory with the four standard files. */
function makeDir(opts: {
  gz: boolean;
  nTrain?: number;
  nTest?: number;
  labels?: boolean;
  rows?: number;
  cols?: number;
}): string {
  const { gz, nTrain = 7, nTest = 3, labels = true, rows = 28, cols = 28 } = opts;
  const dir = freshDir();
  const ext = gz ? '.gz' : '';
  writeIdxImages(join(dir, `train-images-idx3-ubyte${ext}`), pattern(nTrain, rows, cols), nTrain, rows, cols);
  writeIdxImages(join(dir, `t10k-images-idx3-ubyte${ext}`), pattern(nTest, rows, cols).reverse(), nTest, rows, cols);
  if (labels) {
    writeIdxLabels(
      join(dir, `train-labels-idx1-ubyte${ext}`),
      Array.from({ length: nTrain }, (_, i) => i % 10),
    );
    writeIdxLabels(
      join(dir, `t10k-labels-idx1-ubyte${ext}`),
      Array.from({ length: nTest }, (_, i) => (i * 3) % 10),
    );
  }
  return dir;
}

describe('IDX round trip', () => {
  it('encodes the documented header', () => {
    const b = encodeIdx([2, 1, 3], new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(Array.from(b)).toEqual([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
  });

  for (const gz of [false, true]) {
    it(`images and labels, ${gz ? 'gzip' : 'raw'}, odd shape`, () => {
      const dir = freshDir();
      const px = pattern(5, 3, 7);
      const ext = gz ? '.gz' : '';
      const imgBytes = writeIdxImages(join(dir, `img${ext}`), px, 5, 3, 7);
      const labBytes = writeIdxLabels(join(dir, `lab${ext}`), [0, 9, 3, 3, 7]);
      expect(imgBytes[0] === 0x1f && imgBytes[1] === 0x8b).toBe(gz);
      const img = readIdxImages(join(dir, `img${ext}`));
      expect([img.n, img.rows, img.cols]).toEqual([5, 3, 7]);
      expect(img.pixels).toEqual(px);
      expect(img.pixels.byteOffset).toBe(0);
      expect(img.pixels.buffer.byteLength).toBe(5 * 3 * 7);
      const lab = readIdxLabels(join(dir, `lab${ext}`));
      expect(lab).toBeInstanceOf(Int32Array);
      expect(Array.from(lab)).toEqual([0, 9, 3, 3, 7]);
      // parse* take bytes directly as well
      expect(parseIdxImages(imgBytes, 'x').pixels).toEqual(px);
      expect(Array.from(parseIdxLabels(labBytes, 'x'))).toEqual([0, 9, 3, 3, 7]);
    });
  }

  it('gzip is detected by content, not by name', () => {
    const dir = freshDir();
    const f = join(dir, 'no-extension');
    writeIdx(f, [3], new Uint8Array([1, 2, 3]), { gzip: true });
    expect(Array.from(readIdx(f, 1).data)).toEqual([1, 2, 3]);
  });

  it('accepts zero examples at the parser level', () => {
    const t = decodeIdx(encodeIdx([0, 28, 28], new Uint8Array(0)), 'f', 3);
    expect(t.dims).toEqual([0, 28, 28]);
  });

  it('larger label range via numClasses', () => {
    const b = encodeIdx([3], new Uint8Array([0, 25, 11]));
    expect(Array.from(parseIdxLabels(b, 'f', 26))).toEqual([0, 25, 11]);
  });
});

describe('IDX errors: one line naming the file and the problem', () => {
  it('bad magic (not IDX at all)', () => {
    const f = join(freshDir(), 'train-images-idx3-ubyte');
    writeFileSync(f, 'hello, world: this is not an IDX file');
    const m = dataError(() => readIdxImages(f), f);
    expect(m).toContain('bad magic 0x68656c6c');
    expect(m).toContain('not an IDX file');
  });

  it('unsupported element type (float32)', () => {
    const b = encodeIdx([2], new Uint8Array([1, 2]));
    b[2] = 0x0d;
    const m = dataError(() => parseIdxLabels(b, 'labels.idx'), 'labels.idx');
    expect(m).toContain('element type 0x0d (float32) is not supported');
  });

  it('unsupported number of dimensions', () => {
    const b = new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 0, 1, 5]);
    expect(dataError(() => decodeIdx(b, 'm.idx'), 'm.idx')).toContain('2 dimensions; only 1 (labels) or 3 (images)');
  });

  it('label file where images are expected', () => {
    const f = join(freshDir(), 'swapped');
    writeIdxLabels(f, [1, 2, 3]);
    expect(dataError(() => readIdxImages(f), f)).toContain(
      'expected an image file (magic 0x00000803, 3 dimensions) but found a label file',
    );
  });

  it('file shorter than the magic / header', () => {
    expect(dataError(() => decodeIdx(new Uint8Array([0, 0]), 'tiny'), 'tiny')).toContain(
      'too short for the 4-byte IDX magic',
    );
    const m = dataError(() => decodeIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]), 'hdr'), 'hdr');
    expect(m).toContain('header is truncated: 3 dimensions need a 16-byte header but the file has only 10 bytes');
  });

  it('truncated raw file: expected vs actual bytes and where the data ends', () => {
    const dir = freshDir();
    const f = join(dir, 'train-images-idx3-ubyte');
    writeIdxImages(f, pattern(10, 28, 28), 10, 28, 28);
    const full = readFileSync(f);
    writeFileSync(f, full.subarray(0, full.length - 100));
    const m = dataError(() => readIdxImages(f), f);
    expect(m).toBe(
      `data: ${f}: payload truncated: dims 10×28×28 need 7840 bytes but 7740 are present (data ends at byte offset 7756, expected 7856)`,
    );
  });

  it('trailing bytes are an error too', () => {
    const b = encodeIdx([3], new Uint8Array([1, 2, 3]));
    const longer = new Uint8Array(b.length + 2);
    longer.set(b);
    expect(dataError(() => parseIdxLabels(longer, 'l'), 'l')).toContain(
      'payload too long: dims 3 need 3 bytes but 5 are present',
    );
  });

  it('payload of a gzip file: offsets refer to the decompressed stream', () => {
    const raw = encodeIdx([4], new Uint8Array([1, 2, 3, 4])).subarray(0, 10);
    const m = dataError(() => parseIdxLabels(gzip(raw), 'l.gz'), 'l.gz');
    expect(m).toContain('data ends at byte offset 10 of the decompressed stream, expected 12');
  });

  it('truncated gzip: a clean DataError, not a zlib crash', () => {
    const dir = freshDir();
    const f = join(dir, 'train-images-idx3-ubyte.gz');
    writeIdxImages(f, pattern(20, 28, 28), 20, 28, 28);
    const full = readFileSync(f);
    writeFileSync(f, full.subarray(0, Math.floor(full.length / 2)));
    const m = dataError(() => readIdxImages(f), f);
    expect(m).toMatch(
      /gzip stream is truncated \(Z_BUF_ERROR: unexpected end of file\); the \d+-byte file is incomplete/,
    );
  });

  it('corrupt gzip', () => {
    const g = Uint8Array.from(gzip(encodeIdx([3], new Uint8Array([1, 2, 3]))));
    g[3] = 0xff; // reserved flag bits
    g.fill(0xff, 10, 14);
    expect(dataError(() => parseIdxLabels(g, 'bad.gz'), 'bad.gz')).toContain(
      'gzip stream is corrupt (Z_DATA_ERROR: unknown header flags set)',
    );
  });

  it('label out of range: index, value and byte offset of the first bad label', () => {
    const dir = freshDir();
    const f = join(dir, 'train-labels-idx1-ubyte.gz');
    writeIdxLabels(f, [0, 1, 2, 3, 4, 11, 12, 5]);
    expect(dataError(() => readIdxLabels(f), f)).toBe(
      `data: ${f}: label 11 at index 5 (byte offset 13) is out of range 0..9`,
    );
  });

  it('image / label count mismatch', () => {
    const dir = makeDir({ gz: true, nTrain: 6 });
    const lab = join(dir, 'train-labels-idx1-ubyte.gz');
    writeIdxLabels(lab, [1, 2, 3, 4, 5]);
    const img = join(dir, 'train-images-idx3-ubyte.gz');
    expect(dataError(() => loadIdxDir(dir), lab)).toBe(`data: ${lab}: has 5 labels but ${img} has 6 images`);
  });

  it('missing file, missing directory, not a directory', () => {
    const f = join(freshDir(), 'nope-idx1-ubyte');
    expect(dataError(() => readIdxLabels(f), f)).toBe(`data: ${f}: file not found`);
    const d = join(root, 'no-such-dir');
    expect(dataError(() => loadIdxDir(d), d)).toBe(`data: ${d}: directory not found`);
    const notDir = join(freshDir(), 'plain-file');
    writeFileSync(notDir, 'x');
    expect(dataError(() => loadIdxDir(notDir), notDir)).toBe(`data: ${notDir}: is not a directory`);
  });

  it('directory without the test images names the missing file', () => {
    const dir = makeDir({ gz: false });
    rmSync(join(dir, 't10k-images-idx3-ubyte'));
    const missing = join(dir, 't10k-images-idx3-ubyte');
    expect(dataError(() => loadIdxDir(dir), missing)).toBe(`data: ${missing}: file not found (also tried .gz)`);
  });

  it('train and test image sizes must agree', () => {
    const dir = makeDir({ gz: false, labels: false });
    writeIdxImages(join(dir, 't10k-images-idx3-ubyte'), pattern(2, 14, 14), 2, 14, 14);
    expect(dataError(() => loadIdxDir(dir), dir)).toContain('train images are 28×28 but test images are 14×14');
  });
});

describe('loadIdxDir', () => {
  for (const gz of [false, true]) {
    it(`loads the four files (${gz ? '.gz' : 'raw'})`, () => {
      const dir = makeDir({ gz, nTrain: 7, nTest: 3 });
      const s = loadIdxDir(dir);
      expect([s.train.n, s.train.rows, s.train.cols, s.test.n]).toEqual([7, 28, 28, 3]);
      expect(s.train.images).toEqual(pattern(7, 28, 28));
      expect(s.test.images).toEqual(pattern(3, 28, 28).reverse());
      expect(Array.from(s.train.labels!)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(Array.from(s.test.labels!)).toEqual([0, 3, 6]);
      expect([s.train.numClasses, s.test.numClasses]).toEqual([7, 7]); // labels 0..6: max label + 1
      expect(s.train.name).toMatch(/\/train$/);
      expect(s.source).toContain(gz ? 'train-images-idx3-ubyte.gz' : 'train-images-idx3-ubyte,');
    });
  }

  it('labels are optional (null, numClasses 0)', () => {
    const s = loadIdxDir(makeDir({ gz: true, labels: false }));
    expect(s.train.labels).toBeNull();
    expect(s.test.labels).toBeNull();
    expect(s.train.numClasses).toBe(0);
  });

  it('accepts the dotted (Kaggle) spelling train-images.idx3-ubyte', () => {
    const dir = freshDir();
    writeIdxImages(join(dir, 'train-images.idx3-ubyte'), pattern(4, 2, 2), 4, 2, 2);
    writeIdxImages(join(dir, 't10k-images.idx3-ubyte'), pattern(2, 2, 2), 2, 2, 2);
    const s = loadIdxDir(dir);
    expect([s.train.n, s.test.n, s.train.rows]).toEqual([4, 2, 2]);
  });

  it('limit keeps the first examples of each split', () => {
    const s = loadIdxDir(makeDir({ gz: false, nTrain: 9, nTest: 5 }), { limit: 4 });
    expect([s.train.n, s.test.n]).toEqual([4, 4]);
    expect(s.train.images).toEqual(pattern(9, 28, 28).subarray(0, 4 * 784));
    expect(Array.from(s.train.labels!)).toEqual([0, 1, 2, 3]);
    expect(s.train.labels!.length).toBe(4);
  });

  it('reads the committed tiny MNIST fixture', () => {
    const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tiny-mnist-idx');
    const s = loadIdxDir(dir);
    expect([s.train.n, s.test.n, s.train.rows, s.train.cols]).toEqual([60, 20, 28, 28]);
    expect(new Set(s.train.labels).size).toBe(10);
    expect(s.train.numClasses).toBe(10);
  });
});

describe('the number of classes of an IDX set comes from its labels', () => {
  /** A 6-class set (labels 0..5, the 5 only in the test file), through the loader the CLI uses. */
  function sixClassDir(): string {
    const dir = freshDir();
    writeIdxImages(join(dir, 'train-images-idx3-ubyte.gz'), pattern(12, 4, 4), 12, 4, 4);
    writeIdxImages(join(dir, 't10k-images-idx3-ubyte.gz'), pattern(6, 4, 4), 6, 4, 4);
    writeIdxLabels(
      join(dir, 'train-labels-idx1-ubyte.gz'),
      Array.from({ length: 12 }, (_, i) => i % 5),
    );
    writeIdxLabels(join(dir, 't10k-labels-idx1-ubyte.gz'), [5, 4, 3, 2, 1, 0]);
    return dir;
  }

  it('a 6-class set has numClasses 6 (so the final re-clustering uses k = 6), train and test', () => {
    const cfg = resolveConfig({ data: { source: 'idx', dir: sixClassDir(), deskew: 'off' } });
    const s = loadDataset(datasetSpecOf(cfg));
    expect(s.train.numClasses).toBe(6);
    expect(s.test.numClasses).toBe(6);
  });

  it('counts every label of both files, not only those a limit keeps', () => {
    const s = loadIdxDir(sixClassDir(), { limit: 3 });
    expect([s.train.n, s.test.n]).toEqual([3, 3]);
    expect([s.train.numClasses, s.test.numClasses]).toEqual([6, 6]);
  });

  /** A folder with tiny images and these train / test labels (raw files). */
  function labelledDir(train: number[], test: number[]): string {
    const dir = freshDir();
    writeIdxImages(join(dir, 'train-images-idx3-ubyte'), pattern(train.length, 2, 2), train.length, 2, 2);
    writeIdxImages(join(dir, 't10k-images-idx3-ubyte'), pattern(test.length, 2, 2), test.length, 2, 2);
    writeIdxLabels(join(dir, 'train-labels-idx1-ubyte'), train);
    writeIdxLabels(join(dir, 't10k-labels-idx1-ubyte'), test);
    return dir;
  }

  it('more than 10 classes: labels above 9 are classes too', () => {
    const train = Array.from({ length: 26 }, (_, i) => (i * 7) % 26);
    expect(loadIdxDir(labelledDir(train, [3, 1])).train.numClasses).toBe(26);
  });

  it('a label above a class that never occurs is refused (a corrupt byte, or a set that skips a class)', () => {
    const dir = labelledDir([0, 1, 2, 3, 4, 5], [5, 4, 200, 0]);
    const m = dataError(() => loadIdxDir(dir), join(dir, 't10k-labels-idx1-ubyte'));
    expect(m).toContain('label 200 at index 2 (byte offset 10) is out of range 0..5');
  });

  it('labels that do not start at 0 are refused', () => {
    const dir = labelledDir([1, 2, 3], [1, 2]);
    const m = dataError(() => loadIdxDir(dir), join(dir, 'train-labels-idx1-ubyte'));
    expect(m).toContain('label 1 at index 0 (byte offset 8): no label is 0');
  });

  it('an explicit numClasses still fixes it and bounds the labels', () => {
    const dir = sixClassDir();
    expect(loadIdxDir(dir, { numClasses: 8 }).train.numClasses).toBe(8);
    const m = dataError(() => loadIdxDir(dir, { numClasses: 5 }), join(dir, 't10k-labels-idx1-ubyte.gz'));
    expect(m).toContain('label 5 at index 0');
  });

  it('test labels only: the train split stays unlabelled (0), the test split counts its own', () => {
    const dir = sixClassDir();
    rmSync(join(dir, 'train-labels-idx1-ubyte.gz'));
    const s = loadIdxDir(dir);
    expect([s.train.labels, s.train.numClasses, s.test.numClasses]).toEqual([null, 0, 6]);
  });
});
