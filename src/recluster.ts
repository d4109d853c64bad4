// `npm start -- --recluster runs/<name> [--set key=value ...]`: re-score a finished (or stopped) run's codes (a uvhe
// run's code store, a vae run's means of q(z|x) encoded again from its checkpoint) by the final rule under
// cluster.neighbors, eval.embed, eval.space and eval.finalK, without training again. With the run's own config it
// reproduces the run's final/acc and final/nmi (the neighbours come from the same SIMD pool as in the run).
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';
import { datasetSpecOf, loadDataset } from './data/dataset.js';
import { loadCheckpoint } from './train/checkpoint.js';
import { zMeansFromCheckpoint } from './train/resume.js';
import { finalScores, withFinalZ, type FinalScores } from './eval/final.js';
import { SPECTRAL_CONSENSUS, UMAP_LAYOUTS, UMAP_MIXTURES, embedDims, graphNeighbors } from './eval/rules.js';
import { initBackend } from './backend.js';
import { clusterDimWeights } from './train/cluster-weights.js';

export interface ReclusterResult {
  /** the checkpoint read */
  source: string;
  n: number;
  k: number;
  /** the rule in words, for the printed line */
  rule: string;
  accuracy: number;
  nmi: number;
  labels: Int32Array;
}


export async function recluster(cfg: Config, runDir: string, ran?: Config): Promise<ReclusterResult> {
  const source = join(runDir, 'checkpoint.bin');
  const ck = loadCheckpoint(source);
  const stored = ck.arrays['engine/codes'] as Float32Array | undefined;
  const isVae = cfg.mode === 'vae';
  if (!stored && !isVae) throw new ConfigError(`recluster: ${source} holds no code store (mode ${String(ck.meta.mode)}; uvhe runs keep one, vae runs are re-encoded)`);
  const split = loadDataset(datasetSpecOf(cfg));
  const { n, labels } = split.train;
  if (!labels) throw new ConfigError(`recluster: the training data of ${runDir} has no labels to score against`);
  if (isVae && ck.meta.n !== n) throw new ConfigError(`recluster: ${source} was written for ${String(ck.meta.n)} training examples, the data now has ${n}`);
  const k = cfg.eval.finalK || split.train.numClasses;
  if (k > n) throw new ConfigError(`recluster: eval.finalK = ${k} exceeds the ${n} training examples`);
  const d = isVae ? cfg.model.zDim : cfg.model.zDim + cfg.model.cDim;
  if (stored && stored.length !== n * d) throw new ConfigError(`recluster: ${source} stores ${stored.length} code values, expected ${n} × ${d} for its data and model`);
  // z is encoded again from the checkpoint's weights on the run's own backend, as the run's final rule did
  await initBackend(cfg.runtime.backend);
  const zMeans = await zMeansFromCheckpoint(cfg, ck, split.train);
  const codes = stored ? withFinalZ(stored, zMeans, n, cfg.model.zDim) : zMeans;
  // The run's final weights unless cluster.weights was changed (then z keeps the run's last scale).
  const same = !isVae && ran && JSON.stringify(ran.cluster.weights) === JSON.stringify(cfg.cluster.weights);
  const storedW = ck.arrays['cluster/dimWeights'] as Float32Array | undefined;
  const zScale = (ck.arrays['cluster/zScale'] as Float32Array | undefined) ?? null;
  const weights = isVae ? null : same && storedW ? storedW : clusterDimWeights(cfg.cluster, cfg.model.zDim, cfg.model.cDim, zScale).w;
  // The final rule runs on a SIMD pool of its own, as in the run (its f32 distances decide near-ties among the
  // neighbours the same way; TypeScript's f64 ones can swap a tied K-th neighbour).
  const out: FinalScores = await finalScores(cfg, { codes: { rows: codes, n, d }, k, trainWeights: isVae ? null : weights }, labels);
  const space = isVae ? 'z (vae)' : cfg.eval.space;
  return { source, n, k, rule: ruleText(cfg, space, n, k), accuracy: out.acc, nmi: out.nmi, labels: out.labels };
}

/** The final rule in words, for the printed line. */
function ruleText(cfg: Config, space: string, n: number, k: number): string {
  const embed = cfg.eval.embed, K = graphNeighbors(cfg, n);
  if (embed === 'spectral') return `spectral (space ${space}, ${K} neighbours, ${embedDims(embed, k, n)} eigenvectors, consensus of ${SPECTRAL_CONSENSUS} fits)`;
  if (embed === 'umap') return `umap (space ${space}, ${K} neighbours, ${embedDims(embed, k, n)}-d layout, ${UMAP_LAYOUTS} layouts of ${UMAP_MIXTURES} Gaussian mixtures)`;
  return `KMeans (space ${space})`;
}
