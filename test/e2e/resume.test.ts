// Checkpoints and resume through the real CLI: 2 epochs + --resume for 2 more equals 4 epochs straight, and a
// checkpoint file survives the interruption cases.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyConfig } from '../failsafe/helpers.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';

const ROOT = resolve(import.meta.dirname, '../..');
const cli = (args: string[]): { code: number; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stderr: r.stderr };
};
const tiny = (out: string, mode: string): string[] => [
  ...emptyConfig(out), '--set', `mode=${mode}`, '--set', 'data.source=idx', '--set', `data.dir=${join(ROOT, 'test/fixtures/tiny-mnist-idx')}`,
  '--set', `outDir=${out}`, '--set', 'model.hidden=32', '--set', 'cluster.k=4', '--set', 'train.batchSize=16', '--set', 'train.progress=none',
  // relabels between epochs: a background relabel lands at a step that depends on timing (background-resume.test.ts)
  '--set', 'cluster.refit=epoch',
];
const metrics = (dir: string): Array<Record<string, unknown>> =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
/** everything but wall-clock timings, and the final re-clustering (written by whichever epoch ends a run) */
const stable = (r: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('time/') && !k.startsWith('speed/') && !k.startsWith('final/')));

// auto picks the wasm-SIMD trainer here (no GPU, no libtensorflow); the tfjs wasm path resumes exactly too
const SIMD2 = ['--set', 'runtime.backend=simd', '--set', 'runtime.threads=2'];
describe.each([['uvhe', []], ['vhe', []], ['vae', SIMD2], ['uvhe', SIMD2], ['uvhe', ['--set', 'runtime.backend=wasm']]] as Array<[string, string[]]>)('resume in mode %s %j', (mode, extra) => {
  it('2 epochs + resume for 2 more gives the same metrics as 4 epochs straight', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-resume-'));
    expect(cli([...tiny(out, mode), ...extra, '--set', 'name=straight', '--set', 'train.epochs=4']).code).toBe(0);
    expect(cli([...tiny(out, mode), ...extra, '--set', 'name=split', '--set', 'train.epochs=2']).code).toBe(0);
    const r = cli(['--resume', join(out, 'split'), '--set', 'train.epochs=4', '--set', 'train.progress=lines']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('resumed at epoch 3');
    const a = metrics(join(out, 'straight')).map(stable), b = metrics(join(out, 'split')).map(stable);
    expect(b.map((x) => x.epoch)).toEqual([1, 2, 3, 4]);
    expect(b).toEqual(a);
    const [la, lb] = [metrics(join(out, 'straight'))[3], metrics(join(out, 'split'))[3]];
    expect(lb['final/acc']).toEqual(la['final/acc']);
  });
});

describe('checkpoint files', () => {
  it('round-trip arrays and metadata; refuse a truncated or corrupted file with one line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-ckpt-'));
    const p = join(dir, 'checkpoint.bin');
    const arrays = { a: Float32Array.from([1.5, -2, 3]), b: Int32Array.from([7, 8]), c: Uint32Array.from([1, 2, 3, 4]) };
    saveCheckpoint(p, { meta: { epoch: 3, rng: [1, null] }, arrays });
    const back = loadCheckpoint(p);
    expect(back.meta).toEqual({ epoch: 3, rng: [1, null] });
    expect(Array.from(back.arrays.a)).toEqual([1.5, -2, 3]);
    expect(back.arrays.b).toBeInstanceOf(Int32Array);
    expect(Array.from(back.arrays.c)).toEqual([1, 2, 3, 4]);
    const bytes = readFileSync(p);
    writeFileSync(p, bytes.subarray(0, bytes.length - 5));
    expect(() => loadCheckpoint(p)).toThrow(/truncated/);
    const flipped = Buffer.from(bytes); flipped[flipped.length - 2] ^= 0xff;
    writeFileSync(p, flipped);
    expect(() => loadCheckpoint(p)).toThrow(/checksum/);
    writeFileSync(p, 'hello');
    expect(() => loadCheckpoint(p)).toThrow(/bad magic/);
    expect(existsSync(p + `.tmp-${process.pid}`)).toBe(false);
  });

  it('--resume of a folder without a checkpoint: one line, exit 2', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-noresume-'));
    writeFileSync(join(out, 'config.json'), '{}');
    const r = cli(['--resume', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('checkpoint.bin');
  });
});
