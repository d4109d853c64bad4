// `npm start -- --recluster runs/<name> [--set cluster.key=value ...]`: re-cluster a finished (or stopped) uvhe
// run's code store (a vae run's means of q(z|x), encoded again from its checkpoint) at k = the number of classes
// by the run's final rule (train/loop.ts finalClusters), under changed cluster.* settings, without training
// again. The clustering choices of issue 6 (space, weights, graph, eigenvectors) can then be compared on the very
// same codes, which separates "a better clustering rule" from "a better representation". With the run's own
// config it reproduces the run's final/acc and final/nmi (the neighbours come from the same SIMD pool as in the
// run, so ties break the same way).
import { join } from 'node:path';
import { ConfigError, type Config } from './config.js';
import { datasetSpecOf, loadDataset, type Split } from './data/dataset.js';
import { loadCheckpoint } from './train/checkpoint.js';
import { clusterEngineOptions, embedDims, engineSnapshotOf, finalEmbed, finalGraphKs, finalScores, graphNeighbors, hiddenScoresFromCheckpoint, vaeCodesFromCheckpoint, withRowsEngine, type FinalScores } from './train/loop.js';
import { initBackend } from './backend.js';
import { clusterDimWeights } from './train/cluster-weights.js';
import { createClusterEngine, type ClusterEngine } from './cluster/index.js';

export interface ReclusterResult {
  /** the checkpoint read */
  source: string;
  n: number;
  k: number;
  /** the rule in words, for the printed line */
  rule: string;
  /** means over eval.draws draws of the rule (one draw: that draw's scores) */
  accuracy: number;
  nmi: number;
  /** sample sd over the draws (0 for one draw), and each draw's accuracy */
  accuracySd: number;
  nmiSd: number;
  draws: number[];
  /** the first draw's labels */
  labels: Int32Array;
}

// Keys that decide the per-dimension weights; while none differs from the run's, its final weights are reused.
const WEIGHT_KEYS = ['weights', 'space', 'standardize', 'weighting', 'anneal'] as const;

export async function recluster(cfg: Config, runDir: string, ran?: Config): Promise<ReclusterResult> {
  const source = join(runDir, 'checkpoint.bin');
  const ck = loadCheckpoint(source);
  const stored = ck.arrays['engine/codes'] as Float32Array | undefined;
  const isVae = cfg.mode === 'vae';
  const hidden = cfg.eval.codes === 'hidden';
  if (hidden && cfg.mode === 'vhe') throw new ConfigError(`recluster: ${runDir} is a vhe run, which trains on the true labels; there is nothing to re-cluster`);
  if (!stored && !isVae && !hidden) throw new ConfigError(`recluster: ${source} holds no code store (mode ${String(ck.meta.mode)}; uvhe runs keep one, vae runs are re-encoded)`);
  const split = loadDataset(datasetSpecOf(cfg));
  const { n, labels } = split.train;
  if (!labels) throw new ConfigError(`recluster: the training data of ${runDir} has no labels to score against`);
  if ((isVae || hidden) && ck.meta.n !== n) throw new ConfigError(`recluster: ${source} was written for ${String(ck.meta.n)} training examples, the data now has ${n}`);
  const k = cfg.eval.finalK || split.train.numClasses;
  if (k > n) throw new ConfigError(`recluster: eval.finalK = ${k} exceeds the ${n} training examples`);
  // vae, and hidden features: encoded again from the checkpoint's weights on the run's own backend (a vae's
  // neighbours came from TypeScript, with no pool, so they are rebuilt the same way)
  if (isVae || hidden) await initBackend(cfg.runtime.backend);
  if (hidden) return reclusterHidden(cfg, ck, split.train, k, source);
  const codes = stored ?? await vaeCodesFromCheckpoint(cfg, ck, split.train);
  const d = isVae ? cfg.model.zDim : cfg.model.zDim + cfg.model.cDim;
  if (codes.length !== n * d) throw new ConfigError(`recluster: ${source} stores ${codes.length} code values, expected ${n} × ${d} for its data and model`);
  // The run's final weights unless a weighting key was changed (then they are recomputed as at the last epoch;
  // mi weighting then has no rates to use and weighs by variance only).
  const same = !isVae && ran && WEIGHT_KEYS.every((key) => JSON.stringify(ran.cluster[key]) === JSON.stringify(cfg.cluster[key]));
  const storedW = ck.arrays['cluster/dimWeights'] as Float32Array | undefined;
  const weights = isVae ? null : same && storedW ? storedW : clusterDimWeights(cfg.cluster, {
    epoch: cfg.train.epochs, epochs: cfg.train.epochs, codes, n, dz: cfg.model.zDim, dc: cfg.model.cDim, rates: null,
    grad: (ck.meta.lastGrad as { z: number; c: number } | null | undefined) ?? null,
  }).w;
  // The neighbours come from the same SIMD pool the run used (its f32 distances decide near-ties the same way;
  // TypeScript's f64 ones can swap a tied K-th neighbour, and KMeans on the embedding can amplify that).
  let engine: ClusterEngine | null = null;
  const embed = finalEmbed(cfg);
  if (!isVae && embed !== 'none' && cfg.runtime.workers !== 0) {
    engine = (await createClusterEngine({ ...clusterEngineOptions(cfg, n), refit: 'epoch' })).engine;
  }
  let out: FinalScores;
  try {
    if (engine) {
      await engine.restore(engineSnapshotOf((name) => ck.arrays[name]));
    }
    // a vae's means get a pool of their own, as in the run's final re-clustering (loop.ts)
    out = isVae ? await withRowsEngine(cfg, codes, n, d, embed !== 'none', (e) => finalScores(cfg, e, codes, n, d, k, null, labels))
      : await finalScores(cfg, engine, codes, n, d, k, weights, labels);
  } finally {
    await engine?.close();
  }
  const space = isVae ? 'z (vae)' : cfg.eval.space === 'same' ? cfg.cluster.space : cfg.eval.space;
  return { source, n, k, rule: ruleText(cfg, embed, space, n, k), accuracy: out.acc, nmi: out.nmi, accuracySd: out.accSd, nmiSd: out.nmiSd, draws: out.accs, labels: out.labels };
}

