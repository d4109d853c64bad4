// The training loop, top to bottom: model and optimiser → (uvhe) cluster engine → epochs of steps → per-epoch
// relabel, evaluation and metrics. Logging, evaluation and outputs hang off it as hooks.
import { tf } from '../backend.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { Config } from '../config.js';
import type { Split } from '../data/dataset.js';
import { createParams, disposeParams, encodeHidden, encodeZ, type ModelShape, type Params } from '../model/vhe.js';
import { BatchBuilder, disposeBatch } from './batch.js';
import { LOSS_KEYS, trainStep } from './step.js';
import { evaluate } from './evaluate.js';
import { Adam } from './adam.js';
import { Rng, Rng as ClusterRng, deriveSeed } from '../util/rng.js';
import { graphLabels } from '../cluster/graph.js';
import type { GraphEmbed, GraphRule, Neighbours } from '../cluster/types.js';
import { knn } from '../cluster/neighbours.js';
import { spectralFits } from '../cluster/spectral.js';
import { consensusLabels } from '../cluster/consensus.js';
import type { ClusterEngine, ClusterEngineOptions, EngineSnapshot, RelabelOptions, RelabelResult, SubsetBatch } from '../cluster/engine.js';
import { CheckpointError, type CheckpointData } from './checkpoint.js';
import { TrainingError } from './errors.js';
import { kmeansFit } from '../cluster/kmeans.js';
import { buildClusterIndex, sampleSubsets, type ClusterIndex } from '../cluster/sampler.js';
import { clusterDimWeights } from './cluster-weights.js';
import { createClusterEngine } from '../cluster/index.js';
import { pcaFit, pcaProject } from '../cluster/pca.js';
import { clusterAccuracy, nmi, emptyClusters, sizeEvenness } from '../eval/metrics.js';

/** One metrics.jsonl line. Keys are namespaced: loss/*, test/*, grad/*, cluster/*, time/*. */
export type MetricsRecord = Record<string, number | string | number[] | null>;


export interface TrainHooks {
  /** after each step (for the progress bar): loss in nats/example, examples/s over the epoch so far */
  onStep?(epoch: number, step: number, steps: number, loss: number, rate: number): void;
  /** every train.logSteps steps */
  onStepRecord?(rec: MetricsRecord): void;
  /** after each epoch, with everything measured in it */
  onEpoch?(rec: MetricsRecord): void;
  /** one-off messages (engine kind, fallbacks) */
  onMessage?(line: string): void;
  /** a checkpoint is due (every checkpoint.every epochs, at the end, and when stopping early) */
  onCheckpoint?(data: CheckpointData): void;
  /** polled after every step: true asks the loop to stop after this step (SIGINT/SIGTERM) */
  shouldStop?(): boolean;
}

export interface TrainResult {
  params: Params;
  shape: ModelShape;
  last: MetricsRecord;
  /** true when shouldStop() ended the run early */
  stopped: boolean;
  /** uvhe: final pseudo-labels (vhe: true labels) and codes, for the image grids */
  trainLabels: Int32Array | null;
  codes: Float32Array | null;
}

/** Samples D from fixed true labels (vhe mode): the same sampler the engines use, over the true classes. */
class TrueLabelSampler {
  private index: ClusterIndex;
  readonly rng: ClusterRng;
  constructor(private labels: Int32Array, private k: number, seed: number) {
    this.index = buildClusterIndex(labels, k);
    this.rng = new ClusterRng(seed);
  }
  sample(rows: Int32Array, m: number, includeSelf: boolean, shareD: boolean): SubsetBatch {
    return sampleSubsets(rows, this.labels, this.index, this.k, m, includeSelf, shareD, this.rng);
  }
}

export function modelShape(cfg: Config, pixels: number): ModelShape {
  return {
    mode: cfg.mode, pixels, hidden: cfg.model.hidden, zDim: cfg.model.zDim,
    cDim: cfg.mode === 'vae' ? 0 : cfg.model.cDim, logStdBound: cfg.model.logStdBound,
  };
}

function clusterMetrics(rel: RelabelResult, trueLabels: Int32Array | null, k: number): MetricsRecord {
  const rec: MetricsRecord = {
    'cluster/sizes': Array.from(rel.sizes), 'cluster/empty': emptyClusters(rel.sizes),
    'cluster/reseeded': rel.reseeded, 'cluster/inertia': rel.inertia, 'time/relabel': rel.ms / 1000,
  };
  if (trueLabels) {
    rec['cluster/nmi'] = nmi(trueLabels, rel.labels);
    rec['cluster/acc'] = clusterAccuracy(trueLabels, rel.labels, k).accuracy;
  }
  return rec;
}

