// Composes the stages for one run: the run folder and its resolved config → data → backend → training (with
// metrics and progress hooks) → summary. Owns the order in which things are written.
import { appendFileSync, existsSync, mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from './config.js';
import { loadDataset } from './data/dataset.js';
import { initBackend, type BackendInfo } from './backend.js';
import { train, type MetricsRecord } from './train/loop.js';
import { Progress } from './train/progress.js';
import { setGradientMode } from './model/layers.js';

export interface RunOutcome {
  dir: string;
  last: MetricsRecord;
  backend: BackendInfo;
}

function stamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** runs/<name>/, never reusing a folder that already exists (an earlier run's results are never overwritten). */
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
  if (r['grad/ratio'] !== undefined && r['grad/ratio'] !== null) parts.push(`|dz|/|dc| ${fmt(r['grad/ratio'])}`);
  parts.push(`${Math.round(Number(r['speed/examplesPerSec']))} ex/s`, `${fmt(r['time/epoch'], 1)} s`);
  return parts.join('  ');
}

export async function runTraining(cfg: Config): Promise<RunOutcome> {
  const dir = makeRunDir(cfg);
  writeAtomic(join(dir, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');
  const split = loadDataset({ source: cfg.data.source, dir: cfg.data.dir || undefined, testFraction: cfg.data.testFraction, seed: cfg.seed, limit: cfg.data.limit || undefined });
  const backend = await initBackend(cfg.runtime.backend);
  // Hand-written, transpose-free gradients only help where transposed matMuls are slow (wasm, pure-JS cpu).
  setGradientMode(backend.tfBackend === 'tensorflow' ? 'builtin' : 'custom');
  const style = Progress.resolve(cfg.train.progress);
  const B = Math.min(cfg.train.batchSize, split.train.n);
  const progress = new Progress(style, cfg.train.epochs, Math.ceil(split.train.n / B));
  progress.message(`uvhe run: mode ${cfg.mode}; data ${split.source}; ${backend.note}`);
  progress.message(`run folder: ${dir}`);
  const metricsPath = join(dir, 'metrics.jsonl');
  writeFileSync(metricsPath, '');
  const common = { backend: backend.name };
  const result = await train(cfg, split, {
    onStep: (e, s, _steps, loss, rate) => progress.step(e, s, loss, rate),
    onStepRecord: (rec) => appendFileSync(metricsPath, JSON.stringify({ ...rec, ...common }) + '\n'),
    onEpoch: (rec) => {
      appendFileSync(metricsPath, JSON.stringify({ ...rec, ...common }) + '\n');
      progress.epoch(epochLine(rec, cfg.train.epochs));
    },
    onMessage: (line) => progress.message(line),
  });
  const r = result.last;
  const summary = [
    `run: ${dir}`, `mode: ${cfg.mode}`, `data: ${split.source}`, `backend: ${backend.note}`,
    `epochs: ${cfg.train.epochs}`,
    `train nats/example: ${fmt(r['loss/total'])}`, `test nats/example: ${fmt(r['test/total'])}`,
    r['cluster/acc'] !== undefined ? `pseudo-label accuracy: ${fmt(r['cluster/acc'], 4)}  NMI: ${fmt(r['cluster/nmi'], 4)}` : '',
  ].filter(Boolean).join('\n') + '\n';
  writeAtomic(join(dir, 'summary.txt'), summary);
  progress.message(`done: ${join(dir, 'metrics.jsonl')}`);
  return { dir, last: r, backend };
}
