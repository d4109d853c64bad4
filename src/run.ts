// Composes the stages for one run: the run folder and its resolved config → data → backend → training (with
// metrics and progress hooks) → summary. Owns the order in which things are written.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ConfigError, type Config } from './config.js';
import { datasetSpecOf, loadDataset, toFloat01, type Split } from './data/dataset.js';
import { initBackend, type BackendInfo } from './backend.js';
import { train, disposeParams, type MetricsRecord } from './train/loop.js';
import { deriveSeed } from './util/rng.js';
import { writeImageGrids } from './report/images.js';
import { writeReport } from './report/html.js';
import { exportRun, type ExportRunOptions } from './model/export.js';
import { ASSIGN_K, selectSpace } from './assign.js';
import { graphNeighbors } from './eval/rules.js';
import { encodeInductive } from './apply/networks.js';
import { spaceCodes } from './apply/run-model.js';
import { Progress } from './train/progress.js';
import { setGradientMode } from './model/layers.js';
import { loadCheckpoint, saveCheckpoint } from './train/checkpoint.js';

export interface RunOutcome {
  dir: string;
  last: MetricsRecord;
  backend: BackendInfo;
  /** the signal that stopped the run early, if any */
  signal: 'SIGINT' | 'SIGTERM' | null;
}

export interface RunOptions {
  /** continue the run in this folder from its checkpoint.bin */
  resumeDir?: string;
}

/** Keep only the metrics lines up to the checkpoint (a run that died after its last checkpoint re-does those epochs). */
function truncateMetrics(path: string, epoch: number, step: number): void {
  if (!existsSync(path)) return;
  const keep = readFileSync(path, 'utf8').split('\n').filter((l) => {
    if (!l.trim()) return false;
    try {
      const r = JSON.parse(l) as { kind?: string; epoch?: number; step?: number };
      return r.kind === 'step' ? (r.step ?? 0) <= step : (r.epoch ?? 0) <= epoch;
    } catch { return false; } // a torn last line from a hard kill
  });
  writeAtomic(path, keep.map((l) => l + '\n').join(''));
}

/** First Ctrl-C (or SIGTERM): finish the step, checkpoint, flush, exit 130/143. A second one exits at once;
 *  the previous checkpoint stays loadable because checkpoints are only ever replaced by an atomic rename. */
function installSignals(progress: Progress): { stopRequested: () => boolean; signal: () => 'SIGINT' | 'SIGTERM' | null; remove: () => void } {
  let got: 'SIGINT' | 'SIGTERM' | null = null;
  const handler = (sig: 'SIGINT' | 'SIGTERM'): void => {
    if (got) process.exit(sig === 'SIGINT' ? 130 : 143);
    got = sig;
    progress.message(`${sig}: stopping after this step and writing a checkpoint (press Ctrl-C again to exit at once)`);
  };
  const onInt = (): void => handler('SIGINT'), onTerm = (): void => handler('SIGTERM');
  process.on('SIGINT', onInt); process.on('SIGTERM', onTerm);
  return { stopRequested: () => got !== null, signal: () => got, remove: () => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); } };
}

function stamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** <outDir>/<name>/, never reusing a folder that already exists (another run's results are never overwritten). */
export function makeRunDir(cfg: Config): string {
  const base = resolve(cfg.outDir, cfg.name || `${cfg.mode}-${stamp()}`);
  let dir = base;
  for (let i = 2; existsSync(dir); i++) dir = `${base}-${i}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Write a file atomically: a temporary file, then a rename, so a reader never sees half of it. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const fmt = (v: unknown, digits = 2): string => (typeof v === 'number' ? v.toFixed(digits) : '-');

/** The human line printed after each epoch. */
export function epochLine(r: MetricsRecord, epochs: number): string {
  const parts = [`epoch ${r.epoch}/${epochs}`, `train ${fmt(r['loss/total'])} nats`];
  if (r['test/total'] !== undefined) parts.push(`test ${fmt(r['test/total'])} nats`);
  parts.push(`(bce ${fmt(r['loss/bce'], 1)} klZ ${fmt(r['loss/klZ'], 1)} klC ${fmt(r['loss/klC'], 1)})`);
  if (r['cluster/acc'] !== undefined) parts.push(`acc ${fmt(r['cluster/acc'], 3)} nmi ${fmt(r['cluster/nmi'], 3)}`);
  if (r['cluster/inFlight'] === 1) parts.push('relabel still running');
  if (r['grad/ratio'] !== undefined && r['grad/ratio'] !== null) parts.push(`|dz|/|dc| ${fmt(r['grad/ratio'])}`);
  parts.push(`${Math.round(Number(r['speed/examplesPerSec']))} ex/s`, `${fmt(r['time/epoch'], 1)} s`);
  return parts.join('  ');
}

/** Above this many training examples the graph rules' O(n²·d) neighbour search is refused. */
export const SPECTRAL_MAX_N = 200_000;

/** Config keys whose valid range depends on the data (known only once it is loaded): every problem at once. */
export function checkAgainstData(cfg: Config, split: Split): void {
  const n = split.train.n, problems: string[] = [];
  if (cfg.mode === 'uvhe' && cfg.cluster.k > n) {
    problems.push(`config: cluster.k (${cfg.cluster.k}) must not exceed the number of training examples (${n}, from data.source and data.limit)`);
  }
  const graphs = ([['cluster.embed', cfg.mode === 'uvhe' ? cfg.cluster.embed : 'none'], ['eval.embed', cfg.mode === 'vhe' ? 'none' : cfg.eval.embed]] as const)
    .filter(([, embed]) => embed !== 'none');
  if (n > SPECTRAL_MAX_N) {
    for (const [key, embed] of graphs) problems.push(`config: ${key} "${embed}" searches neighbours in O(n²); ${n} training examples (data.source, data.limit) is above its limit of ${SPECTRAL_MAX_N} (set ${key} "none")`);
  }
  if (cfg.mode === 'vhe' && !split.train.labels) problems.push(`config: mode "vhe" needs labels, and ${split.source} (data.source) has none for training`);
  if (problems.length) throw new ConfigError(problems.join('\n'), problems);
}

export async function runTraining(cfg: Config, opts: RunOptions = {}): Promise<RunOutcome> {
  // Everything that can refuse the run does so before the run folder exists: checkpoint, data, data-dependent keys.
  const resume = opts.resumeDir ? loadCheckpoint(join(opts.resumeDir, 'checkpoint.bin')) : undefined;
  const split = loadDataset(datasetSpecOf(cfg));
  checkAgainstData(cfg, split);
  const dir = opts.resumeDir ? resolve(opts.resumeDir) : makeRunDir(cfg);
  const ckptPath = join(dir, 'checkpoint.bin');
  const metricsPath = join(dir, 'metrics.jsonl');
  writeAtomic(join(dir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  const backend = await initBackend(cfg.runtime.backend);
  // Hand-written, transpose-free gradients only help where transposed matMuls are slow (wasm, pure-JS cpu).
  setGradientMode(backend.tfBackend === 'tensorflow' ? 'builtin' : 'custom');
  const style = Progress.resolve(cfg.train.progress);
  const B = Math.min(cfg.train.batchSize, split.train.n);
  const progress = new Progress(style, cfg.train.epochs, Math.ceil(split.train.n / B));
  progress.message(`uvhe run: mode ${cfg.mode}; data ${split.source}; ${backend.note}`);
  progress.message(`run folder: ${dir}`);
  if (resume) truncateMetrics(metricsPath, Number(resume.meta.epoch), Number(resume.meta.step));
  else writeFileSync(metricsPath, '');
  const common = { backend: backend.name };
  const signals = installSignals(progress);
  let result;
  try {
    result = await train(cfg, split, {
      onStep: (e, s, _steps, loss, rate) => progress.step(e, s, loss, rate),
      onStepRecord: (rec) => appendFileSync(metricsPath, JSON.stringify({ ...rec, ...common }) + '\n'),
      onEpoch: (rec) => {
        appendFileSync(metricsPath, JSON.stringify({ ...rec, ...common }) + '\n');
        progress.epoch(epochLine(rec, cfg.train.epochs));
      },
      onMessage: (line) => progress.message(line),
      onCheckpoint: (data) => saveCheckpoint(ckptPath, { meta: { ...data.meta, backend: backend.name }, arrays: data.arrays }),
      shouldStop: signals.stopRequested,
    }, resume);
  } finally {
    signals.remove();
  }
  const r = result.last;
  // What the model learned, to look at: image grids (while the weights are still alive), then the report that
  // embeds them. A failure here must not lose the run: metrics and checkpoint are already on disk.
  try {
    progress.message('writing image grids and report …');
    writeImageGrids({
      dir, shape: result.shape, params: result.params, train: split.train, test: split.test,
      trainLabels: result.trainLabels, k: cfg.mode === 'vhe' ? split.train.numClasses : cfg.cluster.k,
      subsetSize: cfg.train.subsetSize, seed: deriveSeed(cfg.seed, 'images'),
    });
    writeReport({ out: join(dir, 'report.html'), title: basename(dir), runs: [{ label: cfg.mode, dir }] });
  } catch (e) {
    progress.message(`warning: report not written: ${(e as Error).message.split('\n')[0]}`);
  }
  const finalLine = finalResultLine(cfg, r);
  let assignNote = '';
  try {
    progress.message(`exporting model (networks, preprocessing, clustering state) to ${join(dir, 'model')} …`);
    const header = await exportRun({
      dir: join(dir, 'model'), shape: result.shape, params: result.params,
      manifest: {
        image: { rows: split.train.rows, cols: split.train.cols }, preprocess: { deskew: datasetSpecOf(cfg).deskew ?? false, scale: 255 },
        subsetSize: cfg.train.subsetSize, classes: split.train.numClasses,
        final: typeof r['final/acc'] === 'number' ? { k: Number(r['final/k']), acc: r['final/acc'], nmi: Number(r['final/nmi']), rule: finalRule(cfg, Number(r['final/k'])) } : null,
      },
      reference: assignReference(cfg, split, result),
    });
    if (header) assignNote = `assignment of new images: ${header.K}-nearest-neighbour vote over ${header.n.toLocaleString('en-US')} training codes (${header.labelSource} labels); leave-one-out agreement with them ${header.looAgreement.toFixed(3)}`;
  } catch (e) {
    progress.message(`warning: model export failed: ${(e as Error).message.split('\n')[0]}`);
  }
  disposeParams(result.params);
  const summary = [
    `run: ${dir}`, `mode: ${cfg.mode}`, `data: ${split.source}`, backend.note,
    `epochs: ${r.epoch ?? 0} of ${cfg.train.epochs}${result.stopped ? ' (stopped early; continue with --resume)' : ''}`,
    `train nats/example: ${fmt(r['loss/total'])}`, `test nats/example: ${fmt(r['test/total'])}`,
    finalLine, pseudoLabelLine(r), assignNote,
  ].filter(Boolean).join('\n') + '\n';
  writeAtomic(join(dir, 'summary.txt'), summary);
  if (finalLine) progress.message(finalLine);
  if (pseudoLabelLine(r)) progress.message(pseudoLabelLine(r));
  if (assignNote) progress.message(assignNote);
  progress.message(result.stopped
    ? `stopped: checkpoint written; continue with: npm start -- --resume ${dir}`
    : `done: open ${join(dir, 'report.html')}`);
  return { dir, last: r, backend, signal: result.stopped ? signals.signal() : null };
}

/** The final rule in a few words: "umap on z, k = 10" (a vae's codes are the means of q(z|x)). */
function finalRule(cfg: Config, k: number): string {
  const embed = cfg.eval.embed === 'none' ? 'KMeans' : cfg.eval.embed;
  return `${embed} on ${cfg.mode === 'vae' ? 'the means of q(z|x)' : cfg.eval.space === 'zc' ? '[z‖c]' : cfg.eval.space}, k = ${k}`;
}

/** The final re-clustering's scores (final/*), named as what they are; '' when the run did not compute them. */
export function finalResultLine(cfg: Config, r: MetricsRecord): string {
  if (typeof r['final/acc'] !== 'number') return '';
  return `final clusters (${finalRule(cfg, Number(r['final/k']))}): accuracy ${fmt(r['final/acc'], 3)}, NMI ${fmt(r['final/nmi'], 3)}`;
}

/** Training's last pseudo-labels (cluster/*), the labels that drove its subsets D; '' without them. */
export function pseudoLabelLine(r: MetricsRecord): string {
  if (typeof r['cluster/acc'] !== 'number') return '';
  return `training pseudo-labels: accuracy ${fmt(r['cluster/acc'], 3)}, NMI ${fmt(r['cluster/nmi'], 3)}`;
}

/**
 * What new images are assigned against (model/clusters.*): the final rule's codes and labels (uvhe: the part of the
 * store eval.space keeps, with the final weights; vae: the means of q(z|x)), voted on by as many neighbours as the
 * final rule's graph has (ASSIGN_K after KMeans); without a final re-clustering, a uvhe
 * run's store with its last pseudo-labels; vhe: the training images encoded as new images are ([z‖c]), with their true labels.
 */
function assignReference(cfg: Config, split: Split, res: Awaited<ReturnType<typeof train>>): ExportRunOptions['reference'] {
  const { n, labels: truth } = split.train, { zDim: dz, cDim: dc } = res.shape;
  const f = res.final;
  // A graph rule's labels follow its neighbour graph: the vote reads neighbourhoods of the same size.
  const K = cfg.eval.embed === 'none' ? ASSIGN_K : graphNeighbors(cfg, n);
  if (f && cfg.mode === 'uvhe') {
    const space = cfg.eval.space, D = dz + dc;
    const codes = selectSpace(f.codes, n, dz, dc, space), d = codes.length / n;
    const weights = selectSpace(f.weights ?? new Float32Array(D).fill(1), 1, dz, dc, space);
    return { codes, d, n, labels: f.labels, k: f.k, weights, labelSource: 'final', space, truth, K };
  }
  if (f) return { codes: f.codes, d: dz, n, labels: f.labels, k: f.k, weights: new Float32Array(dz).fill(1), labelSource: 'final', space: 'z', truth, K };
  if (cfg.mode === 'uvhe' && res.codes && res.trainLabels) {
    return { codes: res.codes, d: dz + dc, n, labels: res.trainLabels, k: cfg.cluster.k, weights: new Float32Array(dz + dc).fill(1), labelSource: 'pseudo', space: 'zc', truth };
  }
  if (cfg.mode === 'vhe' && truth) {
    return (nets) => {
      const x = toFloat01(split.train.images, null, res.shape.pixels, new Float32Array(n * res.shape.pixels));
      const e = encodeInductive(nets, res.shape, x);
      // [z‖c]: with D = {x}, c is what carries the class
      const rows = spaceCodes({ n, ...e }, res.shape, 'zc'), d = dz + dc;
      return { codes: rows, d, n, labels: truth, k: split.train.numClasses, weights: new Float32Array(d).fill(1), labelSource: 'true', space: 'zc', truth };
    };
  }
  return null;
}
