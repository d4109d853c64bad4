// Fail safe, checkpoint integrity: the header and the arrays are under one checksum and the length is exact, so
// an edit of the epoch, an RNG state or Adam's step, and appended bytes, are one-line `checkpoint:` errors, in
// loadCheckpoint and through the real CLI (exit 2). Format-1 files (no header checksum) still load, length and
// array checksum checked.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { errorLines, parseMetrics, runCli, tinyArgs } from './helpers.js';

const OUT = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-ckpt-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

const META = { epoch: 1, stepInEpoch: 0, step: 15, adamT: 15, rng: [123456789, 987654321, null], mode: 'uvhe', n: 60 };
const ARRAYS = { 'param/w': Float32Array.from([1.5, -2, 3]), perm: Int32Array.from([2, 0, 1]), 'engine/rng': Uint32Array.from([1, 2, 3, 4]) };

/** a format-1 file, as it was written before format 2 */
function v1Bytes(meta: Record<string, unknown>, arrays: Record<string, Float32Array | Int32Array | Uint32Array>): Buffer {
  const dt = (a: object): string => (a instanceof Float32Array ? 'f32' : a instanceof Int32Array ? 'i32' : 'u32');
  const entries = Object.entries(arrays).map(([name, a]) => ({ name, dtype: dt(a), length: a.length }));
  let crc = 0;
  for (const a of Object.values(arrays)) crc = crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), crc);
  const json = Buffer.from(JSON.stringify({ meta, entries, crc }), 'utf8');
  const head = Buffer.alloc(16);
  head.write('UVHECKPT', 0, 'latin1'); head.writeUInt32LE(1, 8); head.writeUInt32LE(json.length, 12);
  const pad = Buffer.alloc((8 - ((16 + json.length) % 8)) % 8);
  return Buffer.concat([head, json, pad, ...Object.values(arrays).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength))]);
}

/** the file with the first occurrence of `from` replaced by `to` (same length) */
function edit(path: string, from: string, to: string): void {
  const b = readFileSync(path);
  const i = b.indexOf(from);
  expect(i, `${from} in ${path}`).toBeGreaterThanOrEqual(0);
  expect(to.length).toBe(from.length);
  b.write(to, i, 'latin1');
  writeFileSync(path, b);
}

describe('loadCheckpoint', () => {
  const p = join(OUT, 'unit.bin');
  const fresh = (): void => saveCheckpoint(p, { meta: META, arrays: ARRAYS });

  it('round-trips meta and arrays', () => {
    fresh();
    const back = loadCheckpoint(p);
    expect(back.meta).toEqual(META);
    expect(Array.from(back.arrays['engine/rng'])).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['the epoch', '"epoch":1', '"epoch":7'],
    ['an RNG state', '123456789', '123456780'],
    ['Adam\'s step', '"adamT":15', '"adamT":95'],
    ['the mode', '"uvhe"', '"vhe "'],
  ])('an edit of %s is a one-line checkpoint error', (_what, from, to) => {
    fresh();
    edit(p, from, to);
    expect(() => loadCheckpoint(p)).toThrow(/^checkpoint: .*: corrupt: checksum mismatch/);
  });

  it('a flipped bit in an array is refused', () => {
    fresh();
    const b = readFileSync(p);
    b[b.length - 10] ^= 1;
    writeFileSync(p, b);
    expect(() => loadCheckpoint(p)).toThrow(/^checkpoint: .*checksum mismatch/);
  });

  it('appended bytes are refused', () => {
    fresh();
    writeFileSync(p, Buffer.concat([readFileSync(p), Buffer.from('tail')]));
    expect(() => loadCheckpoint(p)).toThrow(/^checkpoint: .*: 4 unexpected bytes after the end/);
  });

  it('an unknown version is refused', () => {
    fresh();
    const b = readFileSync(p);
    b.writeUInt32LE(9, 8);
    writeFileSync(p, b);
    expect(() => loadCheckpoint(p)).toThrow(/^checkpoint: .*version 9 is not supported/);
  });

  it('format 1 still loads (length and array checksum checked); with appended bytes or a damaged array it is refused', () => {
    const v1 = v1Bytes(META, ARRAYS);
    writeFileSync(p, v1);
    const back = loadCheckpoint(p);
    expect(back.version).toBe(1);
    expect(back.meta).toEqual(META);
    expect(Array.from(back.arrays.perm)).toEqual([2, 0, 1]);
    writeFileSync(p, Buffer.concat([v1, Buffer.alloc(8)]));
    expect(() => loadCheckpoint(p)).toThrow(/unexpected bytes after the end/);
    const bad = Buffer.from(v1); bad[bad.length - 1] ^= 1;
    writeFileSync(p, bad);
    expect(() => loadCheckpoint(p)).toThrow(/array checksum mismatch/);
  });
});

describe('--resume of an edited checkpoint (real CLI)', () => {
  beforeAll(() => {
    const r = runCli(tinyArgs(OUT, 'base', ['train.epochs=1']));
    expect(r.code, r.stderr.slice(-800)).toBe(0);
  });

  it.each([
    ['"epoch":1 → 7', (p: string) => edit(p, '"epoch":1', '"epoch":7'), /^error: checkpoint: .*checksum mismatch/],
    ['Adam step', (p: string) => { const b = readFileSync(p); const i = b.indexOf('"adamT":') + 8; b[i] = b[i] === 0x39 ? 0x38 : b[i] + 1; writeFileSync(p, b); }, /^error: checkpoint: .*checksum mismatch/],
    ['appended bytes', (p: string) => writeFileSync(p, Buffer.concat([readFileSync(p), Buffer.alloc(64, 7)])), /^error: checkpoint: .*64 unexpected bytes after the end/],
  ] as Array<[string, (p: string) => void, RegExp]>)('%s: one line, exit 2, nothing trained or written', (name, damage, re) => {
    const dir = join(OUT, name.replace(/\W+/g, '-'));
    cpSync(join(OUT, 'base'), dir, { recursive: true });
    damage(join(dir, 'checkpoint.bin'));
    const cfg = readFileSync(join(dir, 'config.json'));
    const r = runCli(['--resume', dir, '--set', 'train.epochs=9']);
    expect(r.code, r.stderr.slice(-800)).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(re);
    expect(readFileSync(join(dir, 'config.json'))).toEqual(cfg);
    expect(parseMetrics(dir).filter((l) => l.kind === 'epoch')).toHaveLength(1);
  });
});
