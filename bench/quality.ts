// The quality suite (a benchmark, not a test): data sets × methods × seeds through the real CLI, scored by final ACC/NMI.
//
//   npm run quality                                  # full: 3 seeds, FULL_EPOCHS, every data set whose files exist
//   QUALITY_QUICK=1 npm run quality                  # smoke: 1 seed, QUICK_EPOCHS, 2,000-example sets, mnist+shapes+textures
//   QUALITY_ONLY=shapes,textures npm run quality     # only these data sets
//
// Methods, on the same data and seeds (see docs/quality.md):
//   uvhe      the defaults (run.json with only data.*, cluster.k, train.epochs and the seed changed); final/acc, final/nmi
//   vae       the same with mode=vae: its means of q(z|x) under the same final rule
//   zc-kmeans the seed's plain rule: the uvhe run's final codes re-scored by --recluster with eval.embed=none,
//             eval.space=zc (KMeans on [z‖c]); no retraining, so test nats and the model are uvhe's
//   pixels    KMeans (k-means++, PIXEL_RESTARTS restarts, best inertia) on the raw training pixels in [0, 1], the same
//             split (and, for the embedded digits, the same deskewing) the runs train on
//   start     the partition the loop started from: the first pseudo-labels scored in the uvhe run's metrics.jsonl
//             (cluster/acc, cluster/nmi of the first line that has them: under the default background refit, the
//             relabel of epoch 1's codes, reported in epoch 2's line)
// Every cell goes to bench/results/quality.json (quality-quick.json in quick mode), rewritten after each cell; the
// mean ± sd table goes to bench/results/quality.md (quality-quick.md) and stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { resolveConfig, parseSetValue } from '../src/config.js';
import { datasetSpecOf, loadDataset } from '../src/data/dataset.js';
import { writeSyntheticIdx, type SyntheticKind } from '../src/data/synthetic.js';
import { kmeansFit } from '../src/cluster/kmeans.js';
import { clusterAccuracy, nmi } from '../src/eval/metrics.js';
import { Rng, deriveSeed } from '../src/util/rng.js';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * Epochs of the full suite, in place of the defaults' 30: the full suite trains 30 runs (5 data sets × uvhe, vae
 * × 3 seeds), and at 30 epochs they take several hours on 2 cores, far past the suite's 90-minute budget
 * (docs/quality.md, "Time"). Everything else stays at its default.
 */
export const FULL_EPOCHS = 10;
/** Epochs of the quick (smoke) mode: enough for the relabel loop to run twice. */
export const QUICK_EPOCHS = 3;
/** Seeds of each mode. */
const FULL_SEEDS = [1, 2, 3];
const QUICK_SEEDS = [1];
/** data.limit of the quick mode (examples per split), and the synthetic sets' sizes (train, test) per mode. */
const QUICK_LIMIT = 2000;
const SYNTH_SIZES = { quick: { nTrain: 2000, nTest: 500 }, full: { nTrain: 8000, nTest: 2000 } };
/** The synthetic sets are fixed data: one generator seed, whatever the method's seed. */
const SYNTH_DATA_SEED = 1;
/** Raw-pixel KMeans: restarts (best inertia kept) and Lloyd iterations per restart. */
export const PIXEL_RESTARTS = 3;
const PIXEL_ITERS = 100;
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export type Method = 'uvhe' | 'vae' | 'zc-kmeans' | 'pixels' | 'start';
export const METHODS: readonly Method[] = ['uvhe', 'vae', 'zc-kmeans', 'pixels', 'start'];
export const METHOD_TEXT: Record<Method, string> = {
  uvhe: 'uvhe (defaults), final rule',
  vae: 'vae, same final rule',
  'zc-kmeans': 'uvhe codes, KMeans on [z‖c] (seed rule)',
  pixels: 'KMeans on raw pixels',
  start: 'uvhe first relabel (start)',
};

/** One scored cell. acc/nmi in [0, 1]; testNats: the run's last test/total (null where the method trains nothing). */
export interface Cell {
  dataset: string;
  method: Method;
  seed: number;
  acc: number | null;
  nmi: number | null;
  testNats: number | null;
  wallS: number;
  /** epochs trained, and for `start` the epoch line the partition was read from */
  epochs?: number;
  startLine?: number;
  /** the uvhe run's last pseudo-labels (cluster/acc of its last line), for uvhe cells */
  lastPseudoAcc?: number;
  run?: string;
  error?: string;
}

