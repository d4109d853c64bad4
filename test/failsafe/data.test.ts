// Fail safe, data: every broken IDX input is one DataError line naming the file (or folder) and the byte offset
// or count, through loadDataset / loadIdxDir and once through the real CLI (exit 2, no stack trace); and a
// seeded fuzz of byte flips and truncations (raw and .gz) never hangs or crashes the loader.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, loadDataset, loadIdxDir, type Split } from '../../src/data/dataset.js';
import { encodeIdx, gzip, writeIdxImages, writeIdxLabels } from '../../src/data/write-idx.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/tiny-mnist-idx');
const TMP = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-data-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => { const d = join(TMP, `d${dirs++}`); mkdirSync(d); return d; };

const TI = 'train-images-idx3-ubyte', TL = 'train-labels-idx1-ubyte', SI = 't10k-images-idx3-ubyte', SL = 't10k-labels-idx1-ubyte';

function pixels(n: number, rows: number, cols: number, salt = 0): Uint8Array {
  const a = new Uint8Array(n * rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = (i * 31 + salt * 7 + (i >> 2)) & 0xff;
  return a;
}
const labels = (n: number): number[] => Array.from({ length: n }, (_, i) => i % 10);

/** A valid directory of the four files (small images), raw or .gz. */
function validDir(opts: { gz?: boolean; nTrain?: number; nTest?: number; rows?: number; cols?: number; testRows?: number; testCols?: number } = {}): string {
  const { gz = false, nTrain = 6, nTest = 4, rows = 5, cols = 4, testRows = rows, testCols = cols } = opts;
  const d = freshDir(), ext = gz ? '.gz' : '';
  writeIdxImages(join(d, TI + ext), pixels(nTrain, rows, cols), nTrain, rows, cols);
  writeIdxLabels(join(d, TL + ext), labels(nTrain));
  writeIdxImages(join(d, SI + ext), pixels(nTest, testRows, testCols, 1), nTest, testRows, testCols);
  writeIdxLabels(join(d, SL + ext), labels(nTest));
  return d;
}

/** Runs fn, expects a DataError with a one-line message naming `names`; returns the message. */
function dataError(fn: () => unknown, names: string): string {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err, 'expected a DataError').toBeInstanceOf(DataError);
  const msg = (err as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  expect(msg.startsWith('data: ')).toBe(true);
  expect(msg).toContain(names);
  return msg;
}
const idxSpec = (dir: string): Parameters<typeof loadDataset>[0] => ({ source: 'idx', dir, testFraction: 0.2, seed: 1 });

describe('broken IDX data: one line naming the file and the offset or count', () => {
  it('a missing directory', () => {
    const dir = join(TMP, 'does-not-exist');
    expect(dataError(() => loadDataset(idxSpec(dir)), dir)).toBe(`data: ${dir}: directory not found`);
  });

  it('a directory without the train images (names the file looked for)', () => {
    const d = freshDir();
    expect(dataError(() => loadIdxDir(d), join(d, TI))).toMatch(/file not found \(also tried \.gz\)/);
  });

  it.each([false, true])('a bad magic number (gz=%s)', (gz) => {
    const d = validDir({ gz });
    const f = join(d, SI + (gz ? '.gz' : ''));
    const raw = encodeIdx([4, 5, 4], pixels(4, 5, 4));
    raw[0] = 0x12; raw[1] = 0x34;
    writeFileSync(f, gz ? gzip(raw) : raw);
    expect(dataError(() => loadDataset(idxSpec(d)), f)).toMatch(/bad magic 0x12340803/);
  });

  it('an element type other than unsigned byte (magic byte 2)', () => {
    const d = validDir();
    const f = join(d, TI);
    const raw = encodeIdx([6, 5, 4], pixels(6, 5, 4));
    raw[2] = 0x0d;
    writeFileSync(f, raw);
    expect(dataError(() => loadIdxDir(d), f)).toMatch(/element type 0x0d \(float32\)/);
  });

  it('a label file where an image file belongs', () => {
    const d = validDir();
    copyFileSync(join(d, TL), join(d, TI));
    expect(dataError(() => loadIdxDir(d), join(d, TI))).toMatch(/expected an image file .* found a label file/);
  });

  it('a truncated .gz (names the file and its byte count)', () => {
    const d = validDir({ gz: true });
    const f = join(d, TI + '.gz');
    const bytes = readFileSync(f);
    writeFileSync(f, bytes.subarray(0, bytes.length - 10));
    expect(dataError(() => loadIdxDir(d), f)).toMatch(new RegExp(`gzip stream is truncated .*the ${bytes.length - 10}-byte file is incomplete`));
  });

  it('a corrupt .gz (checksum)', () => {
    const d = validDir({ gz: true });
    const f = join(d, TL + '.gz');
    const bytes = Buffer.from(readFileSync(f));
    bytes[bytes.length - 6] ^= 0xff; // inside the CRC-32 trailer
    writeFileSync(f, bytes);
    expect(dataError(() => loadIdxDir(d), f)).toMatch(/gzip stream is (corrupt|truncated)/);
  });

  it('a truncated raw image file (byte offsets)', () => {
    const d = validDir();
    const f = join(d, TI);
    const bytes = readFileSync(f); // 16 + 6·5·4 = 136 bytes
    writeFileSync(f, bytes.subarray(0, 100));
    expect(dataError(() => loadIdxDir(d), f)).toBe(
      `data: ${f}: payload truncated: dims 6×5×4 need 120 bytes but 84 are present (data ends at byte offset 100, expected 136)`);
  });

  it('a truncated header', () => {
    const d = validDir();
    const f = join(d, SI);
    writeFileSync(f, readFileSync(f).subarray(0, 9));
    expect(dataError(() => loadIdxDir(d), f)).toMatch(/header is truncated: 3 dimensions need a 16-byte header but the file has only 9 bytes/);
  });

  it('image and label counts that differ (names both counts)', () => {
    const d = validDir({ gz: true });
    const f = join(d, TL + '.gz');
    writeIdxLabels(f, labels(5));
    expect(dataError(() => loadIdxDir(d), f)).toBe(`data: ${f}: has 5 labels but ${join(d, TI + '.gz')} has 6 images`);
  });

  it('a label out of range (index and byte offset)', () => {
    const d = validDir();
    const f = join(d, SL);
    writeIdxLabels(f, [1, 2, 3, 12]);
    expect(dataError(() => loadIdxDir(d), f)).toBe(`data: ${f}: label 12 at index 3 (byte offset 11) is out of range 0..5`);
  });

  it('images of a different size in train and test (names the folder and both sizes)', () => {
    const d = validDir({ testRows: 4, testCols: 5 });
    expect(dataError(() => loadDataset(idxSpec(d)), d)).toMatch(/train images are 5×4 but test images are 4×5/);
  });

  it('an image file with 0 images', () => {
    const d = validDir();
    writeIdxImages(join(d, TI), new Uint8Array(0), 0, 5, 4);
    writeIdxLabels(join(d, TL), []);
    expect(dataError(() => loadIdxDir(d), join(d, TI))).toMatch(/contains 0 images/);
  });

  it('the real CLI on a truncated .gz: exit 2, one line naming the file, no stack trace', () => {
    const d = freshDir();
    for (const f of [TI, TL, SI, SL]) copyFileSync(join(FIXTURE, f + '.gz'), join(d, f + '.gz'));
    const f = join(d, TI + '.gz');
    const bytes = readFileSync(f);
    writeFileSync(f, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const out = freshDir();
    writeFileSync(join(out, 'run.json'), '{}');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), '--config', join(out, 'run.json'),
      '--set', 'data.source=idx', '--set', `data.dir=${d}`, '--set', `outDir=${out}`, '--set', 'train.progress=none',
      '--set', 'runtime.backend=wasm'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`error: data: ${f}: ` + lines[0].slice(`error: data: ${f}: `.length));
    expect(lines[0]).toMatch(new RegExp(`gzip stream is truncated .*the ${Math.floor(bytes.length / 2)}-byte file is incomplete`));
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

/** xorshift32: a seeded stream for the fuzz cases. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

describe('fuzz: byte flips and truncations of a small valid IDX file never hang or crash', () => {
  it.each([['raw', false], ['.gz', true]] as const)('%s files', (_label, gz) => {
    // one valid directory as the source of the four files' bytes
    const src = validDir({ gz, nTrain: 6, nTest: 4 });
    const ext = gz ? '.gz' : '';
    const names = [TI, TL, SI, SL].map((b) => b + ext);
    const orig = names.map((n) => new Uint8Array(readFileSync(join(src, n))));
    const rand = rng(gz ? 0xdecaf : 0xc0ffee);
    const CASES = 300;
    let loaded = 0, refused = 0;
    const t0 = performance.now();
    const d = freshDir();
    for (let i = 0; i < names.length; i++) writeFileSync(join(d, names[i]!), orig[i]!);
    let prev = -1;
    for (let c = 0; c < CASES; c++) {
      const which = Math.floor(rand() * names.length);
      const bytes = orig[which]!.slice();
      let mutated: Uint8Array = bytes;
      const kind = rand();
      if (kind < 0.45) {
        // flip 1–4 random bytes (a random xor, never 0)
        const flips = 1 + Math.floor(rand() * 4);
        for (let i = 0; i < flips; i++) bytes[Math.floor(rand() * bytes.length)] ^= 1 + Math.floor(rand() * 255);
      } else if (kind < 0.8) {
        mutated = bytes.subarray(0, Math.floor(rand() * bytes.length)); // truncate (possibly to 0 bytes)
      } else {
        // flip a byte of the header (the first 16 bytes of the raw stream, or of the gzip member)
        bytes[Math.floor(rand() * Math.min(16, bytes.length))] ^= 1 << Math.floor(rand() * 8);
        if (rand() < 0.5) mutated = bytes.subarray(0, bytes.length - 1 - Math.floor(rand() * 8));
      }
      if (prev >= 0) writeFileSync(join(d, names[prev]!), orig[prev]!); // restore the previous case's file
      writeFileSync(join(d, names[which]!), mutated);
      prev = which;
      let split: Split | undefined;
      try {
        split = loadIdxDir(d);
      } catch (e) {
        if (!(e instanceof DataError)) throw new Error(`case ${c} (${names[which]}): not a DataError: ${String((e as Error).stack ?? e)}`);
        if (/[\r\n]/.test(e.message) || !e.message.startsWith('data: ') || e.message.length > 400) {
          throw new Error(`case ${c} (${names[which]}): not a one-line data error: ${JSON.stringify(e.message)}`);
        }
        refused++;
        continue;
      }
      // it loaded: the result must be self-consistent
      loaded++;
      for (const part of [split.train, split.test]) {
        expect(part.images.length).toBe(part.n * part.rows * part.cols);
        if (part.labels) {
          expect(part.labels.length).toBe(part.n);
          expect(part.labels.every((l) => l >= 0 && l < 10)).toBe(true);
        }
      }
    }
    const ms = performance.now() - t0;
    expect(loaded + refused).toBe(CASES);
    expect(refused).toBeGreaterThan(CASES / 2); // most mutations must be caught
    expect(ms).toBeLessThan(20_000);
  });
});
