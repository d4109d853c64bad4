// Fail safe, the end of a run (real CLI): --resume of a finished run says so and touches nothing; with more
// train.epochs it trains them; a run stopped after its last epoch but before its outputs completes them from the
// checkpoint without training again; a run killed before its first checkpoint cannot be resumed, and says why.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorLines, metricsLines, parseMetrics, runCli, snapshotTree, startCli, tinyArgs, waitFor } from './helpers.js';

const OUT = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-finished-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

let n = 0;
const copy = (): string => {
  const dir = join(OUT, `copy-${++n}`);
  cpSync(join(OUT, 'base'), dir, { recursive: true, preserveTimestamps: true });
  return dir;
};

beforeAll(() => {
  const r = runCli(tinyArgs(OUT, 'base', ['train.epochs=1']));
  expect(r.code, r.stderr.slice(-800)).toBe(0);
});

describe('--resume of a finished run', () => {
  it('says "already finished at epoch 1 of 1", exits 0 and changes no file', () => {
    const dir = copy();
    const before = snapshotTree(dir);
    const r = runCli(['--resume', dir]);
    expect(r.code, r.stderr.slice(-800)).toBe(0);
    expect(r.stderr).toContain('already finished at epoch 1 of 1');
    expect(r.stderr).not.toContain('resumed at epoch');
    expect(snapshotTree(dir)).toEqual(before);
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toContain('epochs: 1 of 1\n');
  });

  it('with a larger train.epochs trains the extra epochs', () => {
    const dir = copy();
    const r = runCli(['--resume', dir, '--set', 'train.epochs=2', '--set', 'train.progress=lines']);
    expect(r.code, r.stderr.slice(-800)).toBe(0);
    expect(r.stderr).toContain('resumed at epoch 2');
    expect(parseMetrics(dir).filter((l) => l.kind === 'epoch').map((l) => l.epoch)).toEqual([1, 2]);
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toMatch(/^epochs: 2 of 2$/m);
  });
});

describe('a run stopped after its last epoch, before its outputs', () => {
  it('--resume completes report, model export and summary from the checkpoint without training again', () => {
    const dir = copy();
    const summary = readFileSync(join(dir, 'summary.txt'), 'utf8');
    const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
    for (const f of ['summary.txt', 'model', 'report.html', 'reconstructions.png']) rmSync(join(dir, f), { recursive: true });
    const r = runCli(['--resume', dir, '--set', 'train.progress=lines']);
    expect(r.code, r.stderr.slice(-800)).toBe(0);
    expect(r.stderr).toContain('completing the outputs');
    expect(r.stderr).not.toContain('resumed at epoch');
    expect(r.stderr).not.toMatch(/^epoch \d/m);
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(metrics);
    // the same summary as the run wrote itself: epochs, nats and accuracy of the last epoch
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toBe(summary.replace(join(OUT, 'base'), dir));
    for (const f of ['model', 'report.html', 'reconstructions.png']) expect(existsSync(join(dir, f)), f).toBe(true);
    // and now it is finished
    const again = runCli(['--resume', dir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already finished at epoch 1 of 1');
  });
});

describe('a run killed before its first checkpoint', () => {
  it('--resume says there is no checkpoint yet and that the run must be started again (one line, exit 2)', async () => {
    const dir = join(OUT, 'early');
    // checkpoint.every=0: the only checkpoint would be at the end (or on Ctrl-C); SIGKILL leaves none
    const child = startCli(tinyArgs(OUT, 'early', ['train.epochs=200', 'train.batchSize=4', 'checkpoint.every=0']));
    await waitFor(() => metricsLines(dir).length >= 1, 'the first epoch', 90_000, child);
    child.proc.kill('SIGKILL');
    await child.exited;
    expect(existsSync(join(dir, 'checkpoint.bin'))).toBe(false);
    const before = readFileSync(join(dir, 'config.json'));
    const r = runCli(['--resume', dir]);
    expect(r.code, r.stderr.slice(-800)).toBe(2);
    expect(errorLines(r.stderr)).toHaveLength(1);
    expect(errorLines(r.stderr)[0]).toMatch(/^error: resume: .* has no checkpoint yet \(no .*checkpoint\.bin\): .*start the run again/);
    expect(readFileSync(join(dir, 'config.json'))).toEqual(before);
  });
});
