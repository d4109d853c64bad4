// Export the trained networks in the standard TensorFlow.js Layers format (model.json + one weights file per
// network), so a JS user can tf.loadLayersModel() them in Node or a browser without this project; and, with
// exportRun, everything else a run's model/ folder needs to be used on new images (uvhe.json, clusters.*).
//
// Our variables are feature-major ([out, in], bias [out, 1]); a Dense layer's kernel is [in, out]: transpose.
// The seed's fused first layers (2H wide: H for the mean head, H for the log-std head) export as one Dense of
// width 2H, and each head as a Dense over all 2H units whose kernel is zero on the other head's half (exact).
// The bounded log-std s = L·tanh(raw/L) exports as Dense(tanh) with kernel and bias divided by L, then a
// diagonal Dense of L (exact too).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../backend.js';
import { readsClassCode, type Params, type ModelShape } from './vhe.js';
import { ASSIGN_K, looAgreement, writeClusterState, type ClusterHeader, type ClusterState, type LabelSource } from '../assign.js';
import { clusterAccuracy } from '../eval/metrics.js';
import type { RunNetworks } from '../apply/networks.js';

type LayersModel = ReturnType<typeof tf.model>;

function host(p: Params, name: string): { data: Float32Array; out: number; inp: number } {
  const v = p[name];
  return { data: v.dataSync() as Float32Array, out: v.shape[0], inp: v.shape[1] ?? 1 };
}

/** [out, in] row-major → Dense kernel [in, out], optionally stacking several [out, in_i] blocks along `in`. */
function kernelOf(blocks: Array<{ data: Float32Array; out: number; inp: number }>, scale = 1): tf.Tensor2D {
  const out = blocks[0].out, inp = blocks.reduce((s, b) => s + b.inp, 0);
  const k = new Float32Array(inp * out);
  let r0 = 0;
  for (const b of blocks) {
    for (let o = 0; o < out; o++) for (let i = 0; i < b.inp; i++) k[(r0 + i) * out + o] = b.data[o * b.inp + i] * scale;
    r0 += b.inp;
  }
  return tf.tensor2d(k, [inp, out]);
}

/** Dense kernel [in, n] from rows [from, from+n) of an [out, in] weight (their transpose), scaled. */
function rowsKernel(w: { data: Float32Array; out: number; inp: number }, from: number, n: number, scale = 1): tf.Tensor2D {
  const k = new Float32Array(w.inp * n);
  for (let o = 0; o < n; o++) for (let i = 0; i < w.inp; i++) k[i * n + o] = w.data[(from + o) * w.inp + i] * scale;
  return tf.tensor2d(k, [w.inp, n]);
}

function dense(units: number, activation: 'relu' | 'sigmoid' | 'linear' | 'tanh', name: string, useBias = true) {
  return tf.layers.dense({ units, activation, name, useBias });
}

/** mean and bounded log-std heads over the fused hidden h [2H] of network `pre`. */
function heads(h: ReturnType<ReturnType<typeof dense>['apply']>, s: ModelShape, p: Params, pre: string, d: number, set: Array<() => void>) {
  const L = s.logStdBound;
  const muL = dense(d, 'linear', `${pre}_mu`), rawL = dense(d, 'tanh', `${pre}_logstd_tanh`), scaleL = dense(d, 'linear', `${pre}_logstd`, false);
  const mu = muL.apply(h), t = rawL.apply(h), logstd = scaleL.apply(t);
  set.push(() => {
    // the fused block-diagonal head [2d, 2H]: rows [0, d) are the mean head, rows [d, 2d) the log-std head
    const W = host(p, `${pre}/Whead`), b = host(p, `${pre}/bhead`).data;
    muL.setWeights([rowsKernel(W, 0, d), tf.tensor1d(b.subarray(0, d))]);
    rawL.setWeights([rowsKernel(W, d, d, 1 / L), tf.tensor1d(b.subarray(d, 2 * d).map((v) => v / L))]);
    scaleL.setWeights([tf.mul(tf.eye(d), L) as tf.Tensor2D]);
  });
  return [mu, logstd];
}

