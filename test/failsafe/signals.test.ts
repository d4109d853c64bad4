// Fail safe, signals: SIGINT / SIGTERM during a real run finish the step, write a loadable checkpoint and whole
// metrics lines, exit 130 / 143 within seconds, and --resume completes; a second SIGINT exits at once and the
// previous checkpoint still loads. A background relabel still running when the signal comes is stopped, not
// waited for, and the resumed run starts one again.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { metricsLines, parseMetrics, runCli, startCli, tinyArgs, waitFor } from './helpers.js';

const OUT = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-sig-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

// 15 steps per epoch, far more epochs than the test waits for: the run is still training when the signal comes
const LONG = ['train.epochs=200', 'train.batchSize=4'];

describe.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s during training', (sig, code) => {
  it(`exits ${code} within seconds, leaves a loadable checkpoint and whole metrics lines, and --resume completes`, async () => {
    const name = sig.toLowerCase();
    const dir = join(OUT, name);
    const child = startCli(tinyArgs(OUT, name, LONG));
    await waitFor(() => metricsLines(dir).length >= 1, 'the first metrics line', 90_000, child);
    const t0 = performance.now();
    child.proc.kill(sig);
    const r = await child.exited;
    const ms = performance.now() - t0;
    expect(r.signal).toBeNull();
    expect(r.code, child.stderr().slice(-800)).toBe(code);
    expect(ms).toBeLessThan(10_000);
    expect(child.stderr()).toContain(`${sig}: stopping after this step`);
    expect(child.stderr()).toContain(`continue with: npm start -- --resume ${dir}`);
    // a stop in training skips the outputs, and says so
    expect(child.stderr()).toContain(`${sig}: skipped the image grids, the cluster map, the report, the model export`);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    expect(child.stderr()).not.toMatch(/^\s+at /m);

    const ck = loadCheckpoint(join(dir, 'checkpoint.bin'));
    const epoch = Number(ck.meta.epoch);
    expect(epoch).toBeGreaterThanOrEqual(1);
    const lines = parseMetrics(dir);
    expect(lines.length).toBeGreaterThanOrEqual(1);
    // the metrics end at the checkpoint: no epoch line past it
    expect(Math.max(...lines.map((l) => Number(l.epoch)))).toBeLessThanOrEqual(epoch);

    const res = runCli(['--resume', dir, '--set', `train.epochs=${epoch + 1}`]);
    expect(res.code, res.stderr.slice(-800)).toBe(0);
    expect(res.stderr).toMatch(/resumed at epoch/);
    const after = parseMetrics(dir).filter((l) => l.kind === 'epoch');
    expect(after.map((l) => l.epoch)).toEqual(Array.from({ length: epoch + 1 }, (_, i) => i + 1));
    expect(Number(loadCheckpoint(join(dir, 'checkpoint.bin')).meta.epoch)).toBe(epoch + 1);
  });
});

describe('a second SIGINT', () => {
  it('exits at once (non-zero) and the previous checkpoint still loads', async () => {
    // The graceful stop after the first SIGINT takes hundreds of ms (checkpoint, image grids, report); on a loaded
    // machine it can finish before the second signal is sent, and then there is nothing left to cut short. Such an
    // attempt proves nothing either way, so it is run again, up to 3 times.
    for (let attempt = 1; ; attempt++) {
      const dir = join(OUT, `twice-${attempt}`);
      const child = startCli(tinyArgs(OUT, `twice-${attempt}`, LONG));
      await waitFor(() => metricsLines(dir).length >= 1 && existsSync(join(dir, 'checkpoint.bin')), 'the first checkpoint', 90_000, child);
      child.proc.kill('SIGINT');
      // the first one has been handled once its message is out
      await waitFor(() => child.stderr().includes('SIGINT: stopping after this step'), 'the first SIGINT to be handled', 20_000, child);
      if (child.stderr().includes('stopped: checkpoint written')) {
        await child.exited;
        if (attempt < 3) continue;
        throw new Error('the graceful stop finished before the second SIGINT in all 3 attempts');
      }
      const t0 = performance.now();
      child.proc.kill('SIGINT');
      const r = await child.exited;
      const ms = performance.now() - t0;
      const out = child.stderr();
      // the stop finished between the check above and the signal's arrival: the same lost race
      if (out.includes('stopped: checkpoint written') && attempt < 3) continue;
      expect(r.code).toBe(130);
      expect(ms).toBeLessThan(3_000);
      expect(out).not.toContain('stopped: checkpoint written');
      expect(out).not.toMatch(/^\s+at /m);
      expect(existsSync(join(dir, '.lock')), 'the lock is removed by the exit handler').toBe(false);
      const ck = loadCheckpoint(join(dir, 'checkpoint.bin'));
      expect(Number(ck.meta.epoch)).toBeGreaterThanOrEqual(1);
      parseMetrics(dir);
      return;
    }
  }, 300_000);
});

describe('SIGINT while a background relabel is still running', () => {
  it('stops it instead of waiting for it, checkpoints bgPending, and --resume completes', async () => {
    const dir = join(OUT, 'inflight');
    // One step per epoch against umap relabels (three layouts, ten mixtures each): a relabel outlasts many
    // epochs, so epochs end with it still running.
    const slow = ['train.epochs=2000', 'train.batchSize=1024', 'cluster.refit=background', 'cluster.embed=umap',
      'eval.every=0', 'checkpoint.every=0'];
    const child = startCli(tinyArgs(OUT, 'inflight', slow));
    await waitFor(() => metricsLines(dir).some((l) => (JSON.parse(l) as Record<string, unknown>)['cluster/inFlight'] === 1),
      'an epoch that ends with the relabel still running', 90_000, child);
    const t0 = performance.now();
    child.proc.kill('SIGINT');
    const r = await child.exited;
    const ms = performance.now() - t0;
    expect(r.code, child.stderr().slice(-800)).toBe(130);
    expect(ms).toBeLessThan(10_000);
    expect(child.stderr()).toContain('stopped: checkpoint written');
    expect(child.stderr()).not.toMatch(/^\s+at /m);
    const ck = loadCheckpoint(join(dir, 'checkpoint.bin'));
    expect(ck.meta.bgPending).toBe(true);
    const epoch = Number(ck.meta.epoch);
    // (the relabel keys are the run's own: --resume refuses to change them)
    const res = runCli(['--resume', dir, '--set', `train.epochs=${epoch + 2}`]);
    expect(res.code, res.stderr.slice(-800)).toBe(0);
    const last = parseMetrics(dir).filter((l) => l.kind === 'epoch').at(-1)!;
    expect(last.epoch).toBe(epoch + 2);
    expect((last['cluster/sizes'] as number[]).reduce((a, b) => a + b, 0)).toBe(60);
  }, 180_000);
});
