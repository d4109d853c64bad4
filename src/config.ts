// The one config schema: every key with its type, default and meaning. From it come the Config type, validation
// (every problem at once, each naming its keys), the --help text, the JSON Schema file and a run's frozen config.

export type KeyType =
  | { readonly kind: 'int'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'number'; readonly min?: number; readonly max?: number; readonly exclusiveMin?: boolean }
  | { readonly kind: 'bool' }
  | { readonly kind: 'string' }
  | { readonly kind: 'enum'; readonly values: readonly string[] };

export interface KeySpec {
  readonly type: KeyType;
  readonly default: unknown;
  /** what it means, with its unit where it has one */
  readonly doc: string;
  /** shown first by --help */
  readonly common?: true;
}

/** The value type a KeyType describes: enums become their string literals. */
type ValueOf<T extends KeyType> =
  T extends { kind: 'enum'; values: readonly (infer V)[] } ? V
    : T extends { kind: 'int' | 'number' } ? number
      : T extends { kind: 'bool' } ? boolean
        : string;

const int = (min?: number, max?: number) => ({ kind: 'int', min, max }) as const;
const num = (min?: number, max?: number, exclusiveMin = false) => ({ kind: 'number', min, max, exclusiveMin }) as const;
const bool = { kind: 'bool' } as const;
const str = { kind: 'string' } as const;
const oneOf = <const V extends readonly string[]>(...values: V) => ({ kind: 'enum', values }) as const;

/** One key; the default is checked against the type at compile time. */
const key = <const T extends KeyType>(type: T, def: ValueOf<T>, doc: string, common?: true) =>
  ({ type, default: def, doc, ...(common ? { common } : {}) }) as { type: T; default: ValueOf<T>; doc: string; common?: true };

const EMBED = ['spectral', 'umap', 'none'] as const;

/** Flat schema by dotted key path, in the order of its sections. */
const SPEC = {
  name: key(str, '', 'Run name: the run writes <outDir>/<name>/ ("" = <mode>-<date>-<time>).', true),
  mode: key(oneOf('vae', 'vhe', 'uvhe'), 'uvhe', 'vae: N(0,1) prior, no class code; vhe: D from the true class; uvhe: D from pseudo-classes found by clustering the codes.', true),
  seed: key(int(0, 2 ** 32 - 1), 1, 'Root seed from which the initialisation, shuffling, noise and clustering seeds derive.', true),
  outDir: key(str, 'runs', 'Folder that holds the run folders.'),

  'data.source': key(oneOf('mnist', 'idx'), 'mnist', 'mnist: the 10,000 digits embedded in the mnist package; idx: IDX files from data.dir.', true),
  'data.dir': key(str, '', 'Folder with the train- and t10k- IDX image files (labels optional), raw or gzipped, for data.source "idx".', true),
  'data.testFraction': key(num(0, 0.9, true), 0.2, 'Embedded mnist: fraction of each class held out for testing (stratified, seeded).'),
  'data.limit': key(int(0), 0, 'Cap on examples per split for quick runs (0 = all): stratified for the embedded digits, the first N of each IDX file.'),
  'data.deskew': key(oneOf('auto', 'on', 'off'), 'auto', 'Shear each image upright and centre it by its ink moments; auto = on for the embedded digits, off for IDX files.'),

  'model.hidden': key(int(1), 512, 'Hidden units of every MLP.'),
  'model.zDim': key(int(1), 20, 'Length of z, the per-example code.'),
  'model.cDim': key(int(1), 20, 'Length of c, the class code (unused in vae mode).'),
  'model.logStdBound': key(num(0.5, 20), 5, 'Log-std bound L: s = L·tanh(raw/L), so σ lies in (e^-L, e^L).'),

  'train.epochs': key(int(1), 30, 'Passes over the training split.', true),
  'train.batchSize': key(int(1, 65536), 128, 'Examples x per optimisation step.'),
  'train.lr': key(num(0, 1, true), 1e-3, 'Adam learning rate.'),
  'train.subsetSize': key(int(1, 1024), 5, '|D|: examples encoded by q(c|D) for each x.'),
  'train.includeSelf': key(bool, false, 'Whether x may appear in its own D during training (at test time D always comes from the training split).'),
  'train.shareSubsets': key(bool, true, 'Batch items of the same (pseudo-)class share one D, so the c-encoder runs on about k·|D| rows instead of B·|D|.'),
  'train.skipNonFinite': key(int(0), 0, 'Steps with a NaN or infinite loss or gradient that may be skipped, weights untouched, before the run stops.'),
  'train.logSteps': key(int(0), 0, 'Also write a step line to metrics.jsonl every N steps (0 = epoch lines only).'),
  'train.progress': key(oneOf('auto', 'bar', 'lines', 'none'), 'auto', 'Terminal progress: auto = a bar on a TTY, one line per epoch otherwise.'),

  'cluster.k': key(int(1), 10, 'Number of pseudo-classes (uvhe).', true),
  'cluster.refit': key(oneOf('epoch', 'online', 'background'), 'background', 'epoch: relabel between epochs; online: also mini-batch updates as codes arrive; background: relabel during the next epoch, at most one in flight.'),
  'cluster.embed': key(oneOf(...EMBED), 'spectral', 'Relabel rule: spectral = KMeans on the spectral embedding of the codes\' neighbour graph; umap = Gaussian mixtures on a UMAP-style layout of it; none = KMeans on the codes.'),
  'cluster.neighbors': key(int(0, 56), 0, 'Neighbours per code in the graph of spectral and umap (0 = one per 1,000 codes, within [10, 50]).'),
  'cluster.iters': key(int(1, 1000), 10, 'Lloyd iterations per KMeans relabel, warm-started from the previous centroids.'),
  'cluster.batchSize': key(int(1), 1024, 'Mini-batch size of online KMeans updates (cluster.refit "online").'),
  'cluster.simd': key(oneOf('auto', 'relaxed', 'strict'), 'auto', 'Kernel build of the pool: relaxed = fused multiply-adds, strict = bit-identical to TypeScript, auto = relaxed where supported.'),
  'cluster.weights.z': key(num(0), 1, 'Weight of z in the clustering distance d² = wz·|Δz/σ|² + wc·|Δc|², σ: the prior p(z|c)\'s scale per dimension of z (docs/algorithm.md).'),
  'cluster.weights.c': key(num(0), 1, 'Weight of c in the clustering distance.'),

  'eval.every': key(int(0), 1, 'Evaluate on the test split every N epochs, and always after the last (0 = never).'),
  'eval.limit': key(int(0), 0, 'Test examples used for evaluation (0 = all).'),
  'eval.finalK': key(int(0), 0, 'k of the final re-clustering scored as final/acc and final/nmi (0 = the number of true classes).'),
  'eval.embed': key(oneOf(...EMBED), 'umap', 'Rule of the final re-clustering scored as final/acc (and by --recluster), as for cluster.embed.'),
  'eval.space': key(oneOf('zc', 'z', 'c'), 'z', 'Codes the final re-clustering measures distance on: [z‖c], z or c (a vae\'s codes are z).'),

  'checkpoint.every': key(int(0), 1, 'Write checkpoint.bin every N epochs (0 = only at the end and on Ctrl-C).'),

  'runtime.backend': key(oneOf('auto', 'gpu', 'native-cpu', 'simd', 'wasm', 'cpu'), 'auto', 'Backend; auto tries gpu, native-cpu, simd (wasm-SIMD trainer on runtime.threads), wasm, then cpu.', true),
  'runtime.threads': key(int(0, 64), 0, 'Threads of the simd backend\'s training steps (0 = every core).', true),
  'runtime.workers': key(int(0, 64), 1, 'Threads of the clustering pool (0 = plain TypeScript on the main thread).', true),
} as const;

