// Fail safe, resume compatibility (real CLI): a --resume whose --set does not fit the checkpoint is refused with one
// line naming the key, the checkpoint's value and the asked value (exit 2) before anything is written, so
// config.json stays as it was and a plain --resume still works; a config.json or data that no longer match the
// checkpoint (model shapes, the training pixels) are refused the same way.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, errorLines, parseMetrics, runCli, tinyArgs } from './helpers.js';

const OUT = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-compat-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

let n = 0;
/** a fresh copy of the finished 1-epoch run */
const copy = (): string => {
  const dir = join(OUT, `copy-${++n}`);
  cpSync(join(OUT, 'base'), dir, { recursive: true });
  return dir;
};

beforeAll(() => {
  const r = runCli(tinyArgs(OUT, 'base', ['train.epochs=1']));
  expect(r.code, r.stderr.slice(-800)).toBe(0);
});

describe('--resume with an incompatible --set', () => {
  it.each([
    ['model.hidden=64', /^error: resume: model\.hidden .*16, asked 64/],
    ['cluster.k=5', /^error: resume: cluster\.k .*4, asked 5/],
    ['mode=vae', /^error: resume: mode .*"uvhe", asked "vae"/],
    ['train.batchSize=8', /^error: resume: train\.batchSize .*128, asked 8/],
    ['model.zDim=7', /^error: resume: model\.zDim .*20, asked 7/],
    ['data.limit=30', /^error: resume: data\.limit .*0, asked 30/],
  ])('--set %s: one line naming the key and both values, exit 2, config.json untouched, a plain --resume still works', (kv, re) => {
    const dir = copy();
    const before = readFileSync(join(dir, 'config.json'));
    const r = runCli(['--resume', dir, '--set', kv, '--set', 'train.epochs=2']);
    expect(r.code, r.stderr.slice(-800)).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(re);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(readFileSync(join(dir, 'config.json'))).toEqual(before);
    const ok = runCli(['--resume', dir, '--set', 'train.epochs=2', '--set', 'train.progress=lines']);
    expect(ok.code, ok.stderr.slice(-800)).toBe(0);
    expect(ok.stderr).toContain('resumed at epoch 2');
    expect(parseMetrics(dir).filter((l) => l.kind === 'epoch').map((l) => l.epoch)).toEqual([1, 2]);
  });

  it('keys that may change (train.lr, eval.every, runtime.workers, checkpoint.every) are accepted', () => {
    const dir = copy();
    const r = runCli(['--resume', dir, '--set', 'train.epochs=2', '--set', 'train.lr=0.002', '--set', 'eval.every=2',
      '--set', 'runtime.workers=2', '--set', 'checkpoint.every=2', '--set', 'train.progress=lines']);
    expect(r.code, r.stderr.slice(-800)).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).train.lr).toBe(0.002);
  });

  it('fewer epochs than the checkpoint has done are refused (exit 2), the folder untouched', () => {
    const dir = copy();
    runCli(['--resume', dir, '--set', 'train.epochs=2']);
    const before = readFileSync(join(dir, 'summary.txt'), 'utf8');
    const r = runCli(['--resume', dir, '--set', 'train.epochs=1']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)[0]).toMatch(/^error: resume: train\.epochs .*checkpoint has 2, asked 1/);
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toBe(before);
  });
});

describe('a checkpoint that no longer matches', () => {
  it('a config.json whose model.hidden was changed after the checkpoint is refused naming both values', () => {
    const dir = copy();
    const p = join(dir, 'config.json');
    const cfg = JSON.parse(readFileSync(p, 'utf8'));
    cfg.model.hidden = 64;
    writeFileSync(p, JSON.stringify(cfg, null, 2) + '\n');
    const r = runCli(['--resume', dir, '--set', 'train.epochs=2']);
    expect(r.code).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(/^error: resume: model\.hidden differs from the checkpoint's: the checkpoint has 16, asked 64/);
  });

  it('changed training pixels (same files, same sizes) are refused by the checkpoint\'s data fingerprint', () => {
    const data = join(OUT, 'data');
    cpSync(FIXTURE, data, { recursive: true });
    const r0 = runCli(tinyArgs(OUT, 'fp', ['train.epochs=1', `data.dir=${data}`]));
    expect(r0.code, r0.stderr.slice(-800)).toBe(0);
    const img = join(data, 'train-images-idx3-ubyte.gz');
    const raw = gunzipSync(readFileSync(img));
    raw[16 + 14 * 28 + 14] ^= 0x5a; // one pixel in the middle of the first image
    writeFileSync(img, gzipSync(raw));
    const before = readFileSync(join(OUT, 'fp', 'config.json'));
    const r = runCli(['--resume', join(OUT, 'fp'), '--set', 'train.epochs=2']);
    expect(r.code, r.stderr.slice(-800)).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(/^error: resume: data \(hash of the training pixels\) differs from the checkpoint's/);
    expect(readFileSync(join(OUT, 'fp', 'config.json'))).toEqual(before);
  });
});
