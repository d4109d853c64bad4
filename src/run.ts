// Composes the stages for one run: the run folder and its resolved config → data → backend → training (with
// metrics and progress hooks) → summary. Owns the order in which things are written.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, type Config } from './config.js';
import { engineLayout } from './cluster/engine-layout.js';
import { MAX_PAGES, PAGE } from './cluster/layout.js';
import { clusterEngineOptions } from './eval/rules.js';
import { datasetSpecOf, loadDataset, type Split } from './data/dataset.js';
import { initBackend, type BackendInfo } from './backend.js';
import { train, disposeParams, type MetricsRecord } from './train/loop.js';
import { writeRunReport } from './report/html.js';
import { Progress } from './train/progress.js';
import { setGradientMode } from './model/layers.js';
import { saveCheckpoint, type CheckpointData } from './train/checkpoint.js';
import { acquireLock, appendLine, checkName, makeRunDir, prepareOutDir, removeStaleTemps, writeAtomic, type RunLock } from './run-folder.js';
import { checkCheckpointData, planResume, runIdentity, type ResumePlan } from './resume-check.js';
import { outputSourceFromCheckpoint, writeOutputs, type OutputSource } from './outputs.js';

export { writeAtomic };

export interface RunOutcome {
  dir: string;
  last: MetricsRecord;
  /** null when --resume found the run finished (nothing was started) */
  backend: BackendInfo | null;
  /** the signal that stopped the run early, if any */
  signal: 'SIGINT' | 'SIGTERM' | null;
}

export interface RunOptions {
  /** continue the run in this folder from its checkpoint.bin */
  resumeDir?: string;
  /** --resume: the run's config.json resolved before --set, to refuse keys that may not change */
  ran?: Config;
  /** parts of cfg.name (1; a compare run's <compare>/<label>-s<seed>: 2) */
  nameSegments?: number;
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

/** First Ctrl-C (or SIGTERM): finish the step, checkpoint, flush, exit 130/143; after training, skip the output
 *  phases not yet started. A second one exits at once; the previous checkpoint stays loadable because
 *  checkpoints are only ever replaced by an atomic rename, and the lock goes with the exit handler. */
interface Signals {
  stopRequested: () => boolean;
  /** resolves at the first signal (a phase the run waits for on the pool is then cut short) */
  whenStopped: Promise<void>;
  signal: () => 'SIGINT' | 'SIGTERM' | null;
  remove: () => void;
  stopping: (what: string) => void;
}

function installSignals(progress: Progress): Signals {
  let got: 'SIGINT' | 'SIGTERM' | null = null;
  let what = 'stopping after this step and writing a checkpoint (a relabel or final re-clustering under way is cut short)';
  let resolveStop!: () => void;
  const whenStopped = new Promise<void>((r) => { resolveStop = r; });
  const handler = (sig: 'SIGINT' | 'SIGTERM'): void => {
    if (got) process.exit(sig === 'SIGINT' ? 130 : 143);
    got = sig;
    progress.message(`${sig}: ${what} (press Ctrl-C again to exit at once)`);
    resolveStop();
  };
  const onInt = (): void => handler('SIGINT'), onTerm = (): void => handler('SIGTERM');
  process.on('SIGINT', onInt); process.on('SIGTERM', onTerm);
  return { stopRequested: () => got !== null, whenStopped, signal: () => got, remove: () => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); }, stopping: (w) => { what = w; } };
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

/** Above this many training examples the graph rules' O(n²·d) neighbour search in plain TypeScript (runtime.workers
 *  0) is refused; the pool's graph is approximate from ann.ts's size on, and its rule subsampled, so it has no limit. */
export const PLAIN_GRAPH_MAX_N = 200_000;

/** Config keys whose valid range depends on the data (known only once it is loaded): every problem at once. */
export function checkAgainstData(cfg: Config, split: Split): void {
  const n = split.train.n, problems: string[] = [];
  if (cfg.mode === 'uvhe' && cfg.cluster.k > n) {
    problems.push(`config: cluster.k (${cfg.cluster.k}) must not exceed the number of training examples (${n}, from data.source and data.limit)`);
  }
  if (cfg.mode !== 'vhe' && cfg.eval.finalK > n) {
    problems.push(`config: eval.finalK (${cfg.eval.finalK}) must not exceed the number of training examples (${n}, from data.source and data.limit)`);
  }
  const graphs = ([['cluster.embed', cfg.mode === 'uvhe' ? cfg.cluster.embed : 'none'], ['eval.embed', cfg.mode === 'vhe' ? 'none' : cfg.eval.embed]] as const)
    .filter(([, embed]) => embed !== 'none');
  if (n > PLAIN_GRAPH_MAX_N && cfg.runtime.workers === 0) {
    for (const [key, embed] of graphs) problems.push(`config: ${key} "${embed}" with runtime.workers 0 searches neighbours in plain TypeScript in O(n²); ${n} training examples (data.source, data.limit) is above its limit of ${PLAIN_GRAPH_MAX_N} (set runtime.workers >= 1, or ${key} "none")`);
  }
  if (cfg.mode === 'uvhe' && cfg.runtime.workers > 0) {
    const o = clusterEngineOptions(cfg, n), bytes = engineLayout(o, {}, 0, false).bytes;
    if (bytes > MAX_PAGES * PAGE) {
      problems.push(`config: the clustering pool's shared memory for ${n} training examples (data.source, data.limit) × ${o.dz + o.dc} code values (model.zDim + model.cDim) would be ${(bytes / 2 ** 30).toFixed(2)} GiB; WebAssembly allows 4 GiB (lower data.limit, model.zDim or model.cDim)`);
    }
  }
  if (cfg.mode === 'vhe' && !split.train.labels) problems.push(`config: mode "vhe" needs labels, and ${split.source} (data.source) has none for training`);
  if (problems.length) throw new ConfigError(problems.join('\n'), problems);
}

