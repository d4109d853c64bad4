// The only place that asks a cluster engine for its optional graph services: a whole graph relabel on the pool,
// and the codes' nearest neighbours. Where the engine lacks them, the same rule runs on this thread.
import type { ClusterEngine, RelabelResult } from '../cluster/engine.js';
import { graphLabels, type GraphRule } from '../cluster/graph.js';
import { knn, type Neighbours } from '../cluster/spectral.js';

/**
 * Each code's K nearest other codes under per-dimension weights w (null: all 1): from the engine's pool where it
 * has one (it holds the same n×d codes), else in TypeScript; the same neighbours up to f32 near-ties.
 */
export async function engineNeighbours(engine: ClusterEngine | null, codes: { rows: Float32Array; n: number; d: number }, K: number,
  w: Float32Array | null): Promise<Neighbours> {
  return engine?.knn ? engine.knn(K, w ?? undefined) : knn(codes.rows, codes.n, codes.d, K, w);
}

/** A graph relabel of an engine's n×d store at k clusters. */
export interface GraphRefit {
  engine: ClusterEngine;
  /** the store as the relabel sees it (read for the fallback on this thread) */
  codes: Float32Array;
  n: number;
  d: number;
  k: number;
  rule: GraphRule;
  /** d per-dimension distance weights (null: all 1) */
  weights: Float32Array | null;
  /** run alongside training (cluster.refit "background") */
  background: boolean;
}

/**
 * The graph relabel `o`: wholly on the pool where the engine can (in the background the promise already has a
 * no-op handler, since it is awaited only at a later epoch boundary), else neighbours, embedding and fits on this
 * thread and the labels handed to the engine. The same labels either way.
 */
export function graphRefit(o: GraphRefit): Promise<RelabelResult> {
  const { engine, rule, weights: w } = o;
  if (engine.graphRelabelOnPool) {
    const p = engine.graphRelabelOnPool({ ...rule, dimWeights: w ?? undefined, background: o.background });
    if (o.background) p.catch(() => undefined);
    return p;
  }
  return (async () => {
    const nb = engine.knn ? await engine.knn(rule.K, w ?? undefined) : undefined;
    return engine.assignLabels(graphLabels(o.codes, o.n, o.d, o.k, rule, w, nb), w ?? undefined);
  })();
}