export async function train(cfg: Config, split: Split, hooks: TrainHooks = {}, resume?: CheckpointData): Promise<TrainResult> {
  const { train: data, test } = split;
  const P = data.rows * data.cols;
  const shape = modelShape(cfg, P);
  const m = cfg.train.subsetSize;
  const B = Math.min(cfg.train.batchSize, data.n);
  const stepsPerEpoch = Math.ceil(data.n / B);
  if (cfg.mode === 'vhe' && !data.labels) throw new Error('mode vhe needs labels: the training data has none');
  if (cfg.mode === 'uvhe' && cfg.cluster.k > data.n) throw new Error(`config: cluster.k (${cfg.cluster.k}) must not exceed the number of training examples (${data.n})`);

  const params = createParams(shape, deriveSeed(cfg.seed, 'init'));
  const opt = new Adam(params, cfg.train.lr);
  const rng = new Rng(deriveSeed(cfg.seed, 'train'));
  // train.shift / train.flip augment the steps' x and D only (train.viewsFor narrows that to D, or to the
  // invariance term's views alone): the final re-encoding (vae) and evaluation see the images as stored. The
  // offsets come from the training RNG, so a resumed run draws the same ones.
  const builder = new BatchBuilder(data.images, data.n, P, B, m, shape.zDim, shape.cDim,
    { rows: data.rows, cols: data.cols, shift: cfg.train.shift, flip: cfg.train.flip, target: cfg.train.target, secondView: cfg.train.invariance > 0, viewsFor: cfg.train.viewsFor });

  // Where D comes from: nowhere (vae), the true classes (vhe), or the cluster engine's pseudo-classes (uvhe).
  let engine: ClusterEngine | null = null;
  let trueSampler: TrueLabelSampler | null = null;
  let rel: RelabelResult | null = null;
  if (cfg.mode === 'vhe') trueSampler = new TrueLabelSampler(data.labels!, data.numClasses, deriveSeed(cfg.seed, 'subsets'));
  if (cfg.mode === 'uvhe') {
    // runtime.workers = 0 asks for the plain TypeScript engine on the main thread
    const created = await createClusterEngine(clusterEngineOptions(cfg, data.n), cfg.runtime.workers === 0 ? 'reference' : 'auto');
    engine = created.engine;
    hooks.onMessage?.(`cluster engine: ${created.note}`);
    rel = { labels: await engine.labels(), sizes: new Int32Array(0), inertia: NaN, reseeded: 0, ms: 0 };
    if (cfg.cluster.start === 'pixels' && !resume) {
      // (a resumed run's partition comes from its checkpoint's engine state instead)
      const t0 = performance.now();
      const st = await pixelStartLabels(cfg, data, cfg.cluster.k);
      rel = await engine.assignLabels(st.labels);
      hooks.onMessage?.(`first partition: the ${cfg.cluster.embed === 'none' ? 'KMeans' : cfg.cluster.embed} rule on ${st.components} principal components of the pixels (${(100 * st.explained).toFixed(0)} % of their variance)${cfg.cluster.embed !== 'none' && cfg.cluster.candidates > 1 ? `, the most even of ${cfg.cluster.candidates} fits` : ''}, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      if (data.labels) hooks.onMessage?.(`first partition: accuracy ${clusterAccuracy(data.labels, st.labels, cfg.cluster.k).accuracy.toFixed(3)}, NMI ${nmi(data.labels, st.labels).toFixed(3)}`);
    }
  }
  const sample = (rows: Int32Array): Promise<SubsetBatch> | SubsetBatch | null =>
    engine ? engine.sample(rows, m, cfg.train.includeSelf, cfg.train.shareSubsets)
      : trueSampler ? trueSampler.sample(rows, m, cfg.train.includeSelf, cfg.train.shareSubsets) : null;

  let last: MetricsRecord = {};
  let dimW: Float32Array | null = null; // the clustering's current per-dimension weights (null: all 1)
  let lastGrad: { z: number; c: number } | null = null;
  const perm = Int32Array.from({ length: data.n }, (_, i) => i);
  let globalStep = 0, startEpoch = 1, startStep = 0;
  let carried: { sums: number[]; seen: number } | null = null;
  if (resume) {
    ({ startEpoch, startStep, globalStep, carried } = await restoreState(resume, { params, opt, rng, perm, trueSampler, engine }));
    if (engine) rel = { ...rel!, labels: await engine.labels() };
    dimW = (resume.arrays['cluster/dimWeights'] as Float32Array | undefined) ?? null;
    lastGrad = (resume.meta.lastGrad as { z: number; c: number } | null | undefined) ?? null;
    hooks.onMessage?.(`resumed at epoch ${startEpoch}${startStep ? `, step ${startStep}` : ''} (global step ${globalStep})`);
  }

  /** The whole state at this point: weights, Adam, RNGs, the epoch order, the engine. */
  const snapshot = async (epochDone: number, stepInEpoch: number, partial: { sums: number[]; seen: number } | null): Promise<CheckpointData> => {
    const arrays: CheckpointData['arrays'] = { perm: perm.slice() };
    for (const [k, v] of Object.entries(params)) arrays[`param/${k}`] = v.dataSync() as Float32Array;
    const st = opt.getState();
    for (const k of Object.keys(params)) { arrays[`adam/m/${k}`] = st.m[k]; arrays[`adam/v/${k}`] = st.v[k]; }
    if (engine) {
      const es = await engine.snapshot();
      for (const [k, v] of Object.entries(es)) arrays[`engine/${k}`] = v;
    }
    if (trueSampler) arrays['sampler/rng'] = trueSampler.rng.s.slice();
    if (dimW) arrays['cluster/dimWeights'] = dimW.slice();
    return {
      // bgPending: a background relabel of this epoch's codes starts right after this checkpoint, or one is still
      // running (the engine's snapshot is then the state it started from); resume starts one on the restored codes
      meta: { epoch: epochDone, stepInEpoch, step: globalStep, adamT: st.t, rng: rng.getState(), partial, mode: cfg.mode, n: data.n, lastGrad, bgPending: startBackground !== null || bgRunning() },
      arrays,
    };
  };

  // cluster.refit = "background": the refit in flight (at most one), whether it has settled, and the one to start
  // after this epoch's checkpoint
  const background = cfg.mode === 'uvhe' && cfg.cluster.refit === 'background';
  let bgRelabel: Promise<RelabelResult> | null = null;
  let bgSettled = false;
  const launch = (p: Promise<RelabelResult>): void => {
    bgRelabel = p; bgSettled = false;
    const done = (): void => { if (bgRelabel === p) bgSettled = true; };
    p.then(done, done);
  };
  const bgRunning = (): boolean => bgRelabel !== null && !bgSettled;
  let startBackground: (() => Promise<RelabelResult>) | null = null;
  if (background && engine && resume?.meta.bgPending === true && startStep === 0 && startEpoch <= cfg.train.epochs) {
    // the checkpoint was taken just before the background refit of the previous epoch's codes started, or while an
    // earlier one still ran (its snapshot is the state that one started from): start one on the restored codes
    const e = engine;
    if (cfg.cluster.embed !== 'none') {
      const codes = await e.readCodes();
      launch(graphRefit(cfg, e, codes, data.n, shape.zDim + shape.cDim, dimW, startEpoch - 1, true));
    } else {
      launch(startRelabelInBackground(e, { dimWeights: dimW ?? undefined, restarts: cfg.cluster.restarts, warmStart: cfg.cluster.warmStart }));
    }
  }

  let stopped = false, skipped = 0;
  try {
  for (let epoch = startEpoch; epoch <= cfg.train.epochs && !stopped; epoch++) {
    const tEpoch = performance.now();
    const first = epoch === startEpoch ? startStep : 0;
    if (first === 0) rng.shuffle(perm);
    const sums = new Float64Array(LOSS_KEYS.length);
    const rateSums = new Float64Array(shape.zDim + shape.cDim);
    const klCSums = new Float64Array(shape.cDim);
    let invSum = 0; // the invariance term (train.invariance), summed over this leg's examples like rateSums
    let rateSeen = 0; // examples behind rateSums, klCSums: this leg's only (a resumed epoch's carried sums hold losses)
    let seen = 0, waitMs = 0;
    if (first > 0 && carried) { sums.set(carried.sums); seen = carried.seen; }
    const rowsOf = (s: number): Int32Array => perm.subarray(s * B, Math.min(data.n, (s + 1) * B));
    // The sampler runs one batch ahead: D for step s+1 is requested before step s trains.
    let pending = sample(rowsOf(first));
    let s = first;
    for (; s < stepsPerEpoch; s++) {
      const rows = rowsOf(s);
      const sub = await pending; // the engine itself accounts for how long this blocks (takeWaitMs)
      pending = s + 1 < stepsPerEpoch ? sample(rowsOf(s + 1)) : null;
      const batch = builder.build(rows, sub?.subsets ?? null, m, sub?.setSize ?? null, rng);
      const res = trainStep(shape, params, opt, batch,
        { selfCodes: cfg.cluster.code === 'self', betaZ: cfg.train.betaZ, invariance: cfg.train.invariance, invarianceOn: cfg.train.invarianceOn, temperature: cfg.train.temperature });
      disposeBatch(batch);
      if (res.nonFinite) {
        // The weights were not touched. Skip the step while the budget lasts; else stop (the last good
        // checkpoint and every metrics line written so far stay as they are).
        const where = `epoch ${epoch}, step ${s + 1} of ${stepsPerEpoch} (global step ${globalStep + 1})`;
        if (skipped >= cfg.train.skipNonFinite) throw new TrainingError(`training: ${res.nonFinite} at ${where}; the last good checkpoint is kept`);
        skipped++; globalStep++;
        hooks.onMessage?.(`skipped a step: ${res.nonFinite} at ${where} (${skipped} of ${cfg.train.skipNonFinite} allowed)`);
        continue;
      }
      engine?.writeCodes(rows.slice(), res.codes);
      for (let j = 0; j < sums.length; j++) sums[j] += res.loss[j] * rows.length;
      for (let j = 0; j < rateSums.length; j++) rateSums[j] += res.rates[j] * rows.length;
      for (let j = 0; j < res.klCDims.length; j++) klCSums[j] += res.klCDims[j] * rows.length;
      if (!Number.isNaN(res.invariance)) invSum += res.invariance * rows.length;
      rateSeen += rows.length;
      seen += rows.length; globalStep++;
      const rate = seen / ((performance.now() - tEpoch) / 1000);
      hooks.onStep?.(epoch, s + 1, stepsPerEpoch, sums[0] / seen, rate);
      if (cfg.train.logSteps > 0 && globalStep % cfg.train.logSteps === 0) {
        hooks.onStepRecord?.({ kind: 'step', epoch, step: globalStep, ...Object.fromEntries(LOSS_KEYS.map((k, j) => [`loss/${k}`, res.loss[j]])) });
      }
      if (s + 1 < stepsPerEpoch && hooks.shouldStop?.()) { stopped = true; s++; break; }
    }
    if (stopped) {
      // Stopped mid-epoch: checkpoint where we are (the epoch's partial loss sums travel with it).
      await Promise.resolve(pending).catch(() => undefined); // let the prefetched sample land first
      hooks.onCheckpoint?.(await snapshot(epoch - 1, s, { sums: Array.from(sums), seen }));
      break;
    }
    const trainSec = (performance.now() - tEpoch) / 1000;
    const rec: MetricsRecord = { kind: 'epoch', epoch, step: globalStep };
    LOSS_KEYS.forEach((k, j) => { rec[`loss/${k}`] = sums[j] / seen; });
    const rates = Float32Array.from(rateSums, (v) => v / Math.max(1, rateSeen));
    // active dimensions: those whose posterior moves off the prior by more than 0.01 nats on average (for c, the KL
    // of one q(c|D), not its amortised share per x, which is ~1/|X_x| of it and would count no dimension)
    rec['code/activeZ'] = rates.subarray(0, shape.zDim).filter((r) => r > 0.01).length;
    if (shape.cDim) rec['code/activeC'] = klCSums.filter((v) => v / Math.max(1, rateSeen) > 0.01).length;
    if (cfg.train.invariance > 0) rec['train/invariance'] = invSum / Math.max(1, rateSeen);
    rec['speed/examplesPerSec'] = seen / trainSec;
    rec['time/train'] = trainSec;

    // uvhe: relabel the codes this epoch wrote; these labels drive the next epoch (the seed's "before each epoch").
    // cluster.warmup: epochs before it keep the initial random partition (D is then a random draw, so c carries little
    // and z learns what a VAE's code would); the last epoch always refits, because the run's final labels are its codes'.
    const relabelDue = engine !== null && (epoch >= cfg.cluster.warmup || epoch === cfg.train.epochs);
    if (relabelDue && background && epoch < cfg.train.epochs && bgRunning()) {
      // cluster.refit = "background" and the refit started at an earlier boundary is still running (at 60,000 codes
      // a spectral relabel can outlast several epochs): train on with the labels in use, and start no new refit
      // until it lands (at most one in flight), so that the trainer never waits for the clustering.
      rec['cluster/inFlight'] = 1;
      waitMs += engine!.takeWaitMs();
    } else if (engine && relabelDue) {
      // The seed relabels between epochs, so the trainer waits for this full refit; it is counted as pool wait.
      // cluster.refit = "background": the refit of epoch e's codes runs during epoch e+1 (started below, after the
      // checkpoint) and its labels take over when it lands; here we only collect it once it has (or, at the last
      // epoch, wait for it: the run's final labels are its final codes').
      if (background && epoch < cfg.train.epochs) rec['cluster/inFlight'] = 0;
      const tr = performance.now();
      // the steps' waits so far; what the engine tracks from here on lies inside [tr, now] and is counted once, below
      const stepWaits = engine.takeWaitMs();
      let landed = !background;
      if (bgRelabel) { rel = await bgRelabel; bgRelabel = null; landed = true; }
      const codesNow = await engine.readCodes();
      const dw = clusterDimWeights(cfg.cluster, {
        epoch, epochs: cfg.train.epochs, codes: codesNow, n: data.n, dz: shape.zDim, dc: shape.cDim, rates, grad: lastGrad,
      });
      // New weights only when they changed: the pool's distance bounds survive a relabel with the same weights.
      const changed = !dimW || dw.w.some((v, j) => v !== dimW![j]);
      dimW = dw.w;
      const ro: RelabelOptions = { dimWeights: changed ? dw.w : undefined, restarts: cfg.cluster.restarts, warmStart: cfg.cluster.warmStart };
      // the refit this epoch's codes get: KMeans (relabel) or a graph relabel (spectral, umap), on the pool where it can
      const refit = (bg: boolean): Promise<RelabelResult> => (cfg.cluster.embed !== 'none'
        ? graphRefit(cfg, engine!, codesNow, data.n, shape.zDim + shape.cDim, dw.w, epoch, bg)
        : bg ? startRelabelInBackground(engine!, ro) : engine!.relabel(ro));
      if (background && epoch < cfg.train.epochs) {
        startBackground = () => refit(true); // (the last epoch refits at once: the run's final labels are its final codes')
      } else {
        rel = await refit(false);
        landed = true;
      }
      rec['cluster/wz'] = dw.wz; rec['cluster/wc'] = dw.wc;
      engine.takeWaitMs();
      waitMs += stepWaits + (performance.now() - tr);
      if (landed || epoch === cfg.train.epochs) Object.assign(rec, clusterMetrics(rel!, data.labels, cfg.cluster.k));
    }
    if (engine?.workerRestarts !== undefined) rec['pool/workerRestarts'] = engine.workerRestarts;
    rec['time/poolWait'] = waitMs / 1000;
    rec['time/poolWaitFraction'] = waitMs / 1000 / ((performance.now() - tEpoch) / 1000);

    const evalDue = cfg.eval.every > 0 && (epoch % cfg.eval.every === 0 || epoch === cfg.train.epochs);
    if (evalDue && test.n > 0) {
      const tEval = performance.now();
      const ev = evaluate({
        shape, params, train: data, test, k: cfg.mode === 'vhe' ? data.numClasses : cfg.cluster.k,
        trainLabels: cfg.mode === 'vhe' ? data.labels : rel?.labels ?? null,
        codes: engine ? await engine.readCodes() : undefined, dimWeights: dimW,
        subsetSize: m, limit: cfg.eval.limit, seed: deriveSeed(cfg.seed, 'eval'), batchSize: 500,
      });
      Object.assign(rec, {
        'test/total': ev.total, 'test/bce': ev.bce, 'test/klZ': ev.klZ, 'test/klC': ev.klC, 'test/klCWeighted': ev.klCWeighted,
        'grad/z': ev.gradZ, 'grad/c': Number.isNaN(ev.gradC) ? null : ev.gradC,
        'grad/ratio': Number.isNaN(ev.gradC) ? null : ev.gradZ / ev.gradC,
      });
      lastGrad = Number.isNaN(ev.gradC) ? null : { z: ev.gradZ, c: ev.gradC };
      if (ev.testClusters && test.labels) {
        const tl = test.labels.subarray(0, ev.n);
        rec['cluster/testNmi'] = nmi(tl, ev.testClusters);
        rec['cluster/testAcc'] = clusterAccuracy(tl, ev.testClusters, cfg.cluster.k).accuracy;
      }
      rec['time/eval'] = (performance.now() - tEval) / 1000;
    }
    if (evalDue && epoch === cfg.train.epochs && data.labels && cfg.mode !== 'vhe') {
      const tFinal = performance.now();
      // Accuracy and NMI at k = the number of true classes (or eval.finalK), whatever k training used:
      // re-cluster the final codes (uvhe: the store, with the final weights; vae: the means of q(z|x), the
      // classic "KMeans on the VAE's codes" baseline), keeping the best of several seeds.
      const kFinal = cfg.eval.finalK || data.numClasses;
      if (kFinal <= data.n) {
        let f: FinalScores;
        if (cfg.eval.codes === 'hidden') {
          const h = await hiddenFinalScores(cfg, shape, params, builder, data.n, B, rng, kFinal, data.labels);
          rec['final/explained'] = h.explained;
          f = h;
        } else {
          if (engine) f = await finalScores(cfg, engine, await engine.readCodes(), data.n, shape.zDim + shape.cDim, kFinal, dimW, data.labels);
          else {
            // vae: the means go to a pool of their own, so that their neighbours run on the SIMD workers as the
            // store's do (60,000 × 20 means, K = 50: 86 s in TypeScript's exact f64 neighbours, 8 s on the pool)
            const codes = encodeMeans(shape, params, builder, data.n, B, rng);
            f = await withRowsEngine(cfg, codes, data.n, shape.zDim, finalEmbed(cfg) !== 'none', (e) => finalScores(cfg, e, codes, data.n, shape.zDim, kFinal, null, data.labels!));
          }
        }
        rec['final/codes'] = cfg.eval.codes;
        rec['final/k'] = kFinal;
        rec['final/acc'] = f.acc;
        rec['final/nmi'] = f.nmi;
        if (cfg.eval.draws > 1) { rec['final/accSd'] = f.accSd; rec['final/nmiSd'] = f.nmiSd; rec['final/draws'] = f.accs; }
      }
      rec['time/eval'] = Number(rec['time/eval'] ?? 0) + (performance.now() - tFinal) / 1000; // an evaluation, too
    }
    rec['time/epoch'] = (performance.now() - tEpoch) / 1000;
    rec['tensors'] = tf.memory().numTensors;
    rec['train/skippedSteps'] = skipped;
    last = rec;
    hooks.onEpoch?.(rec);
    const every = cfg.checkpoint.every;
    stopped = hooks.shouldStop?.() ?? false;
    if (epoch === cfg.train.epochs || stopped || (every > 0 && epoch % every === 0)) hooks.onCheckpoint?.(await snapshot(epoch, 0, null));
    if (startBackground && !stopped) launch(startBackground());
    startBackground = null;
  }
  } catch (e) {
    await engine?.close().catch(() => undefined); // worker threads would keep the process alive
    throw e;
  }
  const codes = engine ? await engine.readCodes() : null;
  await engine?.close();
  return { params, shape, last, stopped, trainLabels: cfg.mode === 'vhe' ? data.labels : rel?.labels ?? null, codes };
}

/**
 * The final re-clustering of n×d codes at k (the run's `final/acc`, `final/nmi`): by eval.embed (default: the same
 * rule as training's relabels, cluster.embed; for vae, the same clustering of its codes is the fair baseline) on
 * the codes eval.space picks, seeded from the run's seed so that `npm start -- --recluster` gets the same labels
 * from the checkpoint's code store. Neighbours on the pool where an engine is given, else in TypeScript (the
 * same neighbours up to f32 near-ties). Spectral: the consensus of eval.consensus KMeans fits
 * (src/cluster/consensus.ts); umap: the most likely of cluster.mixtures Gaussian mixtures.
 */
export async function finalClusters(cfg: Config, engine: ClusterEngine | null, codes: Float32Array, n: number, d: number, k: number,
  trainWeights: Float32Array | null, draw = 0, cache?: NeighbourCache, candidate = 0): Promise<Int32Array> {
  const weights = finalSpaceWeights(cfg, trainWeights, d);
  const embed = finalEmbed(cfg);
  // draw 0 keeps the seed names of every earlier run, so their final/acc stays reproducible; so does each
  // draw's first candidate (eval.candidates)
  const tag = (draw === 0 ? '' : `-draw${draw}`) + (candidate === 0 ? '' : `-cand${candidate}`);
  if (finalPooled(cfg)) {
    return pooledSpectral(cfg, engine, codes, n, d, k, weights, `final-spectral${tag}`, cache);
  }
  if (embed !== 'none') return graphRelabel(cfg, embed, engine, codes, n, d, k, weights, `final-spectral${tag}`, 5, cfg.eval.consensus, cache);
  return bestKmeans(codes, n, d, k, weights, 5, new ClusterRng(deriveSeed(cfg.seed, `final${tag}`)));
}

/** The lowest-inertia of `fits` k-means++ KMeans fits (50 Lloyd steps each) of n×d rows: labels. */
function bestKmeans(rows: Float32Array, n: number, d: number, k: number, weights: Float32Array | null, fits: number, rng: ClusterRng): Int32Array {
  let best: ReturnType<typeof kmeansFit> | null = null;
  for (let r = 0; r < fits; r++) {
    const f = kmeansFit(rows, n, d, { k, weights, iters: 50, init: 'kmeans++', rng });
    if (!best || f.inertia < best.inertia) best = f;
  }
  return best!.labels;
}

export interface FinalScores {
  /** the first draw's labels (the run's own seed) */
  labels: Int32Array;
  /** means over the eval.draws draws, and their sample sd (0 for one draw) */
  acc: number; nmi: number; accSd: number; nmiSd: number;
  /** each draw's accuracy, in draw order */
  accs: number[];
}

/** The final re-clustering scored against the true labels, eval.draws times with different seeds of its rule
 *  (finalClusters), because one draw is a noisy measure: on 60k Fashion-MNIST stores the seed alone moved the
 *  accuracy by ±0.03 (experiments/results/fashion-neighbours.md). */
export async function finalScores(cfg: Config, engine: ClusterEngine | null, codes: Float32Array, n: number, d: number, k: number,
  trainWeights: Float32Array | null, truth: Int32Array): Promise<FinalScores> {
  let labels: Int32Array | null = null;
  const accs: number[] = [], nmis: number[] = [];
  const cache: NeighbourCache = new Map();
  for (let draw = 0; draw < cfg.eval.draws; draw++) {
    let l = await finalClusters(cfg, engine, codes, n, d, k, trainWeights, draw, cache);
    // eval.candidates: the most even of several fits (the first wins ties), chosen without the labels
    let even = cfg.eval.candidates > 1 ? sizeEvenness(l, k) : 1;
    for (let c = 1; c < cfg.eval.candidates; c++) {
      const lc = await finalClusters(cfg, engine, codes, n, d, k, trainWeights, draw, cache, c);
      const e = sizeEvenness(lc, k);
      if (e > even) { l = lc; even = e; }
    }
    labels ??= l;
    accs.push(clusterAccuracy(truth, l, k).accuracy);
    nmis.push(nmi(truth, l));
  }
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  const sd = (a: number[]): number => a.length < 2 ? 0 : Math.sqrt(a.reduce((s, v) => s + (v - mean(a)) ** 2, 0) / (a.length - 1));
  return { labels: labels!, acc: mean(accs), nmi: mean(nmis), accSd: sd(accs), nmiSd: sd(nmis), accs };
}

/** Whether the final rule pools graphs or restarts its consensus other than graphRelabel's way (pooledSpectral). */
export function finalPooled(cfg: Config): boolean {
  return finalEmbed(cfg) === 'spectral' && cfg.eval.consensus > 0 && (cfg.eval.graphs > 1 || cfg.eval.consensusRestarts !== 5);
}

/** The final re-clustering's rule: eval.embed, or cluster.embed when it says "same". */
export function finalEmbed(cfg: Config): Config['cluster']['embed'] {
  return cfg.eval.embed === 'same' ? cfg.cluster.embed : cfg.eval.embed;
}

/**
 * The distance weights of the final re-clustering: training's (cluster.space and its weighting) unless eval.space
 * names a part, which then keeps training's weights on that part (1 where training had none) and 0 on the other.
 * Only for a [z‖c] store (d = zDim + cDim); a vae's codes are z alone.
 */
export function finalSpaceWeights(cfg: Config, w: Float32Array | null, d: number): Float32Array | null {
  const space = cfg.eval.space;
  const dz = cfg.model.zDim;
  if (space === 'same' || cfg.mode === 'vae' || d !== dz + cfg.model.cDim) return w;
  // a part that training left out entirely (cluster.space) gets weight 1 per dimension when eval.space asks for it
  const unused = (from: number, to: number): boolean => !w || w.subarray(from, to).every((v) => v === 0);
  const zOff = unused(0, dz), cOff = unused(dz, d);
  const out = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    const isZ = j < dz;
    const keep = space === 'zc' || (space === 'z') === isZ;
    out[j] = !keep ? 0 : (isZ ? zOff : cOff) ? 1 : w![j]!;
  }
  return out;
}

/**
 * Columns of the embedding for a fit at k. Spectral: cluster.eigenvectors, or ⌈1.6·k⌉ (at most 48) when it is 0;
 * more eigenvectors than clusters because the first k are partly spent on splitting one elongated class (MNIST's
 * 1s by slant) while two touching classes (4 and 9) share one; the next few carry what separates those. Measured
 * by re-clustering the same stored codes (npm start -- --recluster): 16 against 10 eigenvectors gained on all 4
 * MNIST and 3 Fashion-MNIST stores; 14, 18 and 20 gained less or lost (experiments/results/spectral-eigenvectors.md).
 * Umap: k dimensions (at most 32), one per cluster as in N2D; the mixture's full covariances cost O(dims²).
 */
export function embedDims(cfg: Config, embed: GraphEmbed, k: number, n: number): number {
  if (embed === 'umap') return Math.min(k, 32, n);
  return Math.min(cfg.cluster.eigenvectors || Math.min(Math.ceil(1.6 * k), 48), n);
}

/**
 * K of the neighbour graph over n codes: cluster.neighbors, or, when it is 0, one neighbour per 1,000 codes
 * within [10, 50]. A fixed K makes the graph ever more local as n grows: 10 neighbours are 0.1 % of 10,000 codes
 * but 0.017 % of 60,000, and the eigenvectors of so local a graph follow small dense patches instead of classes.
 * Measured on the 60k Fashion-MNIST stores (experiments/results/fashion-neighbours.md); at 10,000 codes K = 15 and
 * 20 changed little against 10 (spectral-eigenvectors.md), so up to 10,000 codes it stays 10. 50 is the largest K
 * measured (the SIMD kernel's scratch holds 56).
 */
export function graphNeighbors(cfg: Config, n: number): number {
  const K = cfg.cluster.neighbors || Math.min(50, Math.max(10, Math.round(n / 1000)));
  return Math.min(K, n - 1);
}

/** The graph rule (graph.ts) of a relabel at k by `embed` with `fits` fits. */
function graphRule(cfg: Config, embed: GraphEmbed, k: number, n: number, seed: number, fits: number, consensus: number, candidates = 1): GraphRule {
  return {
    embed, K: graphNeighbors(cfg, n), dims: embedDims(cfg, embed, k, n), iters: cfg.cluster.eigenIters, epochs: cfg.cluster.layoutEpochs,
    fits: embed === 'umap' ? cfg.cluster.mixtures : fits, consensus: embed === 'umap' ? cfg.cluster.layouts : consensus, seed, candidates,
  };
}

/**
 * Pseudo-labels by a graph relabel of n×d codes (spectral or umap): the neighbour graph on the engine's SIMD pool
 * where it has one (all workers), else in TypeScript; the rest on this thread (src/cluster/graph.ts).
 * weights: per-dimension distance weights (null: all 1).
 */
async function graphRelabel(cfg: Config, embed: GraphEmbed, engine: ClusterEngine | null, codes: Float32Array, n: number, d: number, k: number,
  weights: Float32Array | null, seedName: string, fits: number, consensus = 0, cache?: NeighbourCache, candidates = 1): Promise<Int32Array> {
  const rule = graphRule(cfg, embed, k, n, deriveSeed(cfg.seed, seedName), fits, consensus, candidates);
  const nb = cache ? await neighboursOf(engine, codes, n, d, rule.K, weights, cache) : engine?.knn ? await engine.knn(rule.K, weights ?? undefined) : undefined;
  return graphLabels(codes, n, d, k, rule, weights, nb);
}

/** Neighbour graphs by K: several draws (and the graphs of a pooled rule) over the same codes and weights share
 *  them, since only their seeds differ. */
export type NeighbourCache = Map<number, Neighbours>;

async function neighboursOf(engine: ClusterEngine | null, codes: Float32Array, n: number, d: number, K: number,
  weights: Float32Array | null, cache: NeighbourCache): Promise<Neighbours> {
  let nb = cache.get(K);
  if (!nb) {
    nb = engine?.knn ? await engine.knn(K, weights ?? undefined) : knn(codes, n, d, K, weights);
    cache.set(K, nb);
  }
  return nb;
}

/**
 * K of each neighbour graph the final spectral rule pools (eval.graphs): one graph at graphNeighbors' K, or
 * eval.graphs values spread evenly over [10, 50] (10, 23, 37, 50 for 4), the range measured at 10,000 and 60,000
 * codes (experiments/results/fashion-pooled-graphs.md, fashion-neighbours.md). Below 10,000 codes the range
 * shrinks in proportion (n = 8,000: 10, 19, 29, 40), so that each K covers about the same share of the store, but
 * no K goes below 10, graphNeighbors' own floor (so from 2,000 codes down it is one graph at K = 10); each K is at
 * most n − 1, repeats dropped.
 */
export function finalGraphKs(cfg: Config, n: number): number[] {
  const G = cfg.eval.graphs;
  if (G <= 1) return [graphNeighbors(cfg, n)];
  const scale = Math.min(1, n / 10000);
  const ks = Array.from({ length: G }, (_, i) => Math.min(n - 1, Math.max(10, Math.round((10 + (40 * i) / (G - 1)) * scale))));
  return [...new Set(ks)];
}

/**
 * The final spectral rule with pooled graphs: eval.consensus single KMeans fits on the spectral embedding of
 * each graph (finalGraphKs), all of them pooled into one consensus (src/cluster/consensus.ts) that keeps the
 * lowest-disagreement of eval.consensusRestarts starts. Why: one graph's fits share its embedding's biases (K = 10
 * splits one class into small dense patches where K = 50 merges two touching ones), so the draws of one graph
 * land in different partitions (±0.03 on one Fashion-MNIST store); fits from several graphs outvote what only one
 * graph makes. And the consensus's own disagreement picks the better of its starts (Spearman 0.5–0.65 against
 * accuracy over 40 starts on two Fashion stores), where 5 starts left it to chance. Measured in
 * experiments/results/fashion-pooled-graphs.md. With one graph and 5 starts it is graphRelabel's rule exactly.
 */
export async function pooledSpectral(cfg: Config, engine: ClusterEngine | null, codes: Float32Array, n: number, d: number, k: number,
  weights: Float32Array | null, seedName: string, cache: NeighbourCache = new Map()): Promise<Int32Array> {
  const fits: Int32Array[] = [];
  let consensusRng: Rng | null = null;
  for (const [g, K] of finalGraphKs(cfg, n).entries()) {
    // graph 0 keeps the one-graph rule's seed, so that eval.graphs = 1 reproduces it
    const seed = deriveSeed(cfg.seed, g === 0 ? seedName : `${seedName}-graph${g}`);
    const rule = graphRule(cfg, 'spectral', k, n, seed, 5, cfg.eval.consensus);
    const nb = await neighboursOf(engine, codes, n, d, K, weights, cache);
    const rng = new Rng(seed ^ 0x5bd1e995); // spectralLabels' stream: its fits, then (graph 0's) its consensus
    fits.push(...spectralFits(codes, n, d, k, { neighbors: K, dims: rule.dims, weights, iters: rule.iters, seed }, cfg.eval.consensus, rng, nb));
    consensusRng ??= rng;
  }
  return consensusLabels(fits, n, k, k, { restarts: cfg.eval.consensusRestarts, iters: 100, rng: consensusRng! }).labels;
}

/**
 * The graph relabel of epoch `epoch`'s codes (cluster.embed spectral or umap): wholly on the pool where the engine
 * can (then optionally in the background), else neighbours, embedding and fits on this thread and the labels
 * handed to the engine. The same labels either way (the same neighbours, seeds and arithmetic).
 */
function graphRefit(cfg: Config, engine: ClusterEngine, codes: Float32Array, n: number, d: number, w: Float32Array | null,
  epoch: number, background: boolean): Promise<RelabelResult> {
  const embed = cfg.cluster.embed as GraphEmbed, k = cfg.cluster.k, fits = cfg.cluster.restarts + 3;
  const seedName = `spectral-${epoch}`;
  if (engine.graphRelabelOnPool) {
    const rule = graphRule(cfg, embed, k, n, deriveSeed(cfg.seed, seedName), fits, cfg.cluster.consensus, cfg.cluster.candidates);
    const p = engine.graphRelabelOnPool({ ...rule, dimWeights: w ?? undefined, background });
    if (background) p.catch(() => undefined); // awaited at the next epoch boundary; no unhandled rejection meanwhile
    return p;
  }
  return (async () => engine.assignLabels(await graphRelabel(cfg, embed, engine, codes, n, d, k, w, seedName, fits, cfg.cluster.consensus, undefined, cfg.cluster.candidates), w ?? undefined))();
}

/** Start a relabel that runs alongside the next epoch's steps. The promise gets a no-op handler at once, so a
 *  failure is not an unhandled rejection while nobody awaits it; the loop awaits it at the next epoch boundary. */
function startRelabelInBackground(engine: ClusterEngine, ro: RelabelOptions): Promise<RelabelResult> {
  const p = engine.relabel({ ...ro, background: true });
  p.catch(() => undefined);
  return p;
}

/**
 * cluster.start = "pixels": the first partition, found by the relabel rule (cluster.embed, its consensus and seed
 * stream) on the top cluster.startComponents principal components of the training pixels (n×P bytes → n×m f32),
 * instead of KMeans on random codes. Why: a random partition gives D no shared class, so until the codes cluster
 * on their own c learns nothing; DEC and VaDE likewise start from a clustering of the data. Why components: the
 * top 64 hold 88 % of Fashion-MNIST's pixel variance, the neighbours cost 12× less than on 784 pixels, and the
 * rule on them found better clusters than on the raw pixels (10k Fashion images: 0.645 against 0.613 over 3
 * draws, experiments/results/fashion-input-features.md). Neighbours on a pool of their own where workers run.
 */
export async function pixelStartLabels(cfg: Config, data: Split['train'], k: number): Promise<{ labels: Int32Array; components: number; explained: number }> {
  const n = data.n, P = data.rows * data.cols;
  if (P > 1024) throw new TrainingError(`cluster.start "pixels": at most 1,024 pixels per image (the principal components' eigen-solver is O(P³)); ${data.name} has ${P}`);
  const m = Math.min(cfg.cluster.startComponents, P, n);
  const X = Float32Array.from(data.images, (v) => v / 255); // n×P in [0, 1], as the networks see them
  const pca = pcaFit(X, n, P, m);
  const rows = pcaProject(pca, X, n, P); // n×m
  if (cfg.cluster.embed === 'none') {
    const labels = bestKmeans(rows, n, m, k, null, cfg.cluster.restarts + 3, new ClusterRng(deriveSeed(cfg.seed, 'start')));
    return { labels, components: m, explained: pca.explained };
  }
  const embed = cfg.cluster.embed;
  const labels = await withRowsEngine(cfg, rows, n, m, true,
    (engine) => graphRelabel(cfg, embed, engine, rows, n, m, k, null, 'start', cfg.cluster.restarts + 3, cfg.cluster.consensus, undefined, cfg.cluster.candidates));
  return { labels, components: m, explained: pca.explained };
}

/** n×dims rows f(xT) of every training example (f: [P, B] → [dims, B]), in batches, without touching the
 *  training RNG. */
function encodeRows(builder: BatchBuilder, n: number, B: number, rng: Rng, dims: number, f: (xT: Tensor2D) => Tensor2D): Float32Array {
  const out = new Float32Array(n * dims);
  const state = rng.getState();
  for (let s = 0; s < n; s += B) {
    const rows = Int32Array.from({ length: Math.min(B, n - s) }, (_, i) => s + i);
    const b = builder.buildX(rows, rng);
    const y = tf.tidy(() => tf.transpose(f(b.xT)).dataSync() as Float32Array);
    out.set(y, s * dims);
    b.xT.dispose(); b.epsZ.dispose();
  }
  rng.setState(state); // buildX drew noise; put the stream back so a resumed run stays identical
  return out;
}

/** n×dz means of q(z|x) of every training example (vae). */
function encodeMeans(shape: ModelShape, params: Params, builder: BatchBuilder, n: number, B: number, rng: Rng): Float32Array {
  return encodeRows(builder, n, B, rng, shape.zDim, (xT) => encodeZ(shape, params, xT, undefined).mu);
}

/**
 * The final re-clustering on the networks' hidden features (eval.codes = "hidden") instead of the code store:
 * every training x's first-layer features in the set encoder (encodeHidden: H = model.hidden ReLU units), in their
 * top eval.components principal components, clustered by the final rule (finalScores) with unit weights. Why:
 * q(c|D) is the heads applied to the mean of these features over D, so they are the space in which the model
 * groups examples into classes, before the heads squeeze them into cDim dimensions that mostly carry the pseudo-
 * class's id. On three 10k Fashion-MNIST uvhe runs all 512 units clustered at 0.653 against 0.616 for the store,
 * but a VAE's first layer gained as much, and on two 60k stores 64 components scored 0.595 against the store's
 * 0.604 (experiments/results/fashion-hidden-features.md), so it is opt-in. The principal components keep the
 * neighbour search O(n²·eval.components) instead of O(n²·H). Neighbours on a pool of their own where
 * runtime.workers allows (f32, so --recluster reproduces the run's scores).
 */
export async function hiddenFinalScores(cfg: Config, shape: ModelShape, params: Params, builder: BatchBuilder, n: number, B: number, rng: Rng,
  k: number, truth: Int32Array): Promise<FinalScores & { explained: number }> {
  const H = shape.hidden;
  const feats = encodeRows(builder, n, B, rng, H, (xT) => encodeHidden(shape, params, xT));
  const m = Math.min(cfg.eval.components, H, n);
  const pca = pcaFit(feats, n, H, m);
  const rows = pcaProject(pca, feats, n, H);
  const f = await withRowsEngine(cfg, rows, n, m, finalEmbed(cfg) !== 'none', (engine) => finalScores(cfg, engine, rows, n, m, k, null, truth));
  return { ...f, explained: pca.explained };
}

/** `use` with a cluster engine of its own that holds n×m feature rows (its neighbours run on the pool), closed
 *  after it; no engine (null: neighbours in TypeScript) with runtime.workers = 0 or when `wanted` is false. */
export async function withRowsEngine<T>(cfg: Config, rows: Float32Array, n: number, m: number, wanted: boolean,
  use: (engine: ClusterEngine | null) => Promise<T>): Promise<T> {
  let engine: ClusterEngine | null = null;
  if (wanted && cfg.runtime.workers !== 0) {
    engine = (await createClusterEngine({ ...clusterEngineOptions(cfg, n), dz: m, dc: 0, weights: { z: 1, c: 1 }, refit: 'epoch' })).engine;
  }
  try {
    engine?.writeCodes(Int32Array.from({ length: n }, (_, i) => i), rows);
    return await use(engine);
  } finally {
    await engine?.close();
  }
}

/** The trained networks of a finished run, rebuilt from its checkpoint's weights, with a batch builder over its
 *  training images, handed to `use` and disposed after it (also when it throws). */
async function withCheckpointModel<T>(cfg: Config, ck: CheckpointData, data: Split['train'],
  use: (shape: ModelShape, params: Params, builder: BatchBuilder, B: number) => T | Promise<T>): Promise<T> {
  const P = data.rows * data.cols;
  const shape = modelShape(cfg, P);
  const B = Math.min(cfg.train.batchSize, data.n);
  const params = createParams(shape, 0); // every value is overwritten below
  try {
    assignParams(params, (name) => {
      const a = ck.arrays[name];
      if (!a) throw new CheckpointError(`checkpoint: array ${name} is missing (was it written by another mode or model size?)`);
      return a as Float32Array;
    });
    return await use(shape, params, new BatchBuilder(data.images, data.n, P, B, cfg.train.subsetSize, shape.zDim, shape.cDim), B);
  } finally {
    disposeParams(params);
  }
}

/** hiddenFinalScores for a finished run, from its checkpoint's weights (`--recluster` with eval.codes = "hidden"). */
export function hiddenScoresFromCheckpoint(cfg: Config, ck: CheckpointData, data: Split['train'], k: number): Promise<FinalScores & { explained: number }> {
  return withCheckpointModel(cfg, ck, data, (shape, params, builder, B) => hiddenFinalScores(cfg, shape, params, builder, data.n, B, new Rng(0), k, data.labels!));
}

/**
 * The codes a vae run's final re-clustering used (n×zDim means of q(z|x) of every training example), rebuilt
 * from its checkpoint's weights: a vae keeps no code store, and `--recluster` scores its codes under other rules.
 * Same weights, data and backend give the same means, so the run's own rule gives its final/acc again.
 */
export function vaeCodesFromCheckpoint(cfg: Config, ck: CheckpointData, data: Split['train']): Promise<Float32Array> {
  // the means do not read the noise
  return withCheckpointModel(cfg, ck, data, (shape, params, builder, B) => encodeMeans(shape, params, builder, data.n, B, new Rng(0)));
}

/** The cluster engine a run of `cfg` on n training examples uses (also what --recluster rebuilds). */
export function clusterEngineOptions(cfg: Config, n: number): ClusterEngineOptions {
  return {
    n, dz: cfg.model.zDim, dc: cfg.model.cDim, k: cfg.cluster.k, seed: deriveSeed(cfg.seed, 'cluster'),
    weights: cfg.cluster.weights, iters: cfg.cluster.iters, init: cfg.cluster.init, batchSize: cfg.cluster.batchSize,
    refit: cfg.cluster.refit, workers: Math.max(1, cfg.runtime.workers), simd: cfg.cluster.simd,
    // the largest graph training or the final rule asks for; smaller ones take each row's nearest few (pool.knn)
    knnK: Math.max(cfg.cluster.embed !== 'none' || finalEmbed(cfg) !== 'none' ? graphNeighbors(cfg, n) : 0, finalPooled(cfg) ? Math.max(...finalGraphKs(cfg, n)) : 0),
  };
}

/** The engine's state from a checkpoint's `engine/*` arrays; `get` fetches one array by name (and refuses a missing one). */
export function engineSnapshotOf(get: (name: string) => unknown): EngineSnapshot {
  const es = {} as Record<string, unknown>;
  for (const f of ['codes', 'labels', 'dist', 'centroids', 'counts', 'onlineCounts', 'rng']) es[f] = get(`engine/${f}`);
  return es as unknown as EngineSnapshot;
}

/** Every variable's values from a checkpoint's `param/<name>` arrays; `get` fetches one (and refuses a missing one). */
function assignParams(params: Params, get: (name: string) => Float32Array): void {
  for (const [k, p] of Object.entries(params)) {
    const w = get(`param/${k}`);
    if (w.length !== p.size) throw new CheckpointError(`checkpoint: param/${k} has ${w.length} values, the model needs ${p.size} (different model config?)`);
    const t = tf.tensor(w, p.shape);
    p.assign(t);
    t.dispose(); // assign() shares the data; the variable keeps its own reference
  }
}

/** Put a checkpoint's state back into a freshly built trainer. Throws CheckpointError on a mismatch. */
async function restoreState(ck: CheckpointData, t: {
  params: Params; opt: Adam; rng: Rng; perm: Int32Array; trueSampler: TrueLabelSampler | null; engine: ClusterEngine | null;
}): Promise<{ startEpoch: number; startStep: number; globalStep: number; carried: { sums: number[]; seen: number } | null }> {
  const meta = ck.meta as { epoch: number; stepInEpoch: number; step: number; adamT: number; rng: Array<number | null>; partial: { sums: number[]; seen: number } | null; n: number };
  const need = <T>(name: string): T => {
    const a = ck.arrays[name];
    if (!a) throw new CheckpointError(`checkpoint: array ${name} is missing (was it written by another mode or model size?)`);
    return a as T;
  };
  if (meta.n !== t.perm.length) throw new CheckpointError(`checkpoint: it was written for ${meta.n} training examples, the data now has ${t.perm.length}`);
  const m: Record<string, Float32Array> = {}, v: Record<string, Float32Array> = {};
  assignParams(t.params, need<Float32Array>);
  for (const k of Object.keys(t.params)) { m[k] = need(`adam/m/${k}`); v[k] = need(`adam/v/${k}`); }
  t.opt.setState({ t: meta.adamT, m, v });
  t.rng.setState(meta.rng);
  t.perm.set(need<Int32Array>('perm'));
  if (t.trueSampler) t.trueSampler.rng.s.set(need<Uint32Array>('sampler/rng'));
  if (t.engine) {
    await t.engine.restore(engineSnapshotOf(need));
  }
  const mid = meta.stepInEpoch > 0;
  return { startEpoch: meta.epoch + 1, startStep: mid ? meta.stepInEpoch : 0, globalStep: meta.step, carried: mid ? meta.partial : null };
}

export { disposeParams };
