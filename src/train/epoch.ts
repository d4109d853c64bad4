// One epoch's optimisation steps: D prefetched one batch ahead, the step, non-finite steps skipped within budget,
// codes written to the store, loss and rate sums, and the stop request polled after every step.
import type { Config } from '../config.js';
import type { ModelShape, Params } from '../model/vhe.js';
import type { ClusterEngine, SubsetBatch } from '../cluster/engine.js';
import { buildClusterIndex, sampleSubsets, type ClusterIndex } from '../cluster/sampler.js';
import { Rng } from '../util/rng.js';
import type { Adam } from './adam.js';
import { disposeBatch, type BatchBuilder } from './batch.js';
import { LOSS_KEYS, trainStep } from './step.js';
import { TrainingError } from './errors.js';
import type { PartialEpoch } from './resume.js';
import type { SimdTrainer } from './simd/trainer.js';

/** One metrics.jsonl line. Keys are namespaced: loss/*, test/*, grad/*, cluster/*, time/*. */
export type MetricsRecord = Record<string, number | string | number[] | null>;

/** Samples D from fixed true labels (vhe mode): the same sampler the engines use, over the true classes. */
export class TrueLabelSampler {
  private index: ClusterIndex;
  readonly rng: Rng;
  constructor(private labels: Int32Array, private k: number, seed: number) {
    this.index = buildClusterIndex(labels, k);
    this.rng = new Rng(seed);
  }
  sample(rows: Int32Array, m: number, includeSelf: boolean, shareD: boolean): SubsetBatch {
    return sampleSubsets(rows, this.labels, this.index, this.k, m, includeSelf, shareD, this.rng);
  }
}

/** D for each row of a batch: from the engine (uvhe), the true classes (vhe) or nowhere (vae: null). */
export type SubsetSource = (rows: Int32Array) => Promise<SubsetBatch> | SubsetBatch | null;

/** What every epoch's steps share. */
export interface Stepper {
  cfg: Config;
  shape: ModelShape;
  params: Params;
  opt: Adam;
  rng: Rng;
  builder: BatchBuilder;
  sample: SubsetSource;
  engine: ClusterEngine | null;
  /** the wasm-SIMD trainer (backend simd): it runs the steps on its own copy of the weights and Adam state, and
   *  writes them back into params and opt at the end of every epoch leg; null: tfjs runs the steps */
  simd: SimdTrainer | null;
  /** training examples, the epoch's order of them, the batch size and steps per epoch */
  n: number;
  perm: Int32Array;
  B: number;
  steps: number;
  hooks: {
    onStep?(epoch: number, step: number, steps: number, loss: number, rate: number): void;
    onStepRecord?(rec: MetricsRecord): void;
    onMessage?(line: string): void;
    shouldStop?(): boolean;
  };
  /** across epochs: optimisation steps taken (skipped ones included) and non-finite steps skipped */
  counters: { globalStep: number; skipped: number };
}

export interface EpochSteps {
  /** true when shouldStop() ended the epoch early, after `step` of its steps */
  stopped: boolean;
  step: number;
  /** LOSS_KEYS sums (nats) over `seen` examples, a resumed epoch's carried sums included */
  sums: Float64Array;
  seen: number;
  /** dz+dc mean KL per code dimension [z‖c] over this leg's steps, nats (the rate each dimension uses) */
  rates: Float32Array;
  /** dc mean KL_c per dimension of one q(c|D), nats, not amortised */
  klC: Float64Array;
  /** seconds spent in the steps */
  seconds: number;
}

/**
 * Steps first..steps-1 of `epoch` over s.perm, continuing from `carried` loss sums when the epoch was resumed
 * part-way. Throws TrainingError once non-finite steps exceed train.skipNonFinite.
 */