/** A data set of the suite: the --set overrides that select it, and why it is skipped (null: available). */
interface DataSet {
  name: string;
  quick: boolean;
  sets: (mode: 'quick' | 'full') => string[];
  missing: () => string | null;
  prepare?: (mode: 'quick' | 'full') => void;
}

function synthDir(kind: SyntheticKind, mode: 'quick' | 'full'): string {
  const s = SYNTH_SIZES[mode];
  return join(ROOT, 'test-output', 'quality-data', `${kind}-${s.nTrain}-${s.nTest}-s${SYNTH_DATA_SEED}`);
}

function synthetic(kind: SyntheticKind): DataSet {
  return {
    name: kind,
    quick: true,
    sets: (mode) => ['data.source=idx', `data.dir=${synthDir(kind, mode)}`],
    missing: () => null,
    prepare: (mode) => {
      const dir = synthDir(kind, mode);
      if (!existsSync(join(dir, 't10k-labels-idx1-ubyte'))) writeSyntheticIdx(dir, kind, { ...SYNTH_SIZES[mode], seed: SYNTH_DATA_SEED });
    },
  };
}

const fashionMissing = (): string | null => (existsSync(join(FASHION_DIR, 'train-images-idx3-ubyte.gz')) || existsSync(join(FASHION_DIR, 'train-images-idx3-ubyte'))
  ? null : `no Fashion-MNIST IDX files in ${FASHION_DIR}`);

export const DATASETS: readonly DataSet[] = [
  { name: 'mnist', quick: true, sets: (m) => ['data.source=mnist', ...(m === 'quick' ? [`data.limit=${QUICK_LIMIT}`] : [])], missing: () => null },
  // data.limit on IDX files keeps the first 10,000 of each split (the files are in mixed class order)
  { name: 'fashion-10k', quick: false, sets: () => ['data.source=idx', `data.dir=${FASHION_DIR}`, 'data.limit=10000'], missing: fashionMissing },
  synthetic('shapes'),
  synthetic('textures'),
  { name: 'fashion-60k', quick: false, sets: () => ['data.source=idx', `data.dir=${FASHION_DIR}`], missing: fashionMissing },
];

/** Mean and sample standard deviation (n − 1; NaN for one value) of finite values; null when none. */
export function meanSd(values: ReadonlyArray<number | null>): { mean: number; sd: number; n: number } | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : NaN;
  return { mean, sd, n: v.length };
}

/** "0.812 ± 0.013", or "0.812" for a single value, or "—" for none. */
export function fmtMeanSd(values: ReadonlyArray<number | null>, digits: number): string {
  const s = meanSd(values);
  if (!s) return '—';
  return Number.isNaN(s.sd) ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;
}

/**
 * The markdown table: one row per data set × method present in `cells` (data sets and methods in suite order),
 * with ACC, NMI and test nats as mean ± sd over the seeds, the mean wall time in seconds and the seed count.
 */
export function formatTable(cells: readonly Cell[]): string {
  const head = '| data set | method | ACC | NMI | test nats | wall s | seeds |\n|---|---|---|---|---|---|---|';
  const rows: string[] = [];
  const names = [...new Set([...DATASETS.map((d) => d.name), ...cells.map((c) => c.dataset)])];
  for (const ds of names) {
    for (const m of METHODS) {
      const cs = cells.filter((c) => c.dataset === ds && c.method === m);
      if (cs.length === 0) continue;
      const ok = cs.filter((c) => !c.error);
      const wall = meanSd(ok.map((c) => c.wallS));
      const failed = cs.length - ok.length;
      rows.push(`| ${ds} | ${METHOD_TEXT[m]} | ${fmtMeanSd(ok.map((c) => c.acc), 3)} | ${fmtMeanSd(ok.map((c) => c.nmi), 3)} | ` +
        `${fmtMeanSd(ok.map((c) => c.testNats), 1)} | ${wall ? wall.mean.toFixed(0) : '—'} | ${ok.length}${failed ? ` (${failed} failed)` : ''} |`);
    }
  }
  return `${head}\n${rows.join('\n')}\n`;
}

