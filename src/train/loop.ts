// The training loop, top to bottom: model, optimiser and subset source → (resume) → per epoch: steps, relabel,
// evaluation, the final re-clustering after the last epoch, checkpoint. Logging and outputs hang off it as hooks.
import { activeBackend, tf } from '../backend.js';
import { availableParallelism } from 'node:os';
import { SimdTrainer } from './simd/trainer.js';
import { simdEncodeMeans, simdEvalExec } from './simd/eval-exec.js';
import { ConfigError, type Config } from '../config.js';
import type { Split } from '../data/dataset.js';
import { createParams, disposeParams, type ModelShape, type Params } from '../model/vhe.js';
import { Rng, deriveSeed } from '../util/rng.js';
import type { ClusterEngine } from '../cluster/engine.js';
import { createClusterEngine } from '../cluster/index.js';
import { clusterEngineOptions } from '../eval/rules.js';
import { encodeMeans, finalScores, finalSpaceWeights, withFinalZ, type FinalInput } from '../eval/final.js';
import { BatchBuilder } from './batch.js';
import { evaluate, evaluationRecord } from './evaluate.js';
import { Adam } from './adam.js';
import type { CheckpointData } from './checkpoint.js';
import { TrueLabelSampler, runEpoch, stepsRecord, type MetricsRecord, type Stepper, type SubsetSource } from './epoch.js';
import { Relabeler } from './relabel.js';
import { priorScale } from './z-scale.js';
import { restore, snapshot, type PartialEpoch, type TrainerState } from './resume.js';
import { modelShape } from './shape.js';
import { StopRequested, watchPhase, type PhaseWatch } from './stop.js';

export type { MetricsRecord } from './epoch.js';
export { modelShape } from './shape.js';
export { disposeParams };

export interface TrainHooks {
  /** after each step (for the progress bar): loss in nats/example, examples/s over the epoch so far */
  onStep?(epoch: number, step: number, steps: number, loss: number, rate: number): void;
  /** every train.logSteps steps */
  onStepRecord?(rec: MetricsRecord): void;
  /** after each epoch, with everything recorded in it */
  onEpoch?(rec: MetricsRecord): void;
  /** one-off messages (engine kind, fallbacks) */
  onMessage?(line: string): void;
  /** a checkpoint is due (every checkpoint.every epochs, at the end, and when stopping early) */
  onCheckpoint?(data: CheckpointData): void;
  /** polled after every step: true asks the loop to stop after this step (SIGINT/SIGTERM) */
  shouldStop?(): boolean;
  /** resolves when a stop is asked for: a relabel or final re-clustering the loop waits for is then cut short */
  whenStopped?: Promise<void>;
}

export interface TrainResult {
  params: Params;
  shape: ModelShape;
  last: MetricsRecord;
  /** true when shouldStop() ended the run early */
  stopped: boolean;
  /** the phase a stop cut short ("the relabel of epoch 3"; null: none): nothing from it on was kept, and no
   *  checkpoint was written after the last one before it, which --resume continues from */
  skipped: string | null;
  /** uvhe: final pseudo-labels (vhe: true labels) and codes, for the image grids */
  trainLabels: Int32Array | null;
  codes: Float32Array | null;
  /** the final re-clustering of the last epoch, when it ran: what it clustered and the labels it gave */
  final: FinalClustering | null;
  /** what the report's map lays out: the final rule's codes and weights where it ran, else the store under
   *  training's weights; null: none */
  mapCodes: { rows: Float32Array; d: number; weights: Float32Array | null } | null;
}

/** The final rule's input and output: n×d codes (uvhe: the store [z‖c]; vae: the means of q(z|x)), the distance
 *  weights it used (d; null = all 1) and its n labels in 0..k-1. */
export interface FinalClustering { codes: Float32Array; d: number; weights: Float32Array | null; labels: Int32Array; k: number }

