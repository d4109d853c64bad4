// Small deterministic fixtures for the clustering tests: well-separated Gaussian blobs.
import { Rng } from '../../src/util/rng.js';

/** n points in d dims around k centres spaced `sep` apart (noise σ=1). truth[i] = blob of row i (i % k). */
export function blobs(n: number, d: number, k: number, seed: number, sep = 50): { codes: Float32Array; truth: Int32Array; centres: Float32Array } {
  const rng = new Rng(seed);
  const centres = new Float32Array(k * d);
  for (let c = 0; c < k; c++) for (let t = 0; t < d; t++) centres[c * d + t] = (rng.nextFloat() - 0.5) * sep * 4 + (t === c % d ? sep * (1 + Math.floor(c / d)) : 0);
  // make sure blobs are far apart: push centre c along its own axis pattern
  const codes = new Float32Array(n * d);
  const truth = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    truth[i] = c;
    for (let t = 0; t < d; t++) codes[i * d + t] = centres[c * d + t] + rng.normal();
  }
  return { codes, truth, centres };
}

/** true when labels are a relabelling (bijection) of truth. */
export function samePartition(a: Int32Array, b: Int32Array): boolean {
  const ab = new Map<number, number>(), ba = new Map<number, number>();
  for (let i = 0; i < a.length; i++) {
    const x = ab.get(a[i]), y = ba.get(b[i]);
    if (x === undefined) ab.set(a[i], b[i]); else if (x !== b[i]) return false;
    if (y === undefined) ba.set(b[i], a[i]); else if (y !== a[i]) return false;
  }
  return true;
}

/** min pairwise distance between blob centres (to check the fixture is well separated). */
export function minCentreGap(centres: Float32Array, k: number, d: number): number {
  let best = Infinity;
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) {
    let s = 0;
    for (let t = 0; t < d; t++) { const e = centres[a * d + t] - centres[b * d + t]; s += e * e; }
    best = Math.min(best, Math.sqrt(s));
  }
  return best;
}
