// The end of a run, after its last checkpoint: image grids, report.html, the model/ export and summary.txt.
// Each phase starts only while no stop was asked for (Ctrl-C / SIGTERM are honoured between phases), and the
// summary says whether the outputs are complete: `epochs: E of E` alone means they are; a run whose outputs were
// skipped or stopped completes them on --resume (resume-check.ts), from its checkpoint, without training again.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from './config.js';
import { datasetSpecOf, toFloat01, type Split } from './data/dataset.js';
import type { MetricsRecord } from './train/loop.js';
import { modelShape } from './train/loop.js';
import { createParams, type ModelShape, type Params } from './model/vhe.js';
import { tf } from './backend.js';
import { Rng, deriveSeed } from './util/rng.js';
import { BatchBuilder } from './train/batch.js';
import { encodeMeans, finalSpaceWeights, withFinalZ } from './eval/final.js';
import { writeImageGrids } from './report/images.js';
import { writeReport } from './report/html.js';
import { writeClusterFiles } from './report/cluster-map.js';
import { exportRun, type ExportRunOptions } from './model/export.js';
import { ASSIGN_K, selectSpace } from './assign.js';
import { graphNeighbors } from './eval/rules.js';
import { encodeInductive } from './apply/networks.js';
import { spaceCodes } from './apply/run-model.js';
import type { FinalClustering } from './train/loop.js';
import { CheckpointError, type CheckpointData } from './train/checkpoint.js';
import { faultPause, writeAtomic } from './run-folder.js';

/** What the outputs are made from: train()'s result, or a finished run's checkpoint. */
export interface OutputSource {
  shape: ModelShape;
  params: Params;
  last: MetricsRecord;
  /** training stopped early (a signal) */
  stopped: boolean;
  /** the phase of training a stop cut short (nothing of it kept), if any */
  skipped?: string | null;
  trainLabels: Int32Array | null;
  /** the final re-clustering (train() only; null from a checkpoint) and the code store (uvhe) */
  final: FinalClustering | null;
  codes: Float32Array | null;
  /** the codes the report's map lays out (see TrainResult) */
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
      if (src.final || !existsSync(join(dir, 'clusters.json'))) {
        writeClusterFiles(dir, { cfg, train: split.train, result: { ...src, finalLabels: src.final?.labels ?? null } });
      }
    }],
    ['the report', () => writeReport({ out: join(dir, 'report.html'), title: basename(dir), runs: [{ label: cfg.mode, dir }] })],
    ['the model export', async () => {
      ctx.message(`exporting model (networks, preprocessing, clustering state) to ${join(dir, 'model')} …`);
      const r = src.last;
      const header = await exportRun({
        dir: join(dir, 'model'), shape: src.shape, params: src.params,
        manifest: {
          image: { rows: split.train.rows, cols: split.train.cols }, preprocess: { deskew: datasetSpecOf(cfg).deskew ?? false, scale: 255 },
          subsetSize: cfg.train.subsetSize, classes: split.train.numClasses,
          final: typeof r['final/acc'] === 'number' ? { k: Number(r['final/k']), acc: r['final/acc'], nmi: Number(r['final/nmi']), rule: finalRule(cfg, Number(r['final/k'])) } : null,
        },
        reference: assignReference(cfg, split, src),
      });
      if (header) assignNote = `assignment of new images: ${header.K}-nearest-neighbour vote over ${header.n.toLocaleString('en-US')} training codes (${header.labelSource} labels); leave-one-out agreement with them ${header.looAgreement.toFixed(3)}`;
    }],
  ];
  let assignNote = '';
  const skipped: string[] = [];
  for (const [what, run] of phases) {
    await faultPause(what);
    await new Promise((r) => setImmediate(r)); // a signal that came during the last phase is handled here
    if (src.stopped || ctx.stopRequested()) { skipped.push(what); continue; }
    try {
      if (what !== 'the model export') ctx.message(`writing ${what.replace(/^the /, '')} …`);
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
    `run: ${dir}`, `mode: ${cfg.mode}`, `data: ${split.source}`, ctx.backendNote,
    `epochs: ${epochs} of ${E}${state}`,
    `train nats/example: ${fmt(r['loss/total'])}`, `test nats/example: ${fmt(r['test/total'])}`,
    finalResultLine(cfg, r), pseudoLabelLine(r), assignNote,
  ].filter(Boolean).join('\n') + '\n';
  writeAtomic(join(dir, 'summary.txt'), summary);
  for (const line of [finalResultLine(cfg, r), pseudoLabelLine(r), assignNote]) if (line) ctx.message(line);
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
  const codes = cfg.mode === 'uvhe' && ck.arrays['engine/codes'] instanceof Float32Array ? ck.arrays['engine/codes'] : null;
  const final = finalFromCheckpoint(cfg, split, ck, { shape, params, codes });
  const mapCodes = final ? { rows: final.codes, d: final.d, weights: final.weights } : null;
  return { shape, params, last: lastEpochRecord(dir, Number(ck.meta.epoch)), stopped: false, trainLabels, final, codes, mapCodes };
}

/** The final re-clustering as the finished run had it: its labels and k from the checkpoint, the codes it clustered
 *  (the means of q(z|x), encoded again; uvhe: with the stored c, under the final space's weights). */
function finalFromCheckpoint(cfg: Config, split: Split, ck: CheckpointData,
  m: { shape: ModelShape; params: Params; codes: Float32Array | null }): FinalClustering | null {
  const labels = ck.arrays['final/labels'], k = Number(ck.meta.finalK);
  if (!(labels instanceof Int32Array) || !(k > 0)) return null;
  if (!m.codes && cfg.mode !== 'vae') return null;
  const { n } = split.train, { shape } = m;
  const B = Math.min(cfg.train.batchSize, n);
  const builder = new BatchBuilder(split.train.images, n, shape.pixels, B, cfg.train.subsetSize, shape.zDim, shape.cDim);
  const zMeans = encodeMeans({ shape, params: m.params, builder, n, B, rng: new Rng(0) }); // the means read no noise
  if (!m.codes) return { codes: zMeans, d: shape.zDim, weights: null, labels, k };
  const d = shape.zDim + shape.cDim;
  const w = ck.arrays['cluster/dimWeights'];
  return { codes: withFinalZ(m.codes, zMeans, n, shape.zDim), d, weights: finalSpaceWeights(cfg, w instanceof Float32Array ? w : null, d), labels, k };
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
function assignReference(cfg: Config, split: Split, res: OutputSource): ExportRunOptions['reference'] {
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
