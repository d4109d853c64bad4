// Seeded synthetic code sets with known classes at any size, for the clustering and neighbour-graph benchmarks and
// tests at up to millions of rows (no images, no network): a mixture of k anisotropic Gaussian blobs in d
// dimensions, rows in shuffled class order. Every draw comes from src/util/rng.ts, so (n, d, k, seed, ...) always
// gives the same codes.
import { Rng } from '../util/rng.js';

export interface BlobOptions {
  n: number;
  d: number;
  /** classes */
  k: number;
  seed: number;
  /** distance of each class centre from the origin, in units of the noise's σ (default 6: classes touch a little) */
  sep?: number;
  /** per class, the noise's σ along each axis is drawn from [1 − spread, 1 + spread] (default 0.5) */
  spread?: number;
  /** fill this n×d array instead of a new one (e.g. a pool's store, to hold one copy of 1,000,000 rows) */
  into?: Float32Array;
}

export interface BlobSet {
  /** n×d f32, row-major */
  codes: Float32Array;
  /** n classes in [0, k); class c has ⌊n/k⌋ or ⌈n/k⌉ rows */
  labels: Int32Array;
}

/**
 * n codes of k Gaussian blobs. Centres: k random directions at distance sep; each class has its own per-axis
 * noise scale, so the blobs are ellipsoids of different shapes (KMeans on the raw codes is then not enough by
 * itself, as with real codes). Row order: a seeded shuffle of the classes i mod k.
 */
export function gaussianBlobs(o: BlobOptions): BlobSet {
  const { n, d, k, seed } = o;
  const sep = o.sep ?? 6, spread = o.spread ?? 0.5;
  if (!(n >= 1 && d >= 1 && k >= 1 && k <= n)) throw new Error(`gaussianBlobs: need n >= k >= 1 and d >= 1; got n=${n}, d=${d}, k=${k}`);
  if (o.into && o.into.length < n * d) throw new Error(`gaussianBlobs: into holds ${o.into.length} values, needs ${n * d}`);
  const rng = new Rng(seed);
  const centre = new Float64Array(k * d), scale = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let j = 0; j < d; j++) { const v = rng.normal(); centre[c * d + j] = v; s += v * v; }
    const f = sep / Math.sqrt(s);
    for (let j = 0; j < d; j++) { centre[c * d + j] *= f; scale[c * d + j] = 1 - spread + 2 * spread * rng.nextFloat(); }
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % k;
  rng.shuffle(labels);
  const codes = o.into ?? new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = labels[i]! * d, o2 = i * d;
    for (let j = 0; j < d; j++) codes[o2 + j] = centre[c + j]! + scale[c + j]! * rng.normal();
  }
  return { codes, labels };
}
