// A run's exported networks (model/<network>/model.json, tfjs layers format) loaded from disk, and what they compute
// on new images: the inductive codes (D = {x}), reconstructions, samples and few-shot samples. Batch-major: every
// array is [B, features] row-major, as tfjs layers models take them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend.js';
import type { ModelShape } from '../model/vhe.js';

type LayersModel = Awaited<ReturnType<typeof tf.loadLayersModel>>;

/** The networks of a run; encoderC* and priorZ exist for vhe and uvhe (a vae has no class code). */
export interface RunNetworks {
  decoder: LayersModel;
  encoderZ: LayersModel;
  encoderCMember?: LayersModel;
  encoderCHeads?: LayersModel;
  priorZ?: LayersModel;
}

/** Loads <modelDir>/<name>/model.json and its weights from disk (no fetch, no tfjs-node file:// handler). */
export async function loadNetwork(modelDir: string, name: string): Promise<LayersModel> {
  const dir = join(modelDir, name);
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const bytes = Buffer.concat(json.weightsManifest.flatMap((g) => g.paths.map((p) => readFileSync(join(dir, p)))));
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}

/** Every network of a run whose mode is `mode`. */
export async function loadNetworks(modelDir: string, mode: ModelShape['mode']): Promise<RunNetworks> {
  const nets: RunNetworks = { decoder: await loadNetwork(modelDir, 'decoder'), encoderZ: await loadNetwork(modelDir, 'encoderZ') };
  if (mode !== 'vae') {
    nets.encoderCMember = await loadNetwork(modelDir, 'encoderCMember');
    nets.encoderCHeads = await loadNetwork(modelDir, 'encoderCHeads');
    nets.priorZ = await loadNetwork(modelDir, 'priorZ');
  }
  return nets;
}

export function disposeNetworks(n: RunNetworks): void {
  for (const m of Object.values(n)) (m as LayersModel | undefined)?.dispose();
}

/** The values of the tensors `fn` returns (its intermediates are freed by tf.tidy, its outputs here). */
function read(fn: () => tf.Tensor[]): Float32Array[] {
  const ts = tf.tidy(fn);
  const out = ts.map((t) => t.dataSync() as Float32Array);
  tf.dispose(ts);
  return out;
}

/** Rows per predict call: bounds the activations ([B, 2H] floats) held at once. */
const CHUNK = 1024;

/** B×dz means of q(z|c,x) (uvhe, vae: q(z|x)) and B×dc means of q(c|D = {x}) (null for a vae) of B images x (B×P floats in [0, 1]). */
export function encodeInductive(nets: RunNetworks, s: ModelShape, x: Float32Array): { z: Float32Array; c: Float32Array | null } {
  const B = x.length / s.pixels;
  const z = new Float32Array(B * s.zDim), c = s.cDim ? new Float32Array(B * s.cDim) : null;
  for (let b0 = 0; b0 < B; b0 += CHUNK) {
    const nb = Math.min(CHUNK, B - b0);
    const [zc, cc] = read(() => {
      const xt = tf.tensor2d(x.subarray(b0 * s.pixels, (b0 + nb) * s.pixels), [nb, s.pixels]);
      if (!c) return [(nets.encoderZ.predict(xt) as tf.Tensor[])[0]!];
      // q(c|D) averages the member network's hidden units over D; with D = {x} that mean is x's own h
      const h = nets.encoderCMember!.predict(xt) as tf.Tensor;
      const muC = (nets.encoderCHeads!.predict(h) as tf.Tensor[])[0]!;
      const zIn = nets.encoderZ.inputs.length === 2 ? [xt, muC] : xt; // vhe's q(z|c,x) reads c, uvhe's q(z|x) not
      return [(nets.encoderZ.predict(zIn) as tf.Tensor[])[0]!, muC];
    });
    z.set(zc!, b0 * s.zDim);
    if (c && cc) c.set(cc, b0 * s.cDim);
  }
  return { z, c };
}

/** B×P decoder means (pixel probabilities in [0, 1]) at B codes z (B×dz) and c (B×dc, or null for a vae). */
export function decodeMeans(nets: RunNetworks, s: ModelShape, z: Float32Array, c: Float32Array | null): Float32Array {
  const B = z.length / s.zDim;
  return read(() => {
    const zt = tf.tensor2d(z, [B, s.zDim]);
    // vhe's p(x|z,c) reads [z‖c]; uvhe's and vae's p(x|z) read z (the decoder's input width says which)
    const readsC = c !== null && nets.decoder.inputs[0]!.shape[1] === s.zDim + s.cDim;
    const inp = readsC ? tf.concat([zt, tf.tensor2d(c, [B, s.cDim])], 1) : zt;
    return [nets.decoder.predict(inp) as tf.Tensor];
  })[0]!;
}

/** Reparametrised draws mu + e^s·eps, all B×d, eps from tfjs's seeded normal. */
export function drawGauss(mu: Float32Array, logStd: Float32Array, d: number, seed: number): Float32Array {
  const B = mu.length / d;
  return read(() => {
    const eps = tf.randomNormal([B, d], 0, 1, 'float32', seed);
    return [tf.add(tf.tensor2d(mu, [B, d]), tf.mul(tf.exp(tf.tensor2d(logStd, [B, d])), eps))];
  })[0]!;
}

/** Mean and log-std (each 1×dc) of q(c|D) for a set D of m images (m×P floats in [0, 1]). */
export function classCode(nets: RunNetworks, s: ModelShape, x: Float32Array): { mu: Float32Array; logStd: Float32Array } {
  const m = x.length / s.pixels;
  const [mu, logStd] = read(() => {
    const h = nets.encoderCMember!.predict(tf.tensor2d(x, [m, s.pixels])) as tf.Tensor;
    return nets.encoderCHeads!.predict(tf.mean(h, 0, true)) as tf.Tensor[];
  });
  return { mu: mu!, logStd: logStd! };
}

/** Mean and log-std (each B×dz) of p(z|c) at B class codes c (B×dc). */
export function priorOf(nets: RunNetworks, s: ModelShape, c: Float32Array): { mu: Float32Array; logStd: Float32Array } {
  const B = c.length / s.cDim;
  const [mu, logStd] = read(() => nets.priorZ!.predict(tf.tensor2d(c, [B, s.cDim])) as tf.Tensor[]);
  return { mu: mu!, logStd: logStd! };
}
