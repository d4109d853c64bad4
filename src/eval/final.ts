// The final re-clustering of a run's codes at k = the number of true classes (or eval.finalK), scored against the
// true labels as final/acc and final/nmi: at the end of training and again by --recluster on a finished run.
import { tf } from '../backend.js';
import type { Config } from '../config.js';
import { encodeZ, type ModelShape, type Params } from '../model/vhe.js';
import type { BatchBuilder } from '../train/batch.js';
import { Rng, deriveSeed } from '../util/rng.js';
import { graphLabels } from '../cluster/graph.js';
import { bestKmeans } from '../cluster/kmeans.js';
import { createClusterEngine, type PoolEngine } from '../cluster/index.js';
import { watchPhase, type PhaseWatch } from '../train/stop.js';
import { clusterAccuracy, nmi } from './metrics.js';
import { clusterEngineOptions, graphRule } from './rules.js';
import { knn } from '../cluster/neighbours.js';

/** n×d codes, row-major. */
export interface Codes { rows: Float32Array; n: number; d: number }

/** What the final re-clustering clusters: codes, at k, under training's last per-dimension weights (null: all 1).
 *  It runs on a SIMD pool of its own; without one (runtime.workers = 0, no SIMD) on this thread, in TypeScript.
 *  watch: progress lines and a stop that destroys that pool. */
export interface FinalInput {
  codes: Codes;
  k: number;
  trainWeights: Float32Array | null;
  watch?: PhaseWatch;
}

/** KMeans fits of the final rule (spectral without consensus, and none): the lowest inertia wins. */
const FINAL_FITS = 5;

/**
 * The distance weights of the final re-clustering of an n×d store [z‖c]: training's weights on the part eval.space
 * keeps (1 per dimension where training gave that whole part weight 0) and 0 on the other. A vae's codes are z
 * alone, so its weights (null: all 1) pass unchanged.
 */
export function finalSpaceWeights(cfg: Config, w: Float32Array | null, d: number): Float32Array | null {
  const space = cfg.eval.space, dz = cfg.model.zDim;
  if (cfg.mode === 'vae' || d !== dz + cfg.model.cDim) return w;
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
 * Labels at k by the final rule (eval.embed on the codes eval.space picks), seeded from the run's seed so that
 * --recluster gets the same labels from the checkpoint's store. On the pool the whole rule runs on a worker (graph:
 * the pool's neighbours, then graphLabels; none: bestKmeans), so this thread stays free for signals and progress;
 * the labels are those of this thread's computation.
 */
export async function finalClusters(cfg: Config, o: FinalInput): Promise<Int32Array> {
  const { codes, k } = o;
  const weights = finalSpaceWeights(cfg, o.trainWeights, codes.d);
  const embed = cfg.eval.embed;
  const rule = embed === 'none' ? null : graphRule(cfg, { embed, k, n: codes.n, seedName: 'final-spectral', fits: FINAL_FITS });
  const seed = deriveSeed(cfg.seed, 'final');
  const pool = cfg.runtime.workers !== 0 ? await finalEngine(cfg, codes, k) : null;
  if (pool) {
    try {
      const run = rule ? pool.graphRelabel({ ...rule, dimWeights: weights ?? undefined }).then((r) => r.labels) : pool.bestKmeans(FINAL_FITS, seed, weights);
      return await watchPhase(run, 'final re-clustering', o.watch ?? {}, () => pool.close({ abort: true }), false);
    } finally {
      await pool.close();
    }
  }
  if (!rule) return bestKmeans(codes, k, weights, FINAL_FITS, new Rng(seed));
  return graphLabels(codes.rows, codes.n, codes.d, k, rule, weights, knn(codes.rows, codes.n, codes.d, rule.K, weights));
}

/** A SIMD pool holding the n×d codes at k clusters for the final rule (no initial fit: only the final rule runs on
 *  it); null where the pool cannot start (no SIMD, no shared memory). */
async function finalEngine(cfg: Config, codes: Codes, k: number): Promise<PoolEngine | null> {
  const opts = { ...clusterEngineOptions(cfg, codes.n), k, dz: codes.d, dc: 0, weights: { z: 1, c: 1 }, refit: 'epoch' as const };
  try {
    return (await createClusterEngine(opts, 'pool', { codes: codes.rows, skipInitialFit: true, faultPhase: 'final' })).engine as PoolEngine;
  } catch {
    return null;
  }
}

export interface FinalScores {
  labels: Int32Array;
  /** Hungarian-matched accuracy and NMI against the true labels */
  acc: number;
  nmi: number;
}

/** The final re-clustering (finalClusters) scored against the true labels `truth`. */
export async function finalScores(cfg: Config, o: FinalInput, truth: Int32Array): Promise<FinalScores> {
  const labels = await finalClusters(cfg, o);
  return { labels, acc: clusterAccuracy(truth, labels, o.k).accuracy, nmi: nmi(truth, labels) };
}

/** A uvhe's final codes: the store's n rows [z‖c] with z replaced by zMeans [n, dz], the means of q(z|x) under
 *  the final weights. The store's z were written while the weights moved through the last epoch, and a vae's codes
 *  are its final encoder's means too; c stays the code of the D each x was trained with. */
export function withFinalZ(store: Float32Array, zMeans: Float32Array, n: number, dz: number): Float32Array {
  const out = store.slice(), d = store.length / n;
  for (let i = 0; i < n; i++) out.set(zMeans.subarray(i * dz, (i + 1) * dz), i * d);
  return out;
}

/** The trained encoder q(z|x) over a builder of the n training images, in batches of B; rng draws the noise. */
export interface MeansInput { shape: ModelShape; params: Params; builder: BatchBuilder; n: number; B: number; rng: Rng }

/** n×zDim means of q(z|x) of every training example (a vae's codes), leaving rng as it was. */
export function encodeMeans(o: MeansInput): Float32Array {
  const { shape, params, builder, n, B, rng } = o;
  const out = new Float32Array(n * shape.zDim);
  const state = rng.getState();
  for (let s = 0; s < n; s += B) {
    const rows = Int32Array.from({ length: Math.min(B, n - s) }, (_, i) => s + i);
    const b = builder.buildX(rows, rng);
    const y = tf.tidy(() => tf.transpose(encodeZ(shape, params, b.xT, undefined).mu).dataSync() as Float32Array);
    out.set(y, s * shape.zDim);
    b.xT.dispose(); b.epsZ.dispose();
  }
  rng.setState(state); // buildX drew noise; put the stream back so that a resumed run stays identical
  return out;
}
