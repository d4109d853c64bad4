// Fail safe, Ctrl-C after training (real CLI): the signal handler stays installed through the output phase (image
// grids, report, model export), so a SIGINT there is not a kill: the phases left are skipped and named, the
// summary says the outputs are incomplete, the process exits 130 with the lock removed, and --resume completes the
// outputs from the checkpoint without training again. UVHE_FAULT=pause@outputs holds each output phase for 1.5 s,
// so that the signal lands inside that phase on a machine of any speed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { runCli, startCli, tinyArgs, waitFor } from './helpers.js';

const OUT = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-sigout-'));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s after the last epoch, during the outputs', (sig, code) => {
  it(`skips the outputs left and says so, exits ${code}; --resume completes them without training`, async () => {
    const name = `out-${sig}`;
    const dir = join(OUT, name);
    const child = startCli(tinyArgs(OUT, name, ['train.epochs=1']), { UVHE_FAULT: 'pause@outputs' });
    // the last (only) checkpoint is written after the last epoch: from then on the run is in its output phase
    await waitFor(() => existsSync(join(dir, 'checkpoint.bin')), 'the last checkpoint', 90_000, child);
    child.proc.kill(sig);
    const r = await child.exited;
    const err = child.stderr();
    expect(r.signal, err.slice(-800)).toBeNull();
    expect(r.code, err.slice(-800)).toBe(code);
    expect(err).toMatch(new RegExp(`^${sig}: skipped (the image grids, )?(the cluster map, )?(the report, )?the model export$`, 'm'));
    expect(err).toContain(`continue with: npm start -- --resume ${dir}`);
    expect(err).not.toMatch(/^\s+at /m);
    expect(existsSync(join(dir, '.lock'))).toBe(false);
    expect(existsSync(join(dir, 'model'))).toBe(false);
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toMatch(/^epochs: 1 of 1 \(outputs incomplete: .*the model export skipped; complete them with --resume\)$/m);
    expect(Number(loadCheckpoint(join(dir, 'checkpoint.bin')).meta.epoch)).toBe(1);

    const res = runCli(['--resume', dir]);
    expect(res.code, res.stderr.slice(-800)).toBe(0);
    expect(res.stderr).toContain('completing the outputs');
    expect(res.stderr).not.toMatch(/^epoch \d/m);
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toMatch(/^epochs: 1 of 1$/m);
    for (const f of ['model', 'report.html', 'reconstructions.png']) expect(existsSync(join(dir, f)), f).toBe(true);
  });
});