export async function train(cfg: Config, split: Split, hooks: TrainHooks = {}, resume?: CheckpointData): Promise<TrainResult> {
  const { train: data, test } = split;
  const E = cfg.train.epochs, m = cfg.train.subsetSize, P = data.rows * data.cols;
  const shape = modelShape(cfg, P);
  const B = Math.min(cfg.train.batchSize, data.n);
  if (cfg.mode === 'vhe' && !data.labels) throw new ConfigError('config: mode "vhe" needs labels: the training data has none');
  if (cfg.mode === 'uvhe' && cfg.cluster.k > data.n) throw new ConfigError(`config: cluster.k (${cfg.cluster.k}) must not exceed the number of training examples (${data.n}, from data.source and data.limit)`);

  const params = createParams(shape, deriveSeed(cfg.seed, 'init'));
  const opt = new Adam(params, cfg.train.lr);
  const rng = new Rng(deriveSeed(cfg.seed, 'train'));
  const builder = new BatchBuilder(data.images, data.n, P, B, m, shape.zDim, shape.cDim);
  const perm = Int32Array.from({ length: data.n }, (_, i) => i);

  // Where D comes from: nowhere (vae), the true classes (vhe), or the cluster engine's pseudo-classes (uvhe).
  const trueSampler = cfg.mode === 'vhe' ? new TrueLabelSampler(data.labels!, data.numClasses, deriveSeed(cfg.seed, 'subsets')) : null;
  const engine = cfg.mode === 'uvhe' ? await createEngine(cfg, data.n, hooks) : null;
  const zScale = async (): Promise<Float32Array> => priorScale({ shape, params, codes: await engine!.readCodes(), n: data.n });
  const relabeler = engine ? await Relabeler.create({ cfg, engine, n: data.n, dz: shape.zDim, dc: shape.cDim, truth: data.labels, zScale }) : null;
  const { includeSelf, shareSubsets } = cfg.train;
  const sample: SubsetSource = (rows) => engine ? engine.sample(rows, m, includeSelf, shareSubsets)
    : trueSampler ? trueSampler.sample(rows, m, includeSelf, shareSubsets) : null;

  const state: TrainerState = { cfg, n: data.n, params, opt, rng, perm, samplerRng: trueSampler?.rng.s ?? null, engine };
  const counters = { globalStep: 0, skipped: 0 };
  let startEpoch = 1, startStep = 0, carried: PartialEpoch | null = null;
  if (resume) {
    const r = await restore(resume, state);
    ({ startEpoch, startStep, carried } = r);
    counters.globalStep = r.globalStep;
    await relabeler?.restore(r);
    hooks.onMessage?.(`resumed at epoch ${startEpoch}${startStep ? `, step ${startStep}` : ''} (global step ${r.globalStep})`);
  }
  let final: FinalClustering | null = null;
  const checkpoint = async (epochDone: number, stepInEpoch: number, partial: PartialEpoch | null): Promise<void> => {
    const data = await snapshot(state, {
      epochDone, stepInEpoch, globalStep: counters.globalStep, partial,
      dimWeights: relabeler?.dimWeights ?? null, zScale: relabeler?.zScale ?? null, bgPending: relabeler?.pending() ?? false,
      final: final ? { labels: final.labels, k: final.k } : null,
    });
    hooks.onCheckpoint?.(data);
  };

  // backend simd: the steps run on the wasm-SIMD trainer, created after any resume so that it starts from the
  // restored weights and Adam state
  const simd = activeBackend() === 'simd' ? await createSimdTrainer(cfg, shape, params, opt, B, data.images, hooks) : null;
  const stepper: Stepper = { cfg, shape, params, opt, rng, builder, sample, engine, simd, n: data.n, perm, B, steps: Math.ceil(data.n / B), hooks, counters };
  let last: MetricsRecord = {};
  let stopped = false;
  const watch: PhaseWatch = { stop: hooks.whenStopped, say: hooks.onMessage };
  try {
    for (let epoch = startEpoch; epoch <= E && !stopped; epoch++) {
      const tEpoch = performance.now();
      const first = epoch === startEpoch ? startStep : 0;
      if (first === 0) rng.shuffle(perm);
      const steps = await runEpoch(stepper, epoch, first, carried);
      if (steps.stopped) {
        // stopped mid-epoch: checkpoint where we are (the epoch's partial loss sums travel with it)
        stopped = true;
        await checkpoint(epoch - 1, steps.step, { sums: Array.from(steps.sums), seen: steps.seen });
        break;
      }
      const rec = stepsRecord(epoch, counters.globalStep, steps, shape.zDim);

      // uvhe: relabel the codes this epoch wrote; these labels drive the next epoch
      let waitMs = 0;
      if (relabeler) {
        const r = await watchPhase(relabeler.atEpochEnd(epoch), `relabel of epoch ${epoch}`, watch, () => engine!.close({ abort: true }));
        Object.assign(rec, r.rec);
        waitMs = r.waitMs;
      }
      if (engine) rec['pool/workerRestarts'] = engine.workerRestarts;
      rec['time/poolWait'] = waitMs / 1000;
      rec['time/poolWaitFraction'] = waitMs / (performance.now() - tEpoch);

      const evalDue = cfg.eval.every > 0 && (epoch % cfg.eval.every === 0 || epoch === E);
      if (evalDue && test.n > 0) {
        const tEval = performance.now();
        if (epoch === E) hooks.onMessage?.(`final evaluation: ${(cfg.eval.limit > 0 ? Math.min(cfg.eval.limit, test.n) : test.n).toLocaleString('en-US')} test examples …`);
        const ev = evaluate({
          shape, params, train: data, test, k: cfg.mode === 'vhe' ? data.numClasses : cfg.cluster.k,
          trainLabels: cfg.mode === 'vhe' ? data.labels : relabeler?.labels ?? null,
          codes: engine ? await engine.readCodes() : undefined, dimWeights: relabeler?.dimWeights ?? null,
          subsetSize: m, limit: cfg.eval.limit, seed: deriveSeed(cfg.seed, 'eval'), batchSize: 500,
        }, simd ? simdEvalExec(simd, { shape, train: data, test, subsetSize: m }) : undefined);
        const er = evaluationRecord(ev, test.labels, cfg.cluster.k);
        Object.assign(rec, er.rec);
        rec['time/eval'] = (performance.now() - tEval) / 1000;
      }
      if (evalDue && epoch === E && data.labels && cfg.mode !== 'vhe') {
        final = await finalPhase({ cfg, shape, engine, weights: relabeler?.dimWeights ?? null, n: data.n, truth: data.labels, classes: data.numClasses, rec, watch, hooks },
          () => (simd ? simdEncodeMeans(simd, { builder, n: data.n, rng }) : encodeMeans({ shape, params, builder, n: data.n, B, rng })));
      }
      rec['time/epoch'] = (performance.now() - tEpoch) / 1000;
      rec['tensors'] = tf.memory().numTensors;
      rec['train/skippedSteps'] = counters.skipped;
      last = rec;
      hooks.onEpoch?.(rec);

      stopped = hooks.shouldStop?.() ?? false;
      const every = cfg.checkpoint.every;
      if (epoch === E || stopped || (every > 0 && epoch % every === 0)) await checkpoint(epoch, 0, null);
      relabeler?.afterCheckpoint(stopped);
    }
  } catch (e) {
    await simd?.close();
    await engine?.close({ abort: true }).catch(() => undefined); // worker threads would keep the process alive
    if (!(e instanceof StopRequested)) throw e;
    const trainLabels = cfg.mode === 'vhe' ? data.labels : null;
    return { params, shape, last, stopped: true, skipped: e.skipped, trainLabels, codes: null, final: null, mapCodes: null };
  }
  await simd?.close();
  const codes = engine ? await engine.readCodes() : null;
  await engine?.close();
  const mapCodes = final ? { rows: final.codes, d: final.d, weights: final.weights }
    : codes ? { rows: codes, d: shape.zDim + shape.cDim, weights: relabeler!.dimWeights } : null;
  return { params, shape, last, stopped, skipped: null, trainLabels: cfg.mode === 'vhe' ? data.labels : relabeler?.labels ?? null, codes, final, mapCodes };
}