/**
 * KMeans on raw pixels: pixels n×d bytes scaled to [0, 1], k-means++ then Lloyd, `restarts` fits from seeds derived
 * from `seed`, the lowest-inertia fit kept, scored against `labels` by Hungarian accuracy and NMI.
 */
export function rawPixelKMeans(o: { pixels: Uint8Array; n: number; d: number; labels: Int32Array; k: number; seed: number; restarts?: number; iters?: number }): { acc: number; nmi: number; inertia: number } {
  const x = new Float32Array(o.n * o.d);
  for (let i = 0; i < x.length; i++) x[i] = o.pixels[i]! / 255;
  let best: { labels: Int32Array; inertia: number } | null = null;
  for (let r = 0; r < (o.restarts ?? PIXEL_RESTARTS); r++) {
    const fit = kmeansFit(x, o.n, o.d, { k: o.k, weights: null, iters: o.iters ?? PIXEL_ITERS, rng: new Rng(deriveSeed(o.seed, `pixels-${r}`)) });
    if (!best || fit.inertia < best.inertia) best = { labels: fit.labels, inertia: fit.inertia };
  }
  return { acc: clusterAccuracy(o.labels, best!.labels, o.k).accuracy, nmi: nmi(o.labels, best!.labels), inertia: best!.inertia };
}

type Line = Record<string, unknown>;

