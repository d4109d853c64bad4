// What both engines start from, so that they agree draw for draw: the random streams derived from the root seed,
// the initial N(0,1) codes and the distance weights of the options.
import { Rng, deriveSeed, fillNormal } from '../util/rng.js';
import type { ClusterEngineOptions } from './engine.js';
import { dimWeights } from './kmeans.js';

/** Random streams the engines draw from, each derived from the root seed (deriveSeed(seed, STREAM.x)). */
export const STREAM = { initCodes: 1, kmeans: 2, sample: 3 } as const;

/** Initial codes: n×d N(0,1) from the root seed's initCodes stream. */
export function initialCodes(opts: ClusterEngineOptions): Float32Array {
  const d = opts.dz + opts.dc;
  const codes = new Float32Array(opts.n * d);
  fillNormal(new Rng(deriveSeed(opts.seed, STREAM.initCodes)), codes);
  return codes;
}

/** The d per-dimension weights of opts.weights, or null when both are 1 (the unweighted distance, which the
 *  plain kernels compute without the multiply). */
export function optionWeights(opts: ClusterEngineOptions): Float32Array | null {
  const { z, c } = opts.weights;
  return z === 1 && c === 1 ? null : dimWeights(opts.dz, opts.dc, z, c);
}