/** Every key by dotted path (what docs, --help and the JSON Schema read). */
export const SCHEMA: Readonly<Record<string, KeySpec>> = SPEC;

type Flat = { -readonly [K in keyof typeof SPEC]: (typeof SPEC)[K]['default'] };
/** Dotted keys → nested objects: { 'a.b': X, c: Y } becomes { a: { b: X }, c: Y }. */
type Nest<F> = {
  -readonly [K in keyof F as K extends `${infer H}.${string}` ? H : K]:
    K extends `${infer H}.${string}` ? Nest<{ [P in keyof F as P extends `${H}.${infer R}` ? R : never]: F[P] }> : F[K];
};

/** The resolved config of a run, derived from the schema. */
export type Config = Nest<Flat>;

/** A bad config: every problem, one line each, naming the keys involved. The CLI exits 2. */
export class ConfigError extends Error {
  constructor(message: string, readonly problems: readonly string[] = [message]) { super(message); }
}

const SECTIONS = ['data', 'model', 'train', 'cluster', 'eval', 'checkpoint', 'runtime'] as const;

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

/** Whether `key` names a schema key (own property only: "constructor" or "__proto__" never do). */
export function isKey(key: string): boolean {
  return Object.hasOwn(SCHEMA, key);
}

/** Names that plain objects inherit; a config that uses one as a key is refused outright. */
const PROTO_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

function unknownKey(path: string, where = ''): string {
  const segment = path.split('.').find((s) => PROTO_NAMES.has(s));
  if (segment !== undefined) return `config: ${path}${where} is not allowed: ${segment} is a JavaScript object property name, not a config key`;
  const near = closestKey(path);
  return `config: unknown key ${path}${where}${near ? ` (did you mean ${near}?)` : ''}`;
}

