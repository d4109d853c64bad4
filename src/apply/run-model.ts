// A finished run, loaded from its model/ folder (uvhe.json, the networks, clusters.*) and used on new images:
// encode, assign, reconstruct, sample, fewShot. Images go in as bytes of the training size; the run's preprocessing
// (deskew when it was on, then /255) is applied here, so callers pass raw pixels.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { initBackend, type BackendChoice } from '../backend.js';
import { deskewImages } from '../data/deskew.js';
import { toFloat01 } from '../data/dataset.js';
import { DataError } from '../data/data-error.js';
import type { ModelShape } from '../model/vhe.js';
import type { RunManifest } from '../model/export.js';
import { knnAssign, readClusterState, type ClusterState } from '../assign.js';
import { classCode, decodeMeans, disposeNetworks, drawGauss, encodeInductive, loadNetworks, priorOf, type RunNetworks } from './networks.js';

/** Codes of n images: z [n×zDim] and c [n×cDim] (null for a vae), both row-major, means of q (D = {x} for c). */
export interface Codes { n: number; z: Float32Array; c: Float32Array | null }

/** Clusters of n images. */
export interface Assigned {
  n: number;
  /** n cluster ids in 0..k-1 (vhe: the true classes) */
  cluster: Int32Array;
  /** n shares of the K neighbours' votes the cluster won, in (0, 1] */
  confidence: Float32Array;
  /** n labels the clusters are matched to on the training labels (Hungarian), -1 where a cluster has none; null
   *  when the training data had no labels */
  label: Int32Array | null;
}

/** A loaded run. Every image argument is n×rows×cols bytes (0..255, row-major, 0 = background); every image result
 *  is n×rows×cols floats in [0, 1] (decoder means, pixel probabilities). */
export interface LoadedRun {
  dir: string;
  manifest: RunManifest;
  /** the reference set of the assignment (model/clusters.*), or null when the run has none */
  clusters: ClusterState | null;
  encode(images: Uint8Array): Codes;
  assign(images: Uint8Array): Assigned;
  reconstruct(images: Uint8Array): Float32Array;
  /** n new images: vae z ~ N(0, I); vhe/uvhe c ~ N(0, I), then z ~ p(z|c) */
  sample(n: number, seed?: number): Float32Array;
  /** n new images like the given few (D): c = mean of q(c|D), z ~ p(z|c); not for a vae */
  fewShot(images: Uint8Array, n: number, seed?: number): Float32Array;
  /** frees the networks' weights */
  dispose(): void;
}

export interface LoadRunOptions {
  /** tfjs backend to run the networks on (default auto: gpu, native-cpu, wasm, then cpu) */
  backend?: BackendChoice;
}

/** Loads runs/<name> (or its model/ folder). Throws a DataError naming the file when something is missing. */
export async function loadRun(dir: string, opts: LoadRunOptions = {}): Promise<LoadedRun> {
  const root = resolve(dir);
  const modelDir = existsSync(join(root, 'model', 'uvhe.json')) ? join(root, 'model') : root;
  const mPath = join(modelDir, 'uvhe.json');
  let manifest: RunManifest;
  try { manifest = JSON.parse(readFileSync(mPath, 'utf8')) as RunManifest; } catch (e) {
    throw new DataError(mPath, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (not a run folder with a model/ folder)' : `unreadable: ${(e as Error).message}`);
  }
  if (manifest.format !== 'uvhe-run') throw new DataError(mPath, 'is not a uvhe run manifest');
  await initBackend(opts.backend ?? 'auto');
  const shape: ModelShape = { mode: manifest.mode, ...manifest.shape };
  const nets: RunNetworks = await loadNetworks(modelDir, manifest.mode);
  const clusters = manifest.clusters ? readClusterState(modelDir) : null;
  const { rows, cols } = manifest.image, P = rows * cols;

  const prepare = (images: Uint8Array): Float32Array => {
    if (images.length % P !== 0) throw new DataError('images', `${images.length} bytes is not a whole number of ${rows}×${cols} images`);
    const x = manifest.preprocess.deskew ? deskewImages(images, rows, cols) : images;
    return toFloat01(x, null, P, new Float32Array(x.length));
  };
  const encode = (images: Uint8Array): Codes => ({ n: images.length / P, ...encodeInductive(nets, shape, prepare(images)) });
  const run: LoadedRun = {
    dir: root, manifest, clusters,
    encode,
    assign(images) {
      if (!clusters) throw new DataError(join(modelDir, 'clusters.json'), 'the run has no clustering state (a vae trained without labels)');
      const e = encode(images);
      const a = knnAssign(clusters, spaceCodes(e, shape, clusters.space));
      const m = clusters.clusterToLabel;
      return { n: e.n, ...a, label: m ? a.cluster.map((c) => m[c] ?? -1) : null };
    },
    reconstruct(images) {
      const e = encode(images);
      return decodeMeans(nets, shape, e.z, e.c);
    },
    sample(n, seed = 1) {
      if (!shape.cDim) return decodeMeans(nets, shape, drawGauss(new Float32Array(n * shape.zDim), new Float32Array(n * shape.zDim), shape.zDim, seed), null);
      const c = drawGauss(new Float32Array(n * shape.cDim), new Float32Array(n * shape.cDim), shape.cDim, seed);
      const pz = priorOf(nets, shape, c);
      return decodeMeans(nets, shape, drawGauss(pz.mu, pz.logStd, shape.zDim, seed + 1), c);
    },
    fewShot(images, n, seed = 1) {
      if (!shape.cDim) throw new DataError('fewShot', 'a vae run has no class code to condition on');
      const q = classCode(nets, shape, prepare(images));
      const c = new Float32Array(n * shape.cDim);
      for (let i = 0; i < n; i++) c.set(q.mu, i * shape.cDim);
      const pz = priorOf(nets, shape, c);
      return decodeMeans(nets, shape, drawGauss(pz.mu, pz.logStd, shape.zDim, seed), c);
    },
    dispose: () => disposeNetworks(nets),
  };
  return run;
}

/** The part of the codes the reference set measures distance on: z, c or [z‖c], n×d rows. */
export function spaceCodes(e: Codes, s: ModelShape, space: 'z' | 'c' | 'zc'): Float32Array {
  if (space === 'z' || !e.c) return e.z;
  if (space === 'c') return e.c;
  const d = s.zDim + s.cDim, out = new Float32Array(e.n * d);
  for (let i = 0; i < e.n; i++) {
    out.set(e.z.subarray(i * s.zDim, (i + 1) * s.zDim), i * d);
    out.set(e.c.subarray(i * s.cDim, (i + 1) * s.cDim), i * d + s.zDim);
  }
  return out;
}
