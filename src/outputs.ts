// The end of a run, after its last checkpoint: image grids, report.html, the model/ export and summary.txt.
// Each phase starts only while no stop was asked for (Ctrl-C / SIGTERM are honoured between phases), and the
// summary says whether the outputs are complete: `epochs: E of E` alone means they are; a run whose outputs were
// skipped or stopped completes them on --resume (resume-check.ts), from its checkpoint, without training again.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from './config.js';
import type { Split } from './data/dataset.js';
import type { MetricsRecord } from './train/loop.js';
import { modelShape } from './train/loop.js';
import { createParams, type ModelShape, type Params } from './model/vhe.js';
import { tf } from './backend.js';
import { deriveSeed } from './util/rng.js';
import { writeImageGrids } from './report/images.js';
import { writeReport } from './report/html.js';
import { writeClusterFiles } from './report/cluster-map.js';
import { exportModels } from './model/export.js';
import { CheckpointError, type CheckpointData } from './train/checkpoint.js';
import { faultPause, writeAtomic } from './run-folder.js';

/** What the outputs are made from: train()'s result, or a finished run's checkpoint. */
export interface OutputSource {
  shape: ModelShape;
  params: Params;
  last: MetricsRecord;
  /** training stopped early (a signal) */
  stopped: boolean;
  trainLabels: Int32Array | null;
  /** the final re-clustering's labels and the codes it clustered (train() only; null from a checkpoint) */
  finalLabels: Int32Array | null;
  mapCodes: { rows: Float32Array; d: number; weights: Float32Array | null } | null;
}

export interface OutputContext {
  cfg: Config;
  dir: string;
  split: Split;
  backendNote: string;
  message: (line: string) => void;
  /** true once Ctrl-C / SIGTERM asked the run to stop */
  stopRequested: () => boolean;
}

const fmt = (v: unknown, digits = 2): string => (typeof v === 'number' ? v.toFixed(digits) : '-');

/**
 * Write the outputs of `src` phase by phase; a phase fails with a warning, not an error (metrics and checkpoint
 * are already on disk), and once a stop is asked for no further phase starts. Returns the phases skipped.
 * summary.txt is always written; a disk error there is a one-line RunFolderError.
 */
export async function writeOutputs(ctx: OutputContext, src: OutputSource): Promise<string[]> {
  const { cfg, dir, split } = ctx;
  const phases: Array<[string, () => void | Promise<unknown>]> = [
    ['the image grids', () => writeImageGrids({
      dir, shape: src.shape, params: src.params, train: split.train, test: split.test,
      trainLabels: src.trainLabels, k: cfg.mode === 'vhe' ? split.train.numClasses : cfg.cluster.k,
      subsetSize: cfg.train.subsetSize, seed: deriveSeed(cfg.seed, 'images'),
    })],
    // from a checkpoint there are no final labels: keep a clusters.json that has them
    ['the cluster map', () => {
      if (src.finalLabels || !existsSync(join(dir, 'clusters.json'))) writeClusterFiles(dir, { cfg, train: split.train, result: src });
    }],
    ['the report', () => writeReport({ out: join(dir, 'report.html'), title: basename(dir), runs: [{ label: cfg.mode, dir }] })],
    ['the model export', () => exportModels(join(dir, 'model'), src.shape, src.params)],
  ];
  const skipped: string[] = [];
  for (const [what, run] of phases) {
    await faultPause(what);
    await new Promise((r) => setImmediate(r)); // a signal that came during the last phase is handled here
    if (src.stopped || ctx.stopRequested()) { skipped.push(what); continue; }
    try {
      await run();
    } catch (e) {
      ctx.message(`warning: ${what.replace(/^the /, '')} not written: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const r = src.last;
  const E = cfg.train.epochs;
  const epochs = Number(r.epoch ?? 0);
  let state = '';
  if (epochs < E) state = ' (stopped early; continue with --resume)';
  else if (skipped.length) state = ` (outputs incomplete: ${skipped.join(', ')} skipped; complete them with --resume)`;
  const summary = [
    `run: ${dir}`, `mode: ${cfg.mode}`, `data: ${split.source}`, `backend: ${ctx.backendNote}`,
    `epochs: ${epochs} of ${E}${state}`,
    `train nats/example: ${fmt(r['loss/total'])}`, `test nats/example: ${fmt(r['test/total'])}`,
    r['cluster/acc'] !== undefined ? `pseudo-label accuracy: ${fmt(r['cluster/acc'], 4)}  NMI: ${fmt(r['cluster/nmi'], 4)}` : '',
  ].filter(Boolean).join('\n') + '\n';
  writeAtomic(join(dir, 'summary.txt'), summary);
  return skipped;
}

/** The last epoch line of metrics.jsonl for `epoch` ({} when there is none). */
export function lastEpochRecord(dir: string, epoch: number): MetricsRecord {
  const p = join(dir, 'metrics.jsonl');
  if (!existsSync(p)) return {};
  let last: MetricsRecord = {};
  for (const l of readFileSync(p, 'utf8').split('\n')) {
    if (!l.trim()) continue;
    try {
      const r = JSON.parse(l) as MetricsRecord;
      if (r.kind === 'epoch' && r.epoch === epoch) last = r;
    } catch { /* a torn line */ }
  }
  return last;
}

/** A finished run's outputs from its checkpoint: the final weights, the final pseudo-labels, the last epoch line. */
export function outputSourceFromCheckpoint(cfg: Config, split: Split, ck: CheckpointData, dir: string): OutputSource {
  const shape = modelShape(cfg, split.train.rows * split.train.cols);
  const params = createParams(shape, deriveSeed(cfg.seed, 'init'));
  for (const [k, p] of Object.entries(params)) {
    const w = ck.arrays[`param/${k}`];
    if (!(w instanceof Float32Array) || w.length !== p.size) throw new CheckpointError(`checkpoint: param/${k} is missing or has the wrong size for this model`);
    const t = tf.tensor(w, p.shape);
    p.assign(t);
    t.dispose();
  }
  const labels = ck.arrays['engine/labels'];
  const trainLabels = cfg.mode === 'vhe' ? split.train.labels : cfg.mode === 'uvhe' && labels instanceof Int32Array ? labels : null;
  return { shape, params, last: lastEpochRecord(dir, Number(ck.meta.epoch)), stopped: false, trainLabels, finalLabels: null, mapCodes: null };
}
