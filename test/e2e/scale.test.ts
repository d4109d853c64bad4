// The large-store path end to end on tiny data: UVHE_ANN_MIN_ROWS and UVHE_RULE_SAMPLE lower the sizes at which
// the neighbour graph turns approximate (IVF) and the graph rule runs on a subsample with a vote (src/cluster/ann.ts),
// so that a 60-image run takes the path a run of millions takes, in training's relabels and in the final rule.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyConfig } from '../failsafe/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/tiny-mnist-idx');
const SMALL = { UVHE_ANN_MIN_ROWS: '0', UVHE_RULE_SAMPLE: '30' };

function cli(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args],
    { cwd: ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...SMALL } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('approximate graph and subsampled rule, forced on a small run', () => {
  it('trains with background graph relabels, scores the final rule, and --recluster gives the same scores', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-e2e-scale-'));
    const r = cli([...emptyConfig(out), '--set', 'mode=uvhe', '--set', 'data.source=idx', '--set', `data.dir=${FIXTURE}`,
      '--set', `outDir=${out}`, '--set', 'name=scale', '--set', 'train.epochs=3', '--set', 'train.batchSize=16',
      '--set', 'model.hidden=32', '--set', 'cluster.k=4', '--set', 'runtime.backend=wasm', '--set', 'runtime.workers=2',
      '--set', 'cluster.embed=spectral', '--set', 'cluster.refit=background', '--set', 'cluster.neighbors=5', '--set', 'eval.embed=umap']);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/cluster engine: wasm SIMD pool/); // not the plain engine, which has no such path
    const dir = join(out, 'scale');
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const last = lines.at(-1);
    expect(last['cluster/sizes'].reduce((a: number, b: number) => a + b, 0)).toBe(60);
    expect(last['final/acc']).toBeGreaterThan(0);
    const again = cli(['--recluster', dir]);
    expect(again.code).toBe(0);
    const m = /accuracy ([\d.]+)  NMI ([\d.]+)/.exec(again.stdout);
    expect(m, again.stdout).not.toBeNull();
    expect(Number(m![1])).toBeCloseTo(last['final/acc'], 4);
    expect(Number(m![2])).toBeCloseTo(last['final/nmi'], 4);
  });
});
