// Argument checks that both engines run before touching their state; every error names the field or call.
import type { ClusterEngineOptions, EngineSnapshot } from './engine.js';

/** Validate engine options; errors name the config field. Returns d = dz + dc. */
export function validateEngineOptions(o: ClusterEngineOptions): number {
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new Error(`cluster.${name} must be an integer >= ${min}; got ${v}`);
  };
  int(o.n, 'n', 1);
  int(o.dz, 'dz', 0);
  int(o.dc, 'dc', 0);
  int(o.k, 'k', 1);
  int(o.iters, 'iters', 0);
  int(o.batchSize, 'batchSize', 1);
  int(o.workers, 'workers', 0);
  if (o.dz + o.dc < 1) throw new Error('cluster: dz + dc must be >= 1');
  if (o.k > o.n) throw new Error(`cluster.k must be <= n (${o.n}); got ${o.k}`);
  if (!Number.isInteger(o.seed)) throw new Error(`cluster.seed must be an integer; got ${o.seed}`);
  if (!(o.weights.z >= 0) || !(o.weights.c >= 0) || !Number.isFinite(o.weights.z) || !Number.isFinite(o.weights.c))
    throw new Error(`cluster.weights.z and .c must be finite and >= 0; got ${o.weights.z}, ${o.weights.c}`);
  if (o.refit !== 'epoch' && o.refit !== 'online' && o.refit !== 'background') throw new Error(`cluster.refit must be "epoch", "online" or "background"; got ${o.refit}`);
  if (o.knnK !== undefined) int(o.knnK, 'knnK', 0);
  return o.dz + o.dc;
}

/** Validate one writeCodes call (B rows in [0, n), B×d codes). Returns B. */
export function checkWrite(rows: Int32Array, codes: Float32Array, n: number, d: number): number {
  const B = rows.length;
  if (codes.length !== B * d) throw new Error(`writeCodes: codes must have rows.length×${d} = ${B * d} floats; got ${codes.length}`);
  for (let b = 0; b < B; b++) if (!(rows[b] >= 0 && rows[b] < n)) throw new Error(`writeCodes: row ${rows[b]} out of [0, ${n})`);
  return B;
}

/** Validate one sample call (m >= 1, rows in [0, n)). */
export function checkSample(rows: Int32Array, m: number, n: number): void {
  if (!Number.isInteger(m) || m < 1) throw new Error(`sample: m must be a positive integer; got ${m}`);
  for (let b = 0; b < rows.length; b++) if (!(rows[b] >= 0 && rows[b] < n)) throw new Error(`sample: row ${rows[b]} out of [0, ${n})`);
}

/** Per-dimension weights, when given, must have one value per column. */
export function checkDimWeights(w: Float32Array | undefined, d: number): void {
  if (w && w.length !== d) throw new Error(`cluster: dimWeights has ${w.length} values, expected d=${d}`);
}

/** Labels handed to assignLabels: one per row (each is range-checked where it is adopted). */
export function checkLabels(labels: Int32Array, n: number): void {
  if (labels.length !== n) throw new Error(`cluster: assignLabels got ${labels.length} labels, expected n=${n}`);
}

/** A snapshot must come from an engine of the same shape; the message names the first field that differs. */
export function checkSnapshot(s: EngineSnapshot, n: number, d: number, k: number): void {
  const want: Array<[keyof EngineSnapshot, number]> = [
    ['codes', n * d], ['labels', n], ['dist', n], ['centroids', k * d], ['counts', k], ['onlineCounts', k], ['rng', 8],
  ];
  for (const [f, len] of want) {
    if (!s[f] || s[f].length !== len) throw new Error(`cluster: snapshot field ${f} has ${s[f]?.length ?? 0} values, expected ${len} (n=${n}, d=${d}, k=${k})`);
  }
}