/** The networks as tf.LayersModels (weights copied from params). */
export function buildExportModels(s: ModelShape, p: Params): Record<string, LayersModel> {
  const P = s.pixels, H2 = 2 * s.hidden, models: Record<string, LayersModel> = {};
  const set: Array<() => void> = [];
  const hasC = s.mode !== 'vae', readC = readsClassCode(s.mode);
  // decoder: [z‖c] (vhe; uvhe and vae: z) → H relu → P sigmoid (pixel probabilities)
  {
    const inp = tf.input({ shape: [s.zDim + (readC ? s.cDim : 0)], name: readC ? 'zc' : 'z' });
    const l1 = dense(s.hidden, 'relu', 'dec_hidden'), l2 = dense(P, 'sigmoid', 'dec_pixels');
    models.decoder = tf.model({ inputs: inp, outputs: l2.apply(l1.apply(inp)) as tf.SymbolicTensor, name: 'decoder' });
    set.push(() => {
      l1.setWeights([kernelOf(readC ? [host(p, 'dec/Wz'), host(p, 'dec/Wc')] : [host(p, 'dec/Wz')]), tf.tensor1d(host(p, 'dec/b1').data)]);
      l2.setWeights([kernelOf([host(p, 'dec/W2')]), tf.tensor1d(host(p, 'dec/b2').data)]);
    });
  }
  // q(z|c,x): inputs x [P] (and, vhe, c [dc]) → [mean, log-std] of z
  {
    const x = tf.input({ shape: [P], name: 'x' });
    const c = readC ? tf.input({ shape: [s.cDim], name: 'c' }) : null;
    const joined = c ? tf.layers.concatenate({ name: 'encZ_xc' }).apply([x, c]) : x;
    const l1 = dense(H2, 'relu', 'encZ_hidden');
    const h = l1.apply(joined);
    const outs = heads(h as never, s, p, 'encZ', s.zDim, set);
    models.encoderZ = tf.model({ inputs: c ? [x, c] : [x], outputs: outs as tf.SymbolicTensor[], name: 'encoderZ' });
    set.push(() => l1.setWeights([kernelOf(readC ? [host(p, 'encZ/Wx'), host(p, 'encZ/Wc')] : [host(p, 'encZ/Wx')]), tf.tensor1d(host(p, 'encZ/b1').data)]));
  }
  if (hasC) {
    // q(c|D) in two parts, because it averages over D in between: encoderCMember maps one image of D to its
    // hidden units h [2H]; encoderCHeads maps the mean of h over D to [mean, log-std] of c.
    const x = tf.input({ shape: [P], name: 'x' });
    const l1 = dense(H2, 'relu', 'encC_hidden');
    models.encoderCMember = tf.model({ inputs: x, outputs: l1.apply(x) as tf.SymbolicTensor, name: 'encoderCMember' });
    set.push(() => l1.setWeights([kernelOf([host(p, 'encC/W1')]), tf.tensor1d(host(p, 'encC/b1').data)]));
    const hbar = tf.input({ shape: [H2], name: 'h_mean' });
    models.encoderCHeads = tf.model({ inputs: hbar, outputs: heads(hbar as never, s, p, 'encC', s.cDim, set) as tf.SymbolicTensor[], name: 'encoderCHeads' });
    // p(z|c): c → [mean, log-std] of z
    const c = tf.input({ shape: [s.cDim], name: 'c' });
    const lp = dense(H2, 'relu', 'prior_hidden');
    models.priorZ = tf.model({ inputs: c, outputs: heads(lp.apply(c) as never, s, p, 'prior', s.zDim, set) as tf.SymbolicTensor[], name: 'priorZ' });
    set.push(() => lp.setWeights([kernelOf([host(p, 'prior/W1')]), tf.tensor1d(host(p, 'prior/b1').data)]));
  }
  tf.tidy(() => set.forEach((f) => f()));
  return models;
}

/** Write every network to <dir>/<network>/model.json + weights.bin. Returns the model.json paths. */
export async function exportModels(dir: string, s: ModelShape, p: Params): Promise<string[]> {
  const models = buildExportModels(s, p);
  try {
    return await saveModels(dir, models);
  } finally {
    for (const m of Object.values(models)) m.dispose();
  }
}