/** The wasm-SIMD trainer on runtime.threads threads (0: every core). The clustering pool's threads share the cores:
 *  the trainer's work is split into chunks that any of its threads takes, so a relabel running alongside slows a
 *  step down but does not hold it up on one busy thread. */
async function createSimdTrainer(cfg: Config, shape: ModelShape, params: Params, opt: Adam, B: number, images: Uint8Array, hooks: TrainHooks): Promise<SimdTrainer> {
  const threads = cfg.runtime.threads || availableParallelism();
  const t = await SimdTrainer.create({ shape, params, opt, maxB: B, subsetSize: cfg.train.subsetSize, threads, images });
  hooks.onMessage?.(`cpu trainer: wasm SIMD on ${threads} thread${threads === 1 ? '' : 's'}${t.imagesInMemory ? '' : ' (the images do not fit its 4 GiB memory: this thread gathers each batch)'}`);
  return t;
}

/** The uvhe cluster engine: the SIMD pool, or plain TypeScript on this thread with runtime.workers = 0. */
async function createEngine(cfg: Config, n: number, hooks: TrainHooks): Promise<ClusterEngine> {
  const created = await createClusterEngine(clusterEngineOptions(cfg, n), cfg.runtime.workers === 0 ? 'reference' : 'auto');
  hooks.onMessage?.(`cluster engine: ${created.note}`);
  return created.engine;
}

