// The relabel policy of uvhe (cluster.refit): when the pseudo-labels are refitted to the codes an epoch wrote,
// with the per-dimension weights of cluster.weights, and, in the background, at most one refit in flight.
import type { Config } from '../config.js';
import type { ClusterEngine, RelabelOptions, RelabelResult } from '../cluster/engine.js';
import { clusterAccuracy, emptyClusters, nmi } from '../eval/metrics.js';
import { graphRule } from '../eval/rules.js';
import { clusterDimWeights } from './cluster-weights.js';
import type { MetricsRecord } from './epoch.js';
import { graphRefit } from './graph-refit.js';
import type { Restored } from './resume.js';

/** KMeans fits of a spectral relabel in training when its consensus is off. */
const TRAIN_SPECTRAL_FITS = 3;

export interface RelabelerOptions {
  cfg: Config;
  engine: ClusterEngine;
  /** rows of the store and the code lengths (d = dz + dc) */
  n: number;
  dz: number;
  dc: number;
  /** true training labels, for the cluster/acc and cluster/nmi metrics (null: none) */
  truth: Int32Array | null;
  /** the prior's scale of each z dimension [dz] for the current weights and store (z-scale.ts) */
  zScale(): Promise<Float32Array>;
}

/**
 * How the members of the previously reported clusters spread over the new ones: the non-zero counts of the
 * k×k table (new cluster, previous cluster), flat as cluster, previous, count, cluster, previous, count, … The
 * report matches cluster ids across relabels on it (ids are renumbered at every relabel), with or without labels.
 */
export function labelOverlap(labels: Int32Array, previous: Int32Array, k: number): number[] {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) { const key = labels[i]! * k + previous[i]!; counts.set(key, (counts.get(key) ?? 0) + 1); }
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).flatMap(([key, c]) => [Math.floor(key / k), key % k, c]);
}

/** Pseudo-label metrics of a relabel against the true labels (where known) and the labels reported before it. */
function clusterMetrics(rel: RelabelResult, truth: Int32Array | null, k: number, previous: Int32Array | null): MetricsRecord {
  const rec: MetricsRecord = {
    'cluster/sizes': Array.from(rel.sizes), 'cluster/empty': emptyClusters(rel.sizes),
    'cluster/reseeded': rel.reseeded, 'cluster/inertia': rel.inertia, 'time/relabel': rel.ms / 1000,
  };
  if (previous && previous.length === rel.labels.length) rec['cluster/overlap'] = labelOverlap(rel.labels, previous, k);
  if (truth) {
    rec['cluster/nmi'] = nmi(truth, rel.labels);
    rec['cluster/acc'] = clusterAccuracy(truth, rel.labels, k).accuracy;
  }
  return rec;
}

/**
 * Refits the pseudo-labels at each epoch boundary. epoch and online: the trainer waits for the refit. background:
 * the refit of epoch e's codes starts after e's checkpoint, runs during e+1, and its labels take over when it
 * lands; one that outlasts its epoch keeps running and no new one starts until it lands, so the trainer never
 * waits. The last epoch always refits at once: the run's final labels are its final codes'.
 */
export class Relabeler {
  private rel: RelabelResult;
  private dimW: Float32Array | null = null;
  private zs: Float32Array | null = null;
  private inFlight: Promise<RelabelResult> | null = null;
  private settled = false;
  /** the background refit to start after this epoch's checkpoint */
  private next: (() => Promise<RelabelResult>) | null = null;
  private readonly background: boolean;
  /** a copy of the labels the last cluster/sizes described (null: none yet), for cluster/overlap */
  private reported: Int32Array | null = null;

  private constructor(private o: RelabelerOptions, labels: Int32Array) {
    this.background = o.cfg.cluster.refit === 'background';
    this.rel = { labels, sizes: new Int32Array(0), inertia: NaN, reseeded: 0, ms: 0 };
  }

  /** A policy over the engine's current (initial: KMeans on the random initial codes) partition. */
  static async create(o: RelabelerOptions): Promise<Relabeler> {
    return new Relabeler(o, await o.engine.labels());
  }

  /** The labels in use (n, in [0, k)). */
  get labels(): Int32Array { return this.rel.labels; }
  /** The clustering's current per-dimension weights (d; null: all 1). */
  get dimWeights(): Float32Array | null { return this.dimW; }
  /** z's scale in those weights (dz; null: none yet) */
  get zScale(): Float32Array | null { return this.zs; }

