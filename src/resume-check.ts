// --resume decides before it writes anything. The run folder's checkpoint is checked against the resolved config
// (mode, model shapes, cluster.k, the data's fingerprint) and the --set keys against the run's own config.json;
// a run that is finished, or finished but for its outputs, is recognised. Every refusal is one line naming the
// key, the checkpoint's (or the run's) value and the asked one, exit 2, with the folder left as it was.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';
import type { Split } from './data/dataset.js';
import { loadCheckpoint, type CheckpointData } from './train/checkpoint.js';
import { RunFolderError } from './run-folder.js';
import { readsClassCode } from './model/vhe.js';

/** Config keys that --resume may change (--set): how long and how fast it trains on, what it logs and evaluates,
 *  how often it checkpoints, and where it computes. Every other key must equal the run's config.json; outDir and
 *  name do not apply (the folder is given). */
export const RESUMABLE_KEYS = [
  'train.epochs', 'train.lr', 'train.logSteps', 'train.progress', 'train.skipNonFinite',
  'eval.every', 'eval.limit', 'checkpoint.every', 'runtime.backend', 'runtime.workers', 'runtime.threads',
] as const;

/** Keys that have no meaning on --resume: the run folder is the one given. */
export const NOT_APPLICABLE_ON_RESUME = ['outDir', 'name'] as const;

/** A config (or any JSON object) as dotted key → leaf value. */
export function flattenConfig(obj: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out[prefix] = obj;
  }
  return out;
}

const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));

/**
 * `ran` is the run's config.json resolved as it is, `asked` the same after --set. Every key that differs must be
 * one of RESUMABLE_KEYS; the first that is not is refused. train.epochs may only grow past the checkpoint's epoch.
 */
export function checkResumeSets(ran: Config, asked: Config): void {
  const a = flattenConfig(ran), b = flattenConfig(asked);
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
    if ((RESUMABLE_KEYS as readonly string[]).includes(key)) continue;
    if ((NOT_APPLICABLE_ON_RESUME as readonly string[]).includes(key)) {
      throw new RunFolderError(`resume: ${key} does not apply to --resume (the run folder is the one given; the run has ${show(a[key])}, asked ${show(b[key])})`);
    }
    throw new RunFolderError(`resume: ${key} cannot change on --resume: the checkpoint's run has ${show(a[key])}, asked ${show(b[key])} (keys that may change: ${RESUMABLE_KEYS.join(', ')})`);
  }
}

/** What a checkpoint must agree with: the config values that decide the arrays' shapes and meaning. */
export interface RunIdentity {
  mode: Config['mode'];
  shape: { hidden: number; zDim: number; cDim: number; logStdBound: number };
  k: number;
  data: DataFingerprint;
}

export interface DataFingerprint {
  source: string;
  dir: string;
  nTrain: number;
  nTest: number;
  rows: number;
  cols: number;
  /** sha-256 (first 16 hex digits) of the training pixels as trained on (after deskew and gamma) */
  pixels: string;
}

export function dataFingerprint(cfg: Config, split: Split): DataFingerprint {
  const { train, test } = split;
  return {
    source: cfg.data.source, dir: cfg.data.dir, nTrain: train.n, nTest: test.n, rows: train.rows, cols: train.cols,
    pixels: createHash('sha256').update(train.images).digest('hex').slice(0, 16),
  };
}

/** The meta fields every checkpoint carries (run.ts adds them when saving), checked on --resume. */
export function runIdentity(cfg: Config, split: Split): RunIdentity {
  return {
    mode: cfg.mode,
    shape: { hidden: cfg.model.hidden, zDim: cfg.model.zDim, cDim: cfg.model.cDim, logStdBound: cfg.model.logStdBound },
    k: cfg.cluster.k, data: dataFingerprint(cfg, split),
  };
}

/** The model shapes a checkpoint's arrays imply (for checkpoints written before the identity was stored). */
function shapesFromArrays(ck: CheckpointData): Partial<RunIdentity['shape']> & { k?: number } {
  const len = (n: string): number | undefined => ck.arrays[n]?.length;
  const out: Partial<RunIdentity['shape']> & { k?: number } = {};
  const b1 = len('param/encZ/b1');
  if (b1) out.hidden = b1 / 2;
  const wz = len('param/dec/Wz'), wc = len('param/dec/Wc');
  if (out.hidden && wz) out.zDim = wz / out.hidden;
  if (out.hidden && wc) out.cDim = wc / out.hidden;
  const counts = len('engine/counts');
  if (counts) out.k = counts;
  return out;
}

const mismatch = (key: string, had: unknown, asked: unknown, more = ''): never => {
  throw new RunFolderError(`resume: ${key} differs from the checkpoint's: the checkpoint has ${show(had)}, asked ${show(asked)}${more}`);
};