/** The last epoch's final re-clustering: its record (into rec) and the codes, weights and labels it gave. */
interface FinalPhase {
  cfg: Config;
  shape: ModelShape;
  /** uvhe: the engine of the store (its c part, and z re-encoded, are clustered); null: a vae's means */
  engine: ClusterEngine | null;
  /** training's last per-dimension weights (uvhe) */
  weights: Float32Array | null;
  n: number;
  /** the n true labels in 0..classes-1 */
  truth: Int32Array;
  classes: number;
  rec: MetricsRecord;
  watch: PhaseWatch;
  hooks: TrainHooks;
}

/** The final re-clustering at the end of the last epoch (means: the n×dz means of q(z|x) under the final weights,
 *  a vae's codes and a uvhe's z); time/eval counts it. */
async function finalPhase(o: FinalPhase, means: () => Float32Array): Promise<FinalClustering | null> {
  const { cfg, shape, engine, n, rec } = o;
  const tFinal = performance.now();
  const k = cfg.eval.finalK || o.classes;
  o.hooks.onMessage?.(`final re-clustering: ${cfg.eval.embed === 'none' ? 'KMeans' : cfg.eval.embed} on ${n.toLocaleString('en-US')} codes (${engine ? `space ${cfg.eval.space}` : 'means of q(z|x)'}, k = ${k}) …`);
  const rows = engine ? withFinalZ(await engine.readCodes(), means(), n, shape.zDim) : means();
  const input: FinalInput = { codes: { rows, n, d: rows.length / n }, k, trainWeights: engine ? o.weights : null, watch: o.watch };
  const f = await finalRecord(cfg, input, o.truth);
  Object.assign(rec, f.rec);
  rec['time/eval'] = Number(rec['time/eval'] ?? 0) + (performance.now() - tFinal) / 1000; // an evaluation, too
  const d = input.codes.d;
  return f.labels ? { codes: rows, d, weights: engine ? finalSpaceWeights(cfg, o.weights, d) : null, labels: f.labels, k } : null;
}

/**
 * Accuracy, NMI and labels at k = eval.finalK, or the number of true classes, whatever k training used: the final
 * re-clustering of the codes (uvhe: z re-encoded and the stored c, with training's last weights; vae: the means of
 * q(z|x), the classic "KMeans on the VAE's codes" baseline). Nothing when that k exceeds the n training examples.
 */
async function finalRecord(cfg: Config, input: FinalInput, truth: Int32Array): Promise<{ rec: MetricsRecord; labels: Int32Array | null }> {
  const { k } = input, n = input.codes.n;
  if (k > n) return { rec: {}, labels: null };
  const f = await finalScores(cfg, input, truth);
  return { rec: { 'final/k': k, 'final/acc': f.acc, 'final/nmi': f.nmi }, labels: f.labels };
}