export async function runEpoch(s: Stepper, epoch: number, first: number, carried: PartialEpoch | null): Promise<EpochSteps> {
  const { cfg, shape, hooks, counters, B, n, steps } = s;
  const t0 = performance.now();
  const sums = new Float64Array(LOSS_KEYS.length);
  const rateSums = new Float64Array(shape.zDim + shape.cDim);
  const klCSums = new Float64Array(shape.cDim);
  let rateSeen = 0; // examples behind rateSums and klCSums: this leg's only (a resumed epoch's carried sums hold losses)
  let seen = 0;
  if (first > 0 && carried) { sums.set(carried.sums); seen = carried.seen; }
  const rowsOf = (step: number): Int32Array => s.perm.subarray(step * B, Math.min(n, (step + 1) * B));
  // The sampler runs one batch ahead: D for step i+1 is requested before step i trains.
  let pending = s.sample(rowsOf(first));
  let i = first, stopped = false;
  for (; i < steps; i++) {
    const rows = rowsOf(i);
    const sub = await pending; // the engine itself accounts for how long this blocks (takeWaitMs)
    pending = i + 1 < steps ? s.sample(rowsOf(i + 1)) : null;
    const res = s.simd ? s.simd.step(s.builder, rows, sub?.subsets ?? null, cfg.train.subsetSize, sub?.setSize ?? null, s.rng) : tfjsStep(s, rows, sub);
    if (res.nonFinite) {
      // The weights were not touched. Skip the step while the budget lasts; else stop (the last good
      // checkpoint and every metrics line written so far stay as they are).
      const where = `epoch ${epoch}, step ${i + 1} of ${steps} (global step ${counters.globalStep + 1})`;
      if (counters.skipped >= cfg.train.skipNonFinite) { s.simd?.sync(); throw new TrainingError(`training: ${res.nonFinite} at ${where}; the last good checkpoint is kept`); }
      counters.skipped++; counters.globalStep++;
      hooks.onMessage?.(`skipped a step: ${res.nonFinite} at ${where} (${counters.skipped} of ${cfg.train.skipNonFinite} allowed)`);
      continue;
    }
    s.engine?.writeCodes(rows.slice(), res.codes);
    for (let j = 0; j < sums.length; j++) sums[j] += res.loss[j] * rows.length;
    for (let j = 0; j < rateSums.length; j++) rateSums[j] += res.rates[j] * rows.length;
    for (let j = 0; j < res.klCDims.length; j++) klCSums[j] += res.klCDims[j] * rows.length;
    rateSeen += rows.length;
    seen += rows.length; counters.globalStep++;
    hooks.onStep?.(epoch, i + 1, steps, sums[0] / seen, seen / ((performance.now() - t0) / 1000));
    if (cfg.train.logSteps > 0 && counters.globalStep % cfg.train.logSteps === 0) {
      hooks.onStepRecord?.({ kind: 'step', epoch, step: counters.globalStep, ...Object.fromEntries(LOSS_KEYS.map((k, j) => [`loss/${k}`, res.loss[j]])) });
    }
    if (i + 1 < steps && hooks.shouldStop?.()) { stopped = true; i++; break; }
  }
  // stopped mid-epoch: let the prefetched sample land before the checkpoint reads the engine
  if (stopped) await Promise.resolve(pending).catch(() => undefined);
  s.simd?.sync(); // evaluation, relabel weights and checkpoints read the tfjs params and opt
  const per = Math.max(1, rateSeen);
  return {
    stopped, step: i, sums, seen, seconds: (performance.now() - t0) / 1000,
    rates: Float32Array.from(rateSums, (v) => v / per), klC: klCSums.map((v) => v / per),
  };
}

/** One step on tfjs: the batch as tensors, then trainStep. */
function tfjsStep(s: Stepper, rows: Int32Array, sub: SubsetBatch | null): ReturnType<typeof trainStep> {
  const batch = s.builder.build(rows, sub?.subsets ?? null, s.cfg.train.subsetSize, sub?.setSize ?? null, s.rng);
  const res = trainStep(s.shape, s.params, s.opt, batch);
  disposeBatch(batch);
  return res;
}

/** The epoch line's training part: mean losses, active code dimensions, speed and time. */
export function stepsRecord(epoch: number, globalStep: number, r: EpochSteps, dz: number): MetricsRecord {
  const rec: MetricsRecord = { kind: 'epoch', epoch, step: globalStep };
  LOSS_KEYS.forEach((k, j) => { rec[`loss/${k}`] = r.sums[j] / r.seen; });
  // active dimensions: those whose posterior moves off the prior by more than 0.01 nats on average (for c, the KL
  // of one q(c|D), not its amortised share per x, which is ~1/|X_x| of it and would count no dimension)
  rec['code/activeZ'] = r.rates.subarray(0, dz).filter((v) => v > 0.01).length;
  if (r.klC.length) rec['code/activeC'] = r.klC.filter((v) => v > 0.01).length;
  rec['speed/examplesPerSec'] = r.seen / r.seconds;
  rec['time/train'] = r.seconds;
  return rec;
}
