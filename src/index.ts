// uvhe as a library (package.json "exports"): train a run from a config, and load a finished run to encode, assign,
// reconstruct and sample images. docs/api.md documents every call, with shapes and units.
import { resolveConfig, type Config } from './config.js';
import { runTraining } from './run.js';
import type { MetricsRecord } from './train/loop.js';

export { loadRun, type LoadedRun, type LoadRunOptions, type Codes, type Assigned } from './apply/run-model.js';
export { readInputImages, type InputImages, type IdxSplit } from './apply/images.js';
export { ASSIGN_K, knnAssign, looAgreement, readClusterState, type Assignment, type ClusterState, type LabelSource } from './assign.js';
export type { RunManifest } from './model/export.js';
export type { BackendChoice } from './backend.js';
export { ConfigError, resolveConfig, type Config } from './config.js';
export { DataError } from './data/data-error.js';
export type { MetricsRecord } from './train/loop.js';

/** What train() returns: the run folder and its last epoch's scores. */
export interface TrainOutcome {
  /** the run folder (<outDir>/<name>/) */
  dir: string;
  config: Config;
  /** the last epoch's metrics record (as in metrics.jsonl) */
  metrics: MetricsRecord;
  /** the final re-clustering at k = the number of classes, scored against the labels; null when not computed */
  final: { k: number; acc: number; nmi: number } | null;
  /** training's last pseudo-labels (uvhe), scored against the labels; null without them */
  pseudoLabels: { acc: number; nmi: number } | null;
  /** true when SIGINT/SIGTERM stopped the run early (continue it with the CLI's --resume) */
  stopped: boolean;
}

/**
 * Trains one run. `config` is a run config as in run.json (nested or dotted keys; every key has a default, see
 * docs/configuration.md); `sets` overrides keys as the CLI's --set does. Throws ConfigError (every problem, one line
 * each) or DataError before anything is written.
 */
export async function train(config: object = {}, sets: Record<string, unknown> = {}): Promise<TrainOutcome> {
  const cfg = resolveConfig(config, Object.entries(sets));
  const out = await runTraining(cfg);
  const r = out.last;
  const num = (k: string): number | null => (typeof r[k] === 'number' ? (r[k] as number) : null);
  const acc = num('final/acc'), pacc = num('cluster/acc');
  return {
    dir: out.dir, config: cfg, metrics: r, stopped: out.signal !== null,
    final: acc === null ? null : { k: num('final/k')!, acc, nmi: num('final/nmi')! },
    pseudoLabels: pacc === null ? null : { acc: pacc, nmi: num('cluster/nmi')! },
  };
}
