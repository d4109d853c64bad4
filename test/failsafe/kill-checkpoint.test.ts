// Fail safe, hard kills: SIGKILL a real run at seeded random moments, several of them while a big checkpoint is
// being written. After every kill checkpoint.bin loads (the atomic write leaves the previous one), and --resume
// goes on from it; leftover checkpoint.bin.tmp-<pid> files and locks of killed processes do not get in the way,
// and are gone once a resume has started.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { parseMetrics, runCli, seeded, startCli, tinyArgs, waitFor } from './helpers.js';

const OUT = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-kill-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('SIGKILL at random moments, also while checkpoint.bin is being written', () => {
  it('checkpoint.bin always loads and --resume always works', async () => {
    const rand = seeded(20240611);
    const dir = join(OUT, 'kill');
    const ckpt = join(dir, 'checkpoint.bin');
    // model.hidden=512: a ~25 MB checkpoint (weights + Adam state), written after every one-step epoch, so the
    // process spends a good part of its time inside saveCheckpoint
    const big = ['train.epochs=100000', 'train.batchSize=60', 'model.hidden=512', 'checkpoint.every=1', 'eval.every=0', 'train.progress=none'];
    const ROUNDS = 6;
    let lastEpoch = 0, midWrite = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const child = round === 0 ? startCli(tinyArgs(OUT, 'kill', big)) : startCli(['--resume', dir]);
      const pid = child.proc.pid!;
      const tmp = `${ckpt}.tmp-${pid}`;
      // even rounds: kill 0–5 ms after this process has started writing its 1st–3rd checkpoint;
      // odd rounds: kill at a random moment 0–6 s after start (which may fall in the resume's own start-up)
      if (round === 0) await waitFor(() => existsSync(ckpt), 'the first checkpoint', 90_000, child);
      if (round % 2 === 0) {
        const writes = 1 + Math.floor(rand() * 3);
        for (let w = 0; w < writes; w++) {
          if (w > 0) await waitFor(() => !existsSync(tmp), `process ${pid} to finish checkpoint ${w}`, 30_000, child);
          await waitFor(() => existsSync(tmp), `process ${pid} to write checkpoint ${w + 1}`, 90_000, child);
        }
        await sleep(rand() * 5);
      } else {
        await sleep(rand() * 6_000);
      }
      if (existsSync(tmp)) midWrite++;
      child.proc.kill('SIGKILL');
      const r = await child.exited;
      expect(r.signal, `round ${round}: the run ended by itself: ${child.stderr().slice(-500)}`).toBe('SIGKILL');

      const ck = loadCheckpoint(ckpt); // throws a CheckpointError if the kill damaged it
      const epoch = Number(ck.meta.epoch);
      expect(epoch, `round ${round}`).toBeGreaterThanOrEqual(Math.max(1, lastEpoch));
      lastEpoch = epoch;
      for (const f of readdirSync(dir)) {
        // the only leftovers a kill may leave are temporary files of the atomic writes
        if (f.includes('.tmp-')) expect(f).toMatch(/^(checkpoint\.bin|config\.json|metrics\.jsonl|summary\.txt)\.tmp-\d+$/);
      }
    }
    // at least one kill landed while a checkpoint was being written (the even rounds aim for it)
    expect(midWrite).toBeGreaterThanOrEqual(1);

    // a last resume runs to the end, next to the leftover temporary files
    const target = lastEpoch + 2;
    const res = runCli(['--resume', dir, '--set', `train.epochs=${target}`, '--set', 'train.progress=lines']);
    expect(res.code, res.stderr.slice(-800)).toBe(0);
    expect(res.stderr).toContain(`resumed at epoch ${lastEpoch + 1}`);
    expect(Number(loadCheckpoint(ckpt).meta.epoch)).toBe(target);
    // metrics: every line parses, one epoch line per epoch, none twice (lines past a checkpoint were dropped)
    const epochs = parseMetrics(dir).filter((l) => l.kind === 'epoch').map((l) => Number(l.epoch));
    expect(epochs).toEqual(Array.from({ length: target }, (_, i) => i + 1));
    expect(statSync(ckpt).size).toBeGreaterThan(10_000_000);
    // the temporary files of the killed writes are gone (removed when a resume starts), and so is the lock
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-') || f === '.lock')).toEqual([]);
  });
});
