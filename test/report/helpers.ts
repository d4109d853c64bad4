// Real run folders for the report tests: the CLI trains tiny runs on the fixture (real metrics.jsonl and
// config.json), then PNG grids are added from a freshly initialised model when the run did not write them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend } from '../../src/backend.js';
import { createParams, disposeParams, type Mode } from '../../src/model/vhe.js';
import { loadIdxDir } from '../../src/data/dataset.js';
import { writeImageGrids } from '../../src/report/images.js';
import { emptyConfig } from '../failsafe/helpers.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURE = join(ROOT, 'test/fixtures/tiny-mnist-idx');

function cli(args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => (code === 0 ? ok() : fail(new Error(`cli exited ${code}: ${err.slice(-2000)}`))));
  });
}

export interface FixtureRun { label: string; dir: string; mode: Mode; seed: number }

/** Trains `runs` (mode × seed) for `epochs` epochs on the tiny fixture, two at a time; `sets`: extra --set keys. */
export async function makeRuns(specs: Array<{ mode: Mode; seed: number }>, epochs = 3, sets: string[] = []): Promise<FixtureRun[]> {
  const out = mkdtempSync(join(tmpdir(), 'uvhe-report-'));
  const runs = specs.map(({ mode, seed }) => ({ label: mode, mode, seed, dir: join(out, `${mode}-s${seed}`) }));
  const train = (r: FixtureRun): Promise<void> => cli([
    ...emptyConfig(out), '--set', `mode=${r.mode}`, '--set', `seed=${r.seed}`, '--set', 'data.source=idx', '--set', `data.dir=${FIXTURE}`,
    '--set', `outDir=${out}`, '--set', `name=${r.mode}-s${r.seed}`, '--set', `train.epochs=${epochs}`, '--set', 'train.batchSize=16',
    '--set', 'model.hidden=32', '--set', 'cluster.k=4', '--set', 'runtime.backend=wasm', '--set', 'train.logSteps=2',
    '--set', 'train.progress=none', ...sets.flatMap((kv) => ['--set', kv]),
  ]);
  for (let i = 0; i < runs.length; i += 2) await Promise.all(runs.slice(i, i + 2).map(train));
  await initBackend('wasm');
  const { train: tr, test } = loadIdxDir(FIXTURE);
  for (const r of runs) {
    if (existsSync(join(r.dir, 'reconstructions.png'))) continue;
    const shape = { mode: r.mode, pixels: 784, hidden: 32, zDim: 20, cDim: r.mode === 'vae' ? 0 : 20, logStdBound: 5 };
    const params = createParams(shape, r.seed);
    const labels = r.mode === 'vae' ? null : Int32Array.from({ length: tr.n }, (_, i) => i % 4);
    writeImageGrids({ dir: r.dir, shape, params, train: tr, test, trainLabels: labels, k: 4, subsetSize: 5, seed: r.seed });
    disposeParams(params);
  }
  return runs;
}