/** The epoch lines of a run's metrics.jsonl. */
function epochLines(runDir: string): Line[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line).filter((l) => l.kind === 'epoch');
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Runs the CLI (node --import tsx src/cli.ts …) in a child process; throws with its stderr tail on failure. */
function cli(args: string[]): { stdout: string; wallS: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`cli ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  return { stdout: r.stdout, wallS };
}

/** The --set arguments of a run of `ds` with `extra` overrides. */
const setArgs = (sets: string[]): string[] => sets.flatMap((s) => ['--set', s]);

async function main(): Promise<void> {
  const mode: 'quick' | 'full' = process.env.QUALITY_QUICK === '1' ? 'quick' : 'full';
  const only = process.env.QUALITY_ONLY ? new Set(process.env.QUALITY_ONLY.split(',').map((s) => s.trim()).filter(Boolean)) : null;
  if (only) for (const n of only) if (!DATASETS.some((d) => d.name === n)) throw new Error(`QUALITY_ONLY: no data set "${n}" (have ${DATASETS.map((d) => d.name).join(', ')})`);
  const epochs = mode === 'quick' ? QUICK_EPOCHS : FULL_EPOCHS;
  const seeds = mode === 'quick' ? QUICK_SEEDS : FULL_SEEDS;
  const suffix = mode === 'quick' ? '-quick' : '';
  const jsonPath = join(ROOT, 'bench', 'results', `quality${suffix}.json`);
  const mdPath = join(ROOT, 'bench', 'results', `quality${suffix}.md`);
  const runRoot = join(ROOT, 'runs', `quality${suffix}`);
  mkdirSync(runRoot, { recursive: true });
  const started = new Date().toISOString();
  const cells: Cell[] = [];
  const skipped: Array<{ dataset: string; reason: string }> = [];
  const t0 = performance.now();
  const save = (): void => {
    const out = { mode, epochs, seeds, cpus: cpus().length, started, wallS: (performance.now() - t0) / 1000, skipped, cells };
    writeFileSync(jsonPath, JSON.stringify(out, null, 1) + '\n');
  };
  const log = (s: string): void => { process.stderr.write(`[quality ${((performance.now() - t0) / 1000).toFixed(0)}s] ${s}\n`); };
  const runJson = JSON.parse(readFileSync(join(ROOT, 'run.json'), 'utf8')) as unknown;

  for (const ds of DATASETS) {
    if (only ? !only.has(ds.name) : mode === 'quick' && !ds.quick) continue;
    const why = ds.missing();
    if (why) { log(`skip ${ds.name}: ${why}`); skipped.push({ dataset: ds.name, reason: why }); continue; }
    ds.prepare?.(mode);
    for (const seed of seeds) {
      // the split as the runs see it (same config, same seed): its class count sets cluster.k, its pixels feed KMeans
      const dataSets = ds.sets(mode);
      const cfg = resolveConfig(runJson, [...dataSets, `seed=${seed}`].map((s) => { const i = s.indexOf('='); return [s.slice(0, i), parseSetValue(s.slice(i + 1))] as [string, unknown]; }));
      const split = loadDataset(datasetSpecOf(cfg));
      const { train } = split;
      const k = train.numClasses;
      const base = [...dataSets, `seed=${seed}`, `cluster.k=${k}`, `train.epochs=${epochs}`, 'train.progress=none', `outDir=${runRoot}`];
      const push = (c: Cell): void => { cells.push(c); save(); log(`${ds.name} ${c.method} seed ${seed}: ${c.error ? `FAILED ${c.error}` : `acc ${c.acc?.toFixed(3)} nmi ${c.nmi?.toFixed(3)} nats ${c.testNats?.toFixed(1) ?? '—'} (${c.wallS.toFixed(0)} s)`}`); };

      for (const m of ['uvhe', 'vae'] as const) {
        const name = `${ds.name}-${m}-s${seed}`;
        const dir = join(runRoot, name);
        rmSync(dir, { recursive: true, force: true });
        try {
          const { wallS } = cli(['--config', 'run.json', ...setArgs([...base, `mode=${m}`, `name=${name}`])]);
          const lines = epochLines(dir);
          const last = lines[lines.length - 1]!;
          push({ dataset: ds.name, method: m, seed, acc: num(last['final/acc']), nmi: num(last['final/nmi']), testNats: num(last['test/total']),
            wallS, epochs: num(last.epoch) ?? undefined, run: relative(ROOT, dir), ...(m === 'uvhe' ? { lastPseudoAcc: num(last['cluster/acc']) ?? undefined } : {}) });
          if (m !== 'uvhe') continue;
          const first = lines.find((l) => num(l['cluster/acc']) !== null);
          push({ dataset: ds.name, method: 'start', seed, acc: first ? num(first['cluster/acc']) : null, nmi: first ? num(first['cluster/nmi']) : null,
            testNats: null, wallS: 0, startLine: first ? num(first.epoch) ?? undefined : undefined, run: relative(ROOT, dir) });
          const rc = cli(['--recluster', dir, ...setArgs(['eval.embed=none', 'eval.space=zc'])]);
          const mm = /accuracy ([\d.]+)\s+NMI ([\d.]+)/.exec(rc.stdout);
          push({ dataset: ds.name, method: 'zc-kmeans', seed, acc: mm ? Number(mm[1]) : null, nmi: mm ? Number(mm[2]) : null, testNats: num(last['test/total']),
            wallS: rc.wallS, run: relative(ROOT, dir), ...(mm ? {} : { error: `no score in: ${rc.stdout.trim()}` }) });
        } catch (e) {
          push({ dataset: ds.name, method: m, seed, acc: null, nmi: null, testNats: null, wallS: 0, run: relative(ROOT, dir), error: (e as Error).message });
        }
      }

      const tp = performance.now();
      const px = rawPixelKMeans({ pixels: train.images, n: train.n, d: train.rows * train.cols, labels: train.labels!, k, seed });
      push({ dataset: ds.name, method: 'pixels', seed, acc: px.acc, nmi: px.nmi, testNats: null, wallS: (performance.now() - tp) / 1000 });
    }
  }
  save();
  const table = formatTable(cells);
  const cmd = `${mode === 'quick' ? 'QUALITY_QUICK=1 ' : ''}${only ? `QUALITY_ONLY=${[...only].join(',')} ` : ''}npm run quality`;
  const md = `Quality suite, ${mode} mode (\`${cmd}\`): ${seeds.length} seed(s), ${epochs} epochs, ${cpus().length} CPUs, ` +
    `started ${started}, ${((performance.now() - t0) / 60000).toFixed(1)} min in all.` +
    `${skipped.length ? ` Skipped: ${skipped.map((s) => `${s.dataset} (${s.reason})`).join('; ')}.` : ''}\n\n${table}`;
  writeFileSync(mdPath, md);
  process.stdout.write(md);
}

if (process.argv[1] && /quality\.ts$/.test(process.argv[1])) {
  main().catch((e: unknown) => { process.stderr.write(`quality: ${(e as Error).message}\n`); process.exit(1); });
}