/** mode, model shapes, k: what can be checked before the data is loaded. */
export function checkCheckpointConfig(ck: CheckpointData, cfg: Config): void {
  const m = ck.meta as { mode?: string; shape?: RunIdentity['shape']; k?: number };
  if (m.mode !== undefined && m.mode !== cfg.mode) mismatch('mode', m.mode, cfg.mode);
  const shape = m.shape ?? shapesFromArrays(ck);
  for (const key of ['hidden', 'zDim', 'cDim', 'logStdBound'] as const) {
    if (key === 'cDim' && cfg.mode === 'vae') continue; // unused in vae mode
    const had = shape[key];
    if (had !== undefined && had !== cfg.model[key]) mismatch(`model.${key}`, had, cfg.model[key]);
  }
  if (!readsClassCode(cfg.mode) && ck.arrays['param/encZ/Wc']) {
    throw new RunFolderError(`resume: the checkpoint's ${cfg.mode} networks read c in q(z|c,x) and p(x|z,c), and ${cfg.mode}'s networks read c only in the prior p(z|c), so the run cannot be resumed (its model/ folder still encodes and assigns new images)`);
  }
  const k = m.k ?? shapesFromArrays(ck).k;
  if (cfg.mode === 'uvhe' && k !== undefined && k !== cfg.cluster.k) mismatch('cluster.k', k, cfg.cluster.k);
}

/** The data as loaded now against the checkpoint's fingerprint (an older checkpoint: its number of examples). */
export function checkCheckpointData(ck: CheckpointData, cfg: Config, split: Split): void {
  const had = ck.meta.data as DataFingerprint | undefined;
  if (!had) {
    if (typeof ck.meta.n === 'number' && ck.meta.n !== split.train.n) mismatch('data (training examples)', ck.meta.n, split.train.n);
    return;
  }
  const now = dataFingerprint(cfg, split);
  const keys: Array<[keyof DataFingerprint, string]> = [
    ['source', 'data.source'], ['dir', 'data.dir'], ['nTrain', 'data (training examples)'], ['nTest', 'data (test examples)'],
    ['rows', 'data (image rows)'], ['cols', 'data (image columns)'], ['pixels', 'data (hash of the training pixels)'],
  ];
  for (const [f, key] of keys) {
    if (had[f] !== now[f]) mismatch(key, had[f], now[f], f === 'pixels' ? ' (the training images are not the ones the run trained on)' : '');
  }
}

export interface ResumePlan {
  ck: CheckpointData;
  /** the epochs the checkpoint has completed */
  epoch: number;
  /** train: epochs are left; outputs: training is done, the outputs (grids, report, export, summary) are not;
   *  finished: nothing to do */
  action: 'train' | 'outputs' | 'finished';
  /** lines to print (e.g. an old checkpoint format) */
  notes: string[];
}

/** Whether summary.txt says the run completed all of `epochs` with its outputs, and model/ exists. */
export function outputsComplete(dir: string, epochs: number): boolean {
  const p = join(dir, 'summary.txt');
  if (!existsSync(p) || !existsSync(join(dir, 'model'))) return false;
  return readFileSync(p, 'utf8').split('\n').includes(`epochs: ${epochs} of ${epochs}`);
}

/**
 * Everything --resume checks before the data is loaded: a checkpoint exists and loads, the --set keys may
 * change, the checkpoint agrees with the config, and train.epochs is not below the checkpoint's epoch.
 * `ran` (config.json as it is) is optional for callers that have no --set.
 */
export function planResume(dir: string, cfg: Config, ran?: Config): ResumePlan {
  const ckPath = join(dir, 'checkpoint.bin');
  if (!existsSync(ckPath)) {
    throw new RunFolderError(`resume: ${dir} has no checkpoint yet (no ${ckPath}): the run stopped before its first one (written after epoch ${Math.max(1, Math.min(cfg.checkpoint.every || cfg.train.epochs, cfg.train.epochs))}), so there is nothing to continue; start the run again (npm start -- --config ${join(dir, 'config.json')} writes a new folder)`);
  }
  const ck = loadCheckpoint(ckPath);
  const notes: string[] = [];
  if (ck.version === 1) notes.push(`note: ${ckPath} is in checkpoint format 1 (its header has no checksum); the next checkpoint is written in format 2`);
  if (ran) checkResumeSets(ran, cfg);
  checkCheckpointConfig(ck, cfg);
  const epoch = Number(ck.meta.epoch);
  const mid = Number(ck.meta.stepInEpoch ?? 0) > 0;
  if (!Number.isInteger(epoch) || epoch < 0) throw new RunFolderError(`checkpoint: ${ckPath}: its epoch ${show(ck.meta.epoch)} is not a whole number`);
  if (epoch > cfg.train.epochs || (epoch === cfg.train.epochs && mid)) {
    mismatch('train.epochs', epoch, cfg.train.epochs, ` (the checkpoint has completed epoch ${epoch}; train.epochs can only grow)`);
  }
  const action = epoch < cfg.train.epochs || mid ? 'train' : outputsComplete(dir, epoch) ? 'finished' : 'outputs';
  return { ck, epoch, action, notes };
}