/** eval.codes = "hidden": the run's hidden features, encoded again from its checkpoint's weights (any mode with a
 *  final re-clustering), clustered by the final rule on their own pool. */
async function reclusterHidden(cfg: Config, ck: ReturnType<typeof loadCheckpoint>, data: Split['train'], k: number, source: string): Promise<ReclusterResult> {
  const n = data.n;
  const out = await hiddenScoresFromCheckpoint(cfg, ck, data, k);
  const m = Math.min(cfg.eval.components, cfg.model.hidden, n);
  const space = `hidden features (${cfg.mode === 'vae' ? 'q(z|x)' : 'q(c|·)'}'s ${cfg.model.hidden} units, top ${m} principal components: ${(out.explained * 100).toFixed(1)} % of their variance)`;
  return { source, n, k, rule: ruleText(cfg, finalEmbed(cfg), space, n, k), accuracy: out.acc, nmi: out.nmi, accuracySd: out.accSd, nmiSd: out.nmiSd, draws: out.accs, labels: out.labels };
}

/** The final rule in words, for the printed line. */
function ruleText(cfg: Config, embed: Config['cluster']['embed'], space: string, n: number, k: number): string {
  const K = graphNeighbors(cfg, n);
  const Ks = embed === 'spectral' && cfg.eval.consensus > 0 ? finalGraphKs(cfg, n) : [K];
  const rule = embed === 'spectral'
    ? `spectral (space ${space}, ${Ks.length > 1 ? '' : `${Ks[0]} neighbours, `}${embedDims(cfg, embed, k, n)} eigenvectors, ` +
      `${cfg.eval.consensus > 0 ? `consensus of ${cfg.eval.consensus} fits${Ks.length > 1 ? ` per graph, pooled over graphs of K = ${Ks.join(', ')} neighbours` : ''}, best of ${cfg.eval.consensusRestarts} starts` : 'best of 5 fits'})`
    : embed === 'umap'
      ? `umap (space ${space}, ${K} neighbours, ${embedDims(cfg, embed, k, n)}-d layout, ${cfg.cluster.layoutEpochs} epochs, ${cfg.cluster.layouts > 1 ? `consensus of ${cfg.cluster.layouts} layouts, ` : ''}best of ${cfg.cluster.mixtures} Gaussian mixtures${cfg.cluster.layouts > 1 ? ' each' : ''})`
      : `KMeans (space ${space})`;
  return cfg.eval.candidates > 1 ? `${rule}, the most even of ${cfg.eval.candidates} fits` : rule;
}
