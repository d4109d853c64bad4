// Snapshot and restore of the whole trainer state (weights, Adam, RNGs, epoch order, subset sampler, cluster
// engine, distance weights, last gradient norms), and the trained networks of a finished run from its checkpoint.
import { tf } from '../backend.js';
import type { Config } from '../config.js';
import type { Split } from '../data/dataset.js';
import type { ClusterEngine, EngineSnapshot } from '../cluster/engine.js';
import { createParams, disposeParams, type ModelShape, type Params } from '../model/vhe.js';
import { CheckpointError, type CheckpointData } from './checkpoint.js';
import type { Adam } from './adam.js';
import { Rng } from '../util/rng.js';
import { BatchBuilder } from './batch.js';
import { encodeMeans } from '../eval/final.js';
import { modelShape } from './shape.js';

/** Loss sums of an epoch stopped part-way (LOSS_KEYS order, summed over `seen` examples). */
export interface PartialEpoch { sums: number[]; seen: number }

/** Everything a checkpoint captures; the parts are live objects that snapshot reads and restore writes. */
export interface TrainerState {
  cfg: Config;
  n: number;
  params: Params;
  opt: Adam;
  rng: Rng;
  perm: Int32Array;
  /** vhe: the true-label sampler's RNG state (4 words) */
  samplerRng: Uint32Array | null;
  engine: ClusterEngine | null;
}

/** What a snapshot records besides the live state: where in the run it is, and the relabel policy's state. */
export interface SnapshotPoint {
  /** the last complete epoch, and the steps done of the next one (0 = at its start) */
  epochDone: number;
  stepInEpoch: number;
  globalStep: number;
  partial: PartialEpoch | null;
  /** the clustering's per-dimension weights (null: all 1) and the z scale in them (null: 1) */
  dimWeights: Float32Array | null;
  zScale: Float32Array | null;
  /** a background relabel is in flight or starts right after this checkpoint (the engine's snapshot is then the
   *  state it started from); a resumed run starts one on the restored codes */
  bgPending: boolean;
  /** the final re-clustering's n labels and k, once it has run (the outputs of a finished run are rebuilt from it) */
  final?: { labels: Int32Array; k: number } | null;
}

export async function snapshot(t: TrainerState, at: SnapshotPoint): Promise<CheckpointData> {
  const arrays: CheckpointData['arrays'] = { perm: t.perm.slice() };
  for (const [k, v] of Object.entries(t.params)) arrays[`param/${k}`] = v.dataSync() as Float32Array;
  const st = t.opt.getState();
  for (const k of Object.keys(t.params)) { arrays[`adam/m/${k}`] = st.m[k]; arrays[`adam/v/${k}`] = st.v[k]; }
  if (t.engine) {
    const es = await t.engine.snapshot();
    for (const [k, v] of Object.entries(es)) arrays[`engine/${k}`] = v;
  }
  if (t.samplerRng) arrays['sampler/rng'] = t.samplerRng.slice();
  if (at.dimWeights) arrays['cluster/dimWeights'] = at.dimWeights.slice();
  if (at.zScale) arrays['cluster/zScale'] = at.zScale.slice();
  if (at.final) arrays['final/labels'] = at.final.labels.slice();
  return {
    meta: {
      epoch: at.epochDone, stepInEpoch: at.stepInEpoch, step: at.globalStep, adamT: st.t, rng: t.rng.getState(), partial: at.partial,
      mode: t.cfg.mode, n: t.n, bgPending: at.bgPending, finalK: at.final?.k ?? null,
    },
    arrays,
  };
}

/** Where a restored run goes on, and the relabel policy's state as the checkpoint left it. */
export interface Restored {
  startEpoch: number;
  startStep: number;
  globalStep: number;
  /** the loss sums of the epoch the checkpoint stopped inside (null at an epoch boundary) */
  carried: PartialEpoch | null;
  dimWeights: Float32Array | null;
  zScale: Float32Array | null;
  bgPending: boolean;
}