/** The problem with value v for `key`, or null when it fits the key's type. */
function checkValue(key: string, v: unknown): string | null {
  const t = SCHEMA[key].type;
  // String(v) for numbers: JSON.stringify would print Infinity (e.g. --set train.epochs=1e309) as null
  const bad = (what: string): string => `config: ${key} must be ${what}, got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`;
  switch (t.kind) {
    case 'int':
      if (typeof v !== 'number' || !Number.isInteger(v)) return bad('an integer' + range(t.min, t.max));
      if ((t.min !== undefined && v < t.min) || (t.max !== undefined && v > t.max)) return bad('an integer' + range(t.min, t.max));
      return null;
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return bad('a finite number' + range(t.min, t.max, t.exclusiveMin));
      if (t.min !== undefined && (v < t.min || (t.exclusiveMin && v === t.min))) return bad('a number' + range(t.min, t.max, t.exclusiveMin));
      if (t.max !== undefined && v > t.max) return bad('a number' + range(t.min, t.max, t.exclusiveMin));
      return null;
    case 'bool': return typeof v === 'boolean' ? null : bad('true or false');
    case 'string': return typeof v === 'string' ? null : bad('a string');
    case 'enum': return typeof v === 'string' && t.values.includes(v) ? null : bad('one of ' + describe(t));
  }
}

/** Flatten nested JSON objects into dotted keys; every unknown key and misplaced value becomes a problem. */
function flatten(obj: unknown, prefix: string, out: Map<string, unknown>, problems: string[]): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    problems.push(`config: ${prefix || '(top level)'} must be an object, got ${JSON.stringify(obj)}`);
    return;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (path === '$schema') continue;
    if (PROTO_NAMES.has(k)) { problems.push(unknownKey(path)); continue; }
    if (isKey(path)) { out.set(path, v); continue; }
    if (Object.keys(SCHEMA).some((s) => s.startsWith(path + '.'))) { flatten(v, path, out, problems); continue; }
    problems.push(unknownKey(path));
  }
}

/** Parse a --set value: JSON where it parses (numbers, booleans, quoted strings), else the raw string. */
export function parseSetValue(raw: string): unknown {
  try { return JSON.parse(raw); } catch { return raw; }
}

/** Rules between keys; each problem names every key involved. */
function crossKeyProblems(c: Config): string[] {
  const problems: string[] = [];
  if (c.data.source === 'idx' && !c.data.dir) problems.push('config: data.dir must name a folder when data.source is "idx"');
  return problems;
}

/** Validate a config object (from run.json) plus --set overrides, fill defaults, check cross-key rules, freeze.
 *  Throws one ConfigError listing every problem found. */
export function resolveConfig(fileObj: unknown, sets: Array<[string, unknown]> = []): Config {
  const problems: string[] = [];
  const flat = new Map<string, unknown>();
  flatten(fileObj === undefined ? {} : fileObj, '', flat, problems); // a file holding just `null` is an error, not the defaults
  for (const [k, v] of sets) {
    if (!isKey(k)) problems.push(unknownKey(k, ' in --set'));
    else flat.set(k, v);
  }
  const cfg: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(SCHEMA)) {
    let v = spec.default;
    if (flat.has(key)) {
      const problem = checkValue(key, flat.get(key));
      if (problem) problems.push(problem);
      else v = flat.get(key);
    }
    const parts = key.split('.');
    let node = cfg;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]] = v;
  }
  const c = cfg as unknown as Config;
  problems.push(...crossKeyProblems(c));
  if (problems.length) throw new ConfigError(problems.join('\n'), problems);
  return deepFreeze(c);
}

/** A run folder's config.json as written by an older version: keys that no longer exist are dropped where they
 *  asked for the one behaviour that remains (cluster.weighting "fixed" and its unused anneal schedule), and refused
 *  in one line where they asked for another. */
export function dropRetiredKeys(obj: Record<string, unknown>, source: string): Record<string, unknown> {
  const cluster = obj.cluster;
  if (!cluster || typeof cluster !== 'object' || Array.isArray(cluster)) return obj;
  const { weighting, anneal, ...rest } = cluster as Record<string, unknown>;
  if (weighting !== undefined && weighting !== 'fixed') {
    throw new ConfigError(`config: ${source}: cluster.weighting ${JSON.stringify(weighting)} is no longer supported (the clustering distance weighs z and c by cluster.weights)`);
  }
  return weighting === undefined && anneal === undefined ? obj : { ...obj, cluster: rest };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') { for (const v of Object.values(o)) deepFreeze(v); Object.freeze(o); }
  return o;
}

/** --help text for every key: the common keys first, then the rest by section. */
export function helpText(): string {
  const entry = ([k, s]: [string, KeySpec]): string =>
    `  ${k.padEnd(22)} ${describe(s.type)}, default ${JSON.stringify(s.default)}\n  ${''.padEnd(22)} ${s.doc}`;
  const all = Object.entries(SCHEMA);
  const rest = all.filter(([, s]) => !s.common);
  const blocks = [['common', all.filter(([, s]) => s.common)]] as Array<[string, Array<[string, KeySpec]>]>;
  const sectionOf = (k: string): string => (k.includes('.') ? k.split('.')[0] : 'run');
  for (const section of ['run', ...SECTIONS]) blocks.push([section, rest.filter(([k]) => sectionOf(k) === section)]);
  return blocks.filter(([, entries]) => entries.length).map(([title, entries]) => `${title}:\n${entries.map(entry).join('\n')}`).join('\n\n');
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