async function saveModels(dir: string, models: Record<string, LayersModel>): Promise<string[]> {
  const paths: string[] = [];
  for (const [name, m] of Object.entries(models)) {
    const out = join(dir, name);
    mkdirSync(out, { recursive: true });
    await m.save(tf.io.withSaveHandler(async (a) => {
      const weights = new Uint8Array(a.weightData as ArrayBuffer);
      writeFileSync(join(out, 'weights.bin'), weights);
      const json = {
        format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`, convertedBy: 'uvhe',
        modelTopology: a.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
      };
      writeFileSync(join(out, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }));
    paths.push(join(out, 'model.json'));
  }
  return paths;
}

/** model/uvhe.json: how to feed the networks and read their outputs (docs/formats.md). */
export interface RunManifest {
  format: 'uvhe-run';
  version: 1;
  mode: ModelShape['mode'];
  /** the images the networks read: rows×cols, one byte per pixel (0..255), row-major */
  image: { rows: number; cols: number };
  /** applied in this order before encoding: deskew (src/data/deskew.ts) when on, then pixel / scale */
  preprocess: { deskew: boolean; scale: 255 };
  shape: { pixels: number; hidden: number; zDim: number; cDim: number; logStdBound: number };
  /** |D| the run trained q(c|D) with */
  subsetSize: number;
  /** true classes of the training data (0 without labels) */
  classes: number;
  /** the networks in model/, by folder name */
  networks: string[];
  /** clusters.json beside this file, or null when the run has no clustering state (a vae without labels) */
  clusters: 'clusters.json' | null;
  /** the run's final scores on the training split (null when they were not computed) */
  final: { k: number; acc: number; nmi: number; rule: string } | null;
}

/** Reference codes and labels for exportRun; `codes` in the space the final rule measured distance in. */
export interface ExportReference {
  codes: Float32Array; d: number; n: number; labels: Int32Array; k: number;
  weights: Float32Array; labelSource: LabelSource; space: 'z' | 'c' | 'zc';
  /** neighbours that vote (default ASSIGN_K) */
  K?: number;
  /** true training labels, to match clusters to labels (null without) */
  truth: Int32Array | null;
}

export interface ExportRunOptions {
  /** the model folder (runs/<name>/model) */
  dir: string;
  shape: ModelShape;
  params: Params;
  manifest: Omit<RunManifest, 'format' | 'version' | 'networks' | 'clusters' | 'mode' | 'shape'>;
  /** the clustering state new images are assigned against, or null; a function when it needs the exported
   *  networks (vhe: the training images encoded as new images are) */
  reference: ExportReference | null | ((nets: RunNetworks) => ExportReference);
}

/** Writes the networks, uvhe.json and (with a reference) clusters.bin + clusters.json; returns the header written
 *  (with the leave-one-out agreement of the vote), or null. */
export async function exportRun(o: ExportRunOptions): Promise<ClusterHeader | null> {
  const { dir, shape: s } = o;
  const models = buildExportModels(s, o.params);
  try {
    await saveModels(dir, models);
    const nets = models as unknown as RunNetworks;
    const ref = typeof o.reference === 'function' ? o.reference(nets) : o.reference;
    let header: ClusterHeader | null = null;
    if (ref) {
      const clusterToLabel = ref.truth ? Array.from(clusterAccuracy(ref.truth, ref.labels, ref.k).mapping) : null;
      const state: ClusterState = { ...ref, K: ref.K ?? ASSIGN_K, clusterToLabel };
      header = writeClusterState(dir, state, looAgreement(state));
    }
    const manifest: RunManifest = {
      format: 'uvhe-run', version: 1, mode: s.mode, ...o.manifest,
      shape: { pixels: s.pixels, hidden: s.hidden, zDim: s.zDim, cDim: s.cDim, logStdBound: s.logStdBound },
      networks: Object.keys(models), clusters: header ? 'clusters.json' : null,
    };
    writeFileSync(join(dir, 'uvhe.json'), JSON.stringify(manifest, null, 2) + '\n');
    return header;
  } finally {
    for (const m of Object.values(models)) m.dispose();
  }
}