/** A checkpoint's array by name; a missing one is refused. */
function needArray<T>(ck: CheckpointData, name: string): T {
  const a = ck.arrays[name];
  if (!a) throw new CheckpointError(`checkpoint: array ${name} is missing (was it written by another mode or model size?)`);
  return a as T;
}

/** Put a checkpoint's state back into a freshly built trainer. Throws CheckpointError on a mismatch. */
export async function restore(ck: CheckpointData, t: TrainerState): Promise<Restored> {
  const meta = ck.meta as { epoch: number; stepInEpoch: number; step: number; adamT: number; rng: Array<number | null>; partial: PartialEpoch | null; n: number };
  const need = <T>(name: string): T => needArray<T>(ck, name);
  if (meta.n !== t.perm.length) throw new CheckpointError(`checkpoint: it was written for ${meta.n} training examples, the data now has ${t.perm.length}`);
  assignParams(t.params, need<Float32Array>, Object.keys(ck.arrays));
  const m: Record<string, Float32Array> = {}, v: Record<string, Float32Array> = {};
  for (const k of Object.keys(t.params)) { m[k] = need(`adam/m/${k}`); v[k] = need(`adam/v/${k}`); }
  t.opt.setState({ t: meta.adamT, m, v });
  t.rng.setState(meta.rng);
  t.perm.set(need<Int32Array>('perm'));
  if (t.samplerRng) t.samplerRng.set(need<Uint32Array>('sampler/rng'));
  if (t.engine) await t.engine.restore(engineSnapshotOf(need));
  const mid = meta.stepInEpoch > 0;
  return {
    startEpoch: meta.epoch + 1, startStep: mid ? meta.stepInEpoch : 0, globalStep: meta.step, carried: mid ? meta.partial : null,
    dimWeights: (ck.arrays['cluster/dimWeights'] as Float32Array | undefined) ?? null,
    zScale: (ck.arrays['cluster/zScale'] as Float32Array | undefined) ?? null,
    bgPending: ck.meta.bgPending === true,
  };
}

/** The engine's state from a checkpoint's `engine/*` arrays; `get` fetches one array by name (and refuses a missing one). */
export function engineSnapshotOf(get: (name: string) => unknown): EngineSnapshot {
  const es = {} as Record<string, unknown>;
  for (const f of ['codes', 'labels', 'dist', 'centroids', 'counts', 'onlineCounts', 'rng']) es[f] = get(`engine/${f}`);
  return es as unknown as EngineSnapshot;
}

/** Every variable's values from a checkpoint's `param/<name>` arrays; `get` fetches one (and refuses a missing one). */
function assignParams(params: Params, get: (name: string) => Float32Array, names: string[]): void {
  const extra = names.find((n) => n.startsWith('param/') && !(n.slice(6) in params));
  if (extra) throw new CheckpointError(`checkpoint: ${extra} is not a weight of this model (the checkpoint's networks differ from the config's)`);
  for (const [k, p] of Object.entries(params)) {
    const w = get(`param/${k}`);
    if (w.length !== p.size) throw new CheckpointError(`checkpoint: param/${k} has ${w.length} values, the model needs ${p.size} (different model config?)`);
    const t = tf.tensor(w, p.shape);
    p.assign(t);
    t.dispose(); // assign() shares the data; the variable keeps its own reference
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
    assignParams(params, (name) => needArray<Float32Array>(ck, name), Object.keys(ck.arrays));
    return await use(shape, params, new BatchBuilder(data.images, data.n, P, B, cfg.train.subsetSize, shape.zDim, shape.cDim), B);
  } finally {
    disposeParams(params);
  }
}

/**
 * The n×zDim means of q(z|x) of every training example from a checkpoint's weights: a vae's codes, and the z of a
 * uvhe's final codes. Same weights, data and backend give the same means, so the run's final rule scores the same
 * again.
 */
export function zMeansFromCheckpoint(cfg: Config, ck: CheckpointData, data: Split['train']): Promise<Float32Array> {
  // the means do not read the noise
  return withCheckpointModel(cfg, ck, data, (shape, params, builder, B) => encodeMeans({ shape, params, builder, n: data.n, B, rng: new Rng(0) }));
}
