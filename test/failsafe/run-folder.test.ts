// Fail safe, the run folder (real CLI): stale temporary files are removed when a run is resumed; a full disk is a
// one-line error naming the file (exit 2) that keeps the previous checkpoint and leaves no partial file; one
// process per run folder (a lock with the owner's pid, a stale one taken over); name and outDir are checked up
// front with one-line errors (exit 2), and nothing is written outside outDir.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { errorLines, metricsLines, parseMetrics, runCli, startCli, tinyArgs, waitFor } from './helpers.js';

const OUT = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-folder-'));
afterAll(() => {
  try { chmodSync(join(OUT, 'ro'), 0o755); } catch { /* absent */ }
  rmSync(OUT, { recursive: true, force: true });
});

const temps = (dir: string): string[] => [...readdirSync(dir), ...(existsSync(join(dir, 'model')) ? readdirSync(join(dir, 'model')) : [])].filter((f) => f.includes('.tmp-'));

beforeAll(() => {
  const r = runCli(tinyArgs(OUT, 'base', ['train.epochs=1']));
  expect(r.code, r.stderr.slice(-800)).toBe(0);
});

describe('stale temporary files', () => {
  it('are removed when a run is resumed, with a message', () => {
    const dir = join(OUT, 'stale');
    cpSync(join(OUT, 'base'), dir, { recursive: true });
    writeFileSync(join(dir, 'checkpoint.bin.tmp-999999'), Buffer.alloc(1 << 20));
    writeFileSync(join(dir, 'summary.txt.tmp-888888'), 'half a summ');
    writeFileSync(join(dir, 'model', 'x.json.tmp-777777'), '{');
    const r = runCli(['--resume', dir, '--set', 'train.epochs=2']);
    expect(r.code, r.stderr.slice(-800)).toBe(0);
    expect(r.stderr).toMatch(/removed 3 stale temporary files of interrupted writes \(1\.0 MB\)/);
    expect(temps(dir)).toEqual([]);
  });
});

describe('a full disk (UVHE_FAULT=enospc@<file>:<n>: that write stops half way with ENOSPC)', () => {
  it('while writing the 2nd checkpoint: one line naming the file, exit 2, the 1st checkpoint intact, no partial file, no lock', () => {
    const dir = join(OUT, 'full');
    const r = runCli(tinyArgs(OUT, 'full', ['train.epochs=3']), 120_000, { UVHE_FAULT: 'enospc@checkpoint.bin:2' });
    expect(r.code, r.stderr.slice(-800)).toBe(2);
    expect(errorLines(r.stderr)).toEqual([`error: disk: cannot write ${join(dir, 'checkpoint.bin')}: no space left on device (ENOSPC)`]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(Number(loadCheckpoint(join(dir, 'checkpoint.bin')).meta.epoch)).toBe(1);
    expect(temps(dir)).toEqual([]);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    // the run goes on from that checkpoint once there is room again
    const res = runCli(['--resume', dir, '--set', 'train.progress=lines']);
    expect(res.code, res.stderr.slice(-800)).toBe(0);
    expect(res.stderr).toContain('resumed at epoch 2');
    expect(parseMetrics(dir).filter((l) => l.kind === 'epoch').map((l) => l.epoch)).toEqual([1, 2, 3]);
  });

  it('while writing metrics.jsonl or summary.txt: one line naming that file, exit 2', () => {
    const m = runCli(tinyArgs(OUT, 'full-metrics', ['train.epochs=1']), 120_000, { UVHE_FAULT: 'enospc@metrics.jsonl' });
    expect(m.code, m.stderr.slice(-800)).toBe(2);
    expect(errorLines(m.stderr)).toEqual([`error: disk: cannot write ${join(OUT, 'full-metrics', 'metrics.jsonl')}: no space left on device (ENOSPC)`]);
    const s = runCli(tinyArgs(OUT, 'full-summary', ['train.epochs=1']), 120_000, { UVHE_FAULT: 'enospc@summary.txt' });
    expect(s.code, s.stderr.slice(-800)).toBe(2);
    expect(errorLines(s.stderr)).toEqual([`error: disk: cannot write ${join(OUT, 'full-summary', 'summary.txt')}: no space left on device (ENOSPC)`]);
    expect(temps(join(OUT, 'full-summary'))).toEqual([]);
  });
});

describe('one process per run folder', () => {
  it('a second --resume of a running folder is refused naming the owner\'s pid; the lock goes when the owner exits', async () => {
    const dir = join(OUT, 'busy');
    const child = startCli(tinyArgs(OUT, 'busy', ['train.epochs=200', 'train.batchSize=4']));
    let r: { code: number; stderr: string };
    try {
      await waitFor(() => metricsLines(dir).length >= 1 && existsSync(join(dir, 'checkpoint.bin')), 'the first checkpoint', 90_000, child);
      expect(readFileSync(join(dir, '.lock'), 'utf8').trim()).toBe(String(child.proc.pid));
      r = runCli(['--resume', dir], 40_000);
    } finally {
      child.proc.kill('SIGINT');
    }
    expect(r.code, r.stderr.slice(-800)).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(new RegExp(`^error: run folder .* is in use by process ${child.proc.pid} `));
    expect((await child.exited).code).toBe(130);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    // metrics of one process only: epochs 1, 2, ... in order
    const epochs = parseMetrics(dir).filter((l) => l.kind === 'epoch').map((l) => Number(l.epoch));
    expect(epochs).toEqual(epochs.map((_, i) => i + 1));
  });

  it('a stale lock (its process is gone) is taken over with a message', () => {
    const dir = join(OUT, 'stale-lock');
    cpSync(join(OUT, 'base'), dir, { recursive: true });
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dir, '.lock'), `${gone}\n`);
    const r = runCli(['--resume', dir, '--set', 'train.epochs=2']);
    expect(r.code, r.stderr.slice(-800)).toBe(0);
    expect(r.stderr).toContain(`taking over the stale lock of process ${gone}, which is no longer running`);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });

  it('the lock is removed after a refusal', () => {
    const dir = join(OUT, 'refused');
    cpSync(join(OUT, 'base'), dir, { recursive: true });
    expect(runCli(['--resume', dir, '--set', 'model.hidden=8']).code).toBe(2);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
  });
});

