// Exact k-nearest neighbours of the stored codes on the calling thread: the graph that the spectral and umap
// relabels start from, and the oracle of the pool's SIMD knn kernel.
import type { Neighbours } from './types.js';

/** The K nearest other rows of every row (weighted squared L2), ascending: idx and dist are n×K. Exact, brute
 *  force: ‖a‖²_w + ‖b‖²_w − 2a·(w∘b) in f64 over f32 codes. Ties keep the lower row index. */
export function knn(codes: Float32Array, n: number, d: number, K: number, w: Float32Array | null): Neighbours {
  if (!(K >= 1 && K < n)) throw new Error(`knn: neighbours must be in [1, n − 1]; got ${K} for n = ${n}`);
  // x, and xw = w∘x for the other side of each dot product (no √w: integer codes stay exact, ties stay ties)
  const x = Float64Array.from(codes.subarray(0, n * d));
  const xw = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) xw[i * d + t] = x[i * d + t] * (w ? w[t] : 1);
  const sq = new Float64Array(n);
  for (let i = 0; i < n; i++) { let s = 0; for (let t = 0; t < d; t++) s += x[i * d + t] * xw[i * d + t]; sq[i] = s; }
  const idx = new Int32Array(n * K).fill(-1), dist = new Float64Array(n * K).fill(Infinity);
  const worst = new Float64Array(n).fill(Infinity);
  const insert = (i: number, j: number, dd: number): void => {
    // into the sorted list of K (strictly smaller only, so the earlier row wins a tie)
    const o = i * K;
    let p = K - 1;
    while (p > 0 && dist[o + p - 1] > dd) { dist[o + p] = dist[o + p - 1]; idx[o + p] = idx[o + p - 1]; p--; }
    dist[o + p] = dd; idx[o + p] = j;
    worst[i] = dist[o + K - 1];
  };
  // 4 rows at a time against every row: each x_j is read once per 4 dot products (the loop is load-bound)
  for (let i0 = 0; i0 < n; i0 += 4) {
    const i1 = Math.min(i0 + 1, n - 1), i2 = Math.min(i0 + 2, n - 1), i3 = Math.min(i0 + 3, n - 1);
    const a0 = i0 * d, a1 = i1 * d, a2 = i2 * d, a3 = i3 * d;
    for (let j = 0; j < n; j++) {
      const xj = j * d;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < d; t++) {
        const v = xw[xj + t];
        s0 += x[a0 + t] * v; s1 += x[a1 + t] * v; s2 += x[a2 + t] * v; s3 += x[a3 + t] * v;
      }
      const q = sq[j];
      if (j !== i0) { const dd = Math.max(0, sq[i0] + q - 2 * s0); if (dd < worst[i0]) insert(i0, j, dd); }
      if (i1 !== i0 && j !== i1) { const dd = Math.max(0, sq[i1] + q - 2 * s1); if (dd < worst[i1]) insert(i1, j, dd); }
      if (i2 !== i1 && j !== i2) { const dd = Math.max(0, sq[i2] + q - 2 * s2); if (dd < worst[i2]) insert(i2, j, dd); }
      if (i3 !== i2 && j !== i3) { const dd = Math.max(0, sq[i3] + q - 2 * s3); if (dd < worst[i3]) insert(i3, j, dd); }
    }
  }
  return { idx, dist };
}
