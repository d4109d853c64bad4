// NaN/Inf in the loss: the run stops with one line naming the epoch, the step and the term; the last good
// checkpoint and every metrics line written so far stay intact; with a skip budget the bad step is skipped.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { emptyConfig } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
function run(args: string[], fault: string): { code: number; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, UVHE_FAULT: fault },
  });
  return { code: r.status ?? -1, stderr: r.stderr };
}
const tiny = (out: string, name: string): string[] => [
  ...emptyConfig(out), '--set', 'data.source=idx', '--set', `data.dir=${join(ROOT, 'test/fixtures/tiny-mnist-idx')}`, '--set', `outDir=${out}`,
  '--set', `name=${name}`, '--set', 'model.hidden=16', '--set', 'cluster.k=4', '--set', 'train.batchSize=16',
  '--set', 'train.epochs=3', '--set', 'train.progress=lines',
];

describe('non-finite loss', () => {
  it('stops with exit 3 naming epoch, step and term; keeps the epoch-1 checkpoint and metrics', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-nan-'));
    // 60 examples / batch 16 = 4 steps per epoch: global step 6 is epoch 2, step 2
    const r = run(tiny(out, 'a'), 'nan@6');
    expect(r.code).toBe(3);
    const err = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/loss term total is NaN at epoch 2, step 2 of 4/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    const lines = readFileSync(join(out, 'a/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1]);
    expect(loadCheckpoint(join(out, 'a/checkpoint.bin')).meta.epoch).toBe(1);
  });

  it('with train.skipNonFinite=1 the bad step is skipped and the run completes', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-nan-'));
    const r = run([...tiny(out, 'b'), '--set', 'train.skipNonFinite=1'], 'nan@6');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped a step: loss term total is NaN at epoch 2, step 2/);
    const lines = readFileSync(join(out, 'b/metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[2]['train/skippedSteps']).toBe(1);
    for (const l of lines) expect(Number.isFinite(l['loss/total'])).toBe(true);
  });
});
