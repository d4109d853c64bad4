// The trainer's two graph services: a whole graph relabel by the cluster engine (on the pool's workers, or on
// this thread for the plain engine), and the codes' nearest neighbours with or without an engine.
import type { ClusterEngine, RelabelResult } from '../cluster/engine.js';
import type { GraphRule, Neighbours } from '../cluster/types.js';
import { knn } from '../cluster/neighbours.js';

/**
 * Each code's K nearest other codes under per-dimension weights w (null: all 1): from the engine's pool where it
 * has one (it holds the same n×d codes), else in TypeScript; the same neighbours up to f32 near-ties.
 */
export async function engineNeighbours(engine: ClusterEngine | null, codes: { rows: Float32Array; n: number; d: number }, K: number,
  w: Float32Array | null): Promise<Neighbours> {
  return engine ? engine.knn(K, w ?? undefined) : knn(codes.rows, codes.n, codes.d, K, w);
}

/** A graph relabel of an engine's store at its k clusters. */
export interface GraphRefit {
  engine: ClusterEngine;
  rule: GraphRule;
  /** d per-dimension distance weights (null: all 1) */
  weights: Float32Array | null;
  /** run alongside training (cluster.refit "background") */
  background: boolean;
}

/**
 * The graph relabel `o` by the engine. In the background the promise gets a no-op handler at once, since it is
 * awaited only at a later epoch boundary.
 */
export function graphRefit(o: GraphRefit): Promise<RelabelResult> {
  const p = o.engine.graphRelabel({ ...o.rule, dimWeights: o.weights ?? undefined, background: o.background });
  if (o.background) p.catch(() => undefined);
  return p;
}
