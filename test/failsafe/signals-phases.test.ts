// Fail safe, Ctrl-C in the phases the run waits for on the pool (real CLI): a relabel the trainer waits for and
// the final re-clustering run on worker threads, so the main thread takes the signal, destroys that pool and exits
// 130 within seconds, naming what it skipped; nothing of that phase is kept, the checkpoint before it stands, and
// --resume redoes the phase and completes the run with final/acc. UVHE_FAULT=pause@relabel:n / pause@final block a
// pool worker in that phase for 60 s (as a long KMeans pass at large k does), so the signal lands inside it on a
// machine of any speed. And UVHE_FAULT=worker@N kills the pool's worker threads under a task: the run completes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { parseMetrics, runCli, startCli, tinyArgs, waitFor } from './helpers.js';

const OUT = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-phases-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** Exit within this long of the signal (the goal is 2 s; the bound leaves room for a loaded machine), ms. */
const EXIT_BOUND_MS = 5000;

describe.each([
  // the 2nd relabel (epoch 2 of 3, KMeans at refit "epoch": the trainer waits for it), after the 1st checkpoint
  ['a KMeans relabel the trainer waits for', 'pause@relabel:2', ['train.epochs=3', 'cluster.refit=epoch', 'cluster.embed=none'], 'relabel', 'the relabel of epoch 2', 3],
  // the final re-clustering of the last epoch (2), after the 1st checkpoint
  ['the final re-clustering', 'pause@final', ['train.epochs=2', 'eval.embed=spectral'], 'final re-clustering', 'the final re-clustering', 2],
] as const)('SIGINT during %s', (_what, fault, sets, held, skipped, epochs) => {
  it('exits 130 within seconds naming what it skipped, keeps the last checkpoint, and --resume completes with final/acc', async () => {
    const name = fault.replace(/\W/g, '-');
    const dir = join(OUT, name);
    const child = startCli(tinyArgs(OUT, name, [...sets]), { UVHE_FAULT: fault });
    await waitFor(() => child.stderr().includes(`fault: holding a pool worker in the ${held}`), `the held ${held}`, 90_000, child);
    if (held === 'relabel') await waitFor(() => child.stderr().includes('relabel of epoch 2: running …'), 'the relabel progress line', 20_000, child);
    const t0 = performance.now();
    child.proc.kill('SIGINT');
    const r = await child.exited;
    const ms = performance.now() - t0;
    const err = child.stderr();
    expect(r.signal, err.slice(-800)).toBeNull();
    expect(r.code, err.slice(-800)).toBe(130);
    expect(ms, err.slice(-800)).toBeLessThan(EXIT_BOUND_MS);
    expect(err).toMatch(new RegExp(`^SIGINT: skipped ${skipped}, the image grids`, 'm'));
    expect(err).toContain(`stopped: the last checkpoint (epoch 1) stands; continue with: npm start -- --resume ${dir}`);
    expect(err).not.toMatch(/^\s+at /m);
    expect(Number(loadCheckpoint(join(dir, 'checkpoint.bin')).meta.epoch)).toBe(1);

    const res = runCli(['--resume', dir]);
    expect(res.code, res.stderr.slice(-800)).toBe(0);
    const lines = parseMetrics(dir).filter((l) => l.kind === 'epoch');
    expect(lines.map((l) => l.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
    expect(typeof lines.at(-1)!['final/acc']).toBe('number');
    expect(Number(loadCheckpoint(join(dir, 'checkpoint.bin')).meta.epoch)).toBe(epochs);
  }, 240_000);
});

describe('a pool worker killed under a task (UVHE_FAULT=worker@N)', () => {
  it('the task re-runs on a replacement, the run completes and metrics.jsonl counts the restart', () => {
    const name = 'worker-death';
    const r = runCli(tinyArgs(OUT, name, ['train.epochs=2', 'runtime.workers=2']), 180_000, { UVHE_FAULT: 'worker@3' });
    expect(r.code, r.stderr.slice(-800)).toBe(0);
    const lines = parseMetrics(join(OUT, name)).filter((l) => l.kind === 'epoch');
    expect(lines).toHaveLength(2);
    expect(Number(lines.at(-1)!['pool/workerRestarts'])).toBeGreaterThanOrEqual(1);
    expect(typeof lines.at(-1)!['final/acc']).toBe('number');
  }, 240_000);
});