export async function runTraining(cfg: Config, opts: RunOptions = {}): Promise<RunOutcome> {
  const held: { lock?: RunLock } = {};
  try {
    return await runLocked(cfg, opts, held);
  } finally {
    held.lock?.release();
  }
}

async function runLocked(cfg: Config, opts: RunOptions, held: { lock?: RunLock }): Promise<RunOutcome> {
  // Everything that can refuse the run does so before anything is written: paths, lock, checkpoint, data,
  // data-dependent keys; --resume also checks the checkpoint against the config (resume-check.ts).
  const say = (line: string): void => { process.stderr.write(line + '\n'); };
  let plan: ResumePlan | undefined, outAbs = '';
  if (opts.resumeDir) {
    held.lock = acquireLock(resolve(opts.resumeDir), say);
    removeStaleTemps(resolve(opts.resumeDir), say);
    plan = planResume(resolve(opts.resumeDir), cfg, opts.ran);
    for (const n of plan.notes) say(n);
    if (plan.action === 'finished') {
      say(`${resolve(opts.resumeDir)}: already finished at epoch ${plan.epoch} of ${plan.epoch}; nothing to do (train on with --set train.epochs=N)`);
      return { dir: resolve(opts.resumeDir), last: {}, backend: null, signal: null };
    }
  } else {
    checkName(cfg.name, opts.nameSegments);
    outAbs = prepareOutDir(cfg.outDir);
  }
  const resume: CheckpointData | undefined = plan?.ck;
  const split = loadDataset(datasetSpecOf(cfg));
  checkAgainstData(cfg, split);
  if (resume) checkCheckpointData(resume, cfg, split);
  const identity = runIdentity(cfg, split);
  const dir = opts.resumeDir ? resolve(opts.resumeDir) : makeRunDir(outAbs, cfg.name, cfg.mode);
  held.lock ??= acquireLock(dir, say);
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
  else writeAtomic(metricsPath, '');
  const common = { backend: backend.name };
  const signals = installSignals(progress);
  // the epoch of the last checkpoint on disk (a stop that cuts a phase short leaves it as it is)
  let saved: number | null = resume ? Number(resume.meta.epoch) : null;
  // The signal handler stays installed through the outputs: a stop there skips the phases left (--resume
  // completes them from the checkpoint).
  let result: OutputSource, skipped: string[];
  try {
    if (plan?.action === 'outputs') {
      progress.message(`training finished at epoch ${plan.epoch} of ${cfg.train.epochs}; completing the outputs from the checkpoint`);
      result = outputSourceFromCheckpoint(cfg, split, plan.ck, dir);
    } else {
      result = await train(cfg, split, {
        onStep: (e, s, _steps, loss, rate) => progress.step(e, s, loss, rate),
        onStepRecord: (rec) => appendLine(metricsPath, JSON.stringify({ ...rec, ...common }) + '\n'),
        onEpoch: (rec) => {
          appendLine(metricsPath, JSON.stringify({ ...rec, ...common }) + '\n');
          progress.epoch(epochLine(rec, cfg.train.epochs));
          const failed = writeRunReport(dir, cfg.mode); // open it during the run and reload; a failure only warns
          if (failed) progress.message(`warning: report not updated: ${failed}`);
        },
        onMessage: (line) => progress.message(line),
        onCheckpoint: (data) => {
          saveCheckpoint(ckptPath, { meta: { ...data.meta, ...identity, backend: backend.name }, arrays: data.arrays });
          saved = Number(data.meta.epoch);
        },
        shouldStop: signals.stopRequested,
        whenStopped: signals.whenStopped,
      }, resume);
    }
    signals.stopping('skipping the outputs not yet written (the checkpoint is complete; --resume writes them)');
    // What the model learned, to look at: image grids (while the weights are still alive), the report that embeds
    // them, the model export, the summary (outputs.ts).
    try {
      skipped = await writeOutputs({ cfg, dir, split, backendNote: backend.note, message: (l) => progress.message(l), stopRequested: signals.stopRequested }, result);
    } finally {
      disposeParams(result.params);
    }
  } finally {
    signals.remove();
  }
  const r = result.last;
  const incomplete = result.stopped || skipped.length > 0;
  const cut = result.skipped ? [result.skipped] : [];
  if (cut.length || skipped.length) progress.message(`${signals.signal() ?? 'stop'}: skipped ${[...cut, ...skipped].join(', ')}`);
  if (cut.length) {
    // nothing of the phase cut short was kept: --resume goes on from the last checkpoint and redoes it
    progress.message(saved === null
      ? `stopped before the first checkpoint: nothing to resume; start the run again`
      : `stopped: the last checkpoint (epoch ${saved}) stands; continue with: npm start -- --resume ${dir}`);
  } else {
    progress.message(incomplete
      ? `stopped: checkpoint written; continue with: npm start -- --resume ${dir}`
      : `done: open ${join(dir, 'report.html')}`);
  }
  return { dir, last: r, backend, signal: signals.signal() };
}