describe('name and outDir', () => {
  const file = join(OUT, 'a-file');
  writeFileSync(file, 'not a folder');
  const ro = join(OUT, 'ro');
  mkdirSync(ro);
  mkdirSync(join(OUT, 'runs')); // holds tinyArgs' empty config file
  chmodSync(ro, 0o555);
  // as root a mode-555 folder is writable: a read-only folder of the kernel's stands in
  const readOnly = process.getuid?.() === 0 ? '/sys/kernel' : ro;
  const cases: Array<[string, string[], RegExp]> = [
    ['name=../escape', ['name=../escape'], /^error: config: name "\.\.\/escape" must be one folder name/],
    ['name=a/b', ['name=a/b'], /^error: config: name "a\/b" must be one folder name/],
    ['name=..', ['name=..'], /^error: config: name "\.\." must be one folder name/],
    ['name of 300 characters', [`name=${'n'.repeat(300)}`], /^error: config: name "n+\.\.\." is 300 characters long; at most 100/],
    ['name of blanks', ['name=   '], /^error: config: name "   " is blank/],
    ['a file as outDir', [`outDir=${file}`], /^error: config: outDir .*a-file is a file, not a folder/],
    ['an outDir below a file', [`outDir=${file}/runs`], /^error: config: outDir .* cannot be created: .*a-file is a file, not a folder/],
    ['an empty outDir', ['outDir='], /^error: config: outDir is empty/],
    ['outDir=/proc/uvhe-runs', ['outDir=/proc/uvhe-runs'], /^error: config: outDir \/proc\/uvhe-runs cannot be created: mkdir \/proc\/uvhe-runs: /],
    ['outDir=/proc', ['outDir=/proc'], /^error: config: outDir \/proc is not writable: /],
    ['a read-only outDir', [`outDir=${readOnly}`], /^error: config: outDir .* is not writable: (permission denied \(EACCES\)|read-only file system \(EROFS\)|operation not permitted \(EPERM\))$/],
  ];
  it.each(cases)('%s: one line, exit 2, nothing written outside outDir', (_what, sets, re) => {
    // outDir=<OUT>/runs by default, so "../escape" would land in OUT
    const base = tinyArgs(join(OUT, 'runs'), 'x', ['train.epochs=1']);
    const args = [...base, ...sets.flatMap((s) => ['--set', s])];
    const r = runCli(args, 30_000);
    expect(r.code, r.stderr.slice(-800)).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(re);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(join(OUT, 'escape'))).toBe(false);
    expect(existsSync(join(process.cwd(), 'x'))).toBe(false);
  });

  it('a NUL byte in name (from a config file): one line, exit 2', () => {
    const cfg = join(OUT, 'nul.json');
    writeFileSync(cfg, JSON.stringify({ name: 'a\u0000b' }));
    // tinyArgs with this config file instead of the empty one, and without its name=
    const args = tinyArgs(join(OUT, 'runs'), 'x').slice(2);
    args.splice(args.indexOf('name=x') - 1, 2);
    const r = runCli(['--config', cfg, ...args], 30_000);
    expect(r.code, r.stderr.slice(-800)).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(/^error: config: name "a\\u0000b" contains a NUL byte/);
  });
});