  /** Whether a checkpoint now must record a background refit (in flight, or starting right after it). */
  pending(): boolean {
    return this.next !== null || (this.inFlight !== null && !this.settled);
  }

  /** Take up a restored checkpoint's state; a refit it recorded as pending restarts on the restored codes. */
  async restore(r: Restored): Promise<void> {
    const { cfg, engine } = this.o;
    this.rel = { ...this.rel, labels: await engine.labels() };
    this.reported = this.rel.labels.slice();
    this.dimW = r.dimWeights;
    this.zs = r.zScale;
    if (!(this.background && r.bgPending && r.startStep === 0 && r.startEpoch <= cfg.train.epochs)) return;
    // the checkpoint was taken just before the refit of the previous epoch's codes started, or while an earlier
    // one still ran (its snapshot is the state that one started from)
    this.launch(this.refit(r.startEpoch - 1, this.dimW, this.dimW ?? undefined, true));
  }

  /** The relabel at the end of `epoch`: its metrics and the ms the trainer waited on the engine since the last call. */
  async atEpochEnd(epoch: number): Promise<{ rec: MetricsRecord; waitMs: number }> {
    const { cfg, engine, dz, dc } = this.o;
    const defer = this.background && epoch < cfg.train.epochs;
    const rec: MetricsRecord = {};
    if (defer && this.inFlight && !this.settled) {
      rec['cluster/inFlight'] = 1; // train on with the labels in use; start no new refit until this one lands
      return { rec, waitMs: engine.takeWaitMs() };
    }
    if (defer) rec['cluster/inFlight'] = 0;
    const t0 = performance.now();
    // the steps' waits so far; what the engine tracks from here on lies inside [t0, now] and is counted once
    const stepWaits = engine.takeWaitMs();
    let landed = !this.background;
    if (this.inFlight) { this.rel = await this.inFlight; this.inFlight = null; landed = true; }
    this.zs = await this.o.zScale();
    const dw = clusterDimWeights(cfg.cluster, dz, dc, this.zs);
    // new weights only when they changed: the pool's distance bounds survive a relabel with the same weights
    const changed = !this.dimW || dw.w.some((v, j) => v !== this.dimW![j]);
    this.dimW = dw.w;
    const kmeansW = changed ? dw.w : undefined;
    if (defer) this.next = () => this.refit(epoch, dw.w, kmeansW, true);
    else { this.rel = await this.refit(epoch, dw.w, kmeansW, false); landed = true; }
    rec['cluster/wz'] = dw.wz; rec['cluster/wc'] = dw.wc;
    engine.takeWaitMs();
    if (landed || epoch === cfg.train.epochs) {
      Object.assign(rec, clusterMetrics(this.rel, this.o.truth, cfg.cluster.k, this.reported));
      this.reported = this.rel.labels.slice();
    }
    return { rec, waitMs: stepWaits + (performance.now() - t0) };
  }

  /** After the epoch's checkpoint: start the deferred background refit, unless the run is stopping. */
  afterCheckpoint(stopping: boolean): void {
    if (this.next && !stopping) this.launch(this.next());
    this.next = null;
  }

  /**
   * The refit of epoch `epoch`'s codes: a graph relabel (cluster.embed spectral or umap) of the store under
   * weights w, or a KMeans relabel (one fit, warm-started from the previous centroids) that sets kmeansW as the
   * engine's weights (undefined: keep its current ones). Issued synchronously, so the refit sees the store as of
   * this call.
   */
  private refit(epoch: number, w: Float32Array | null, kmeansW: Float32Array | undefined,
    background: boolean): Promise<RelabelResult> {
    const { cfg, engine, n } = this.o;
    const embed = cfg.cluster.embed;
    if (embed !== 'none') {
      const rule = graphRule(cfg, { embed, k: cfg.cluster.k, n, seedName: `spectral-${epoch}`, fits: TRAIN_SPECTRAL_FITS });
      return graphRefit({ engine, rule, weights: w, background });
    }
    const ro: RelabelOptions = { dimWeights: kmeansW };
    if (!background) return engine.relabel(ro);
    // a failure is not an unhandled rejection while nobody awaits it; the next epoch boundary awaits it
    const p = engine.relabel({ ...ro, background: true });
    p.catch(() => undefined);
    return p;
  }

  private launch(p: Promise<RelabelResult>): void {
    this.inFlight = p; this.settled = false;
    const done = (): void => { if (this.inFlight === p) this.settled = true; };
    p.then(done, done);
  }
}
