// A comparison: several run configs (labels) × several seeds, trained one after another, then one report.html
// over all of them with overlaid curves and mean ± sd per label. Described by one JSON file:
//   { "compare": { "name": "vae-vs-uvhe", "seeds": [1, 2, 3], "base": { ...run config... },
//                  "runs": [ { "label": "vae", "set": { "mode": "vae" } }, { "label": "uvhe", "set": { "mode": "uvhe" } } ] } }
// Every run config is resolved (and so validated) before the first run starts, so a typo fails in a second.
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, closestKey, isKey, resolveConfig, type Config } from './config.js';
import { runTraining, type RunOutcome } from './run.js';
import { writeReport } from './report/html.js';
import { isCompareSpec } from './compare-spec.js';

export { isCompareSpec };

export interface CompareRunSpec {
  /** names the runs in the report and the run folders (<label>-s<seed>); runs sharing a label are averaged */
  label: string;
  /** config keys this run changes, nested ({"train": {"lr": 0.01}}) or dotted ({"train.lr": 0.01}) */
  set: Record<string, unknown>;
}

export interface CompareSpec {
  compare: {
    /** the comparison's folder under outDir: <outDir>/<name>/ holds the run folders and report.html */
    name: string;
    /** every run is trained once per seed */
    seeds: number[];
    /** run config shared by all runs (as in run.json; no seed or name) */
    base: Record<string, unknown>;
    runs: CompareRunSpec[];
  };
}


const fail = (msg: string): never => { throw new ConfigError(`compare: ${msg}`); };
const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const show = (v: unknown): string => { const s = JSON.stringify(v); return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s; };
/** a folder-name-safe identifier */
const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Nested or dotted keys → [dotted key, value] pairs; objects are descended into, everything else is a value. */
export function flattenSets(obj: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObj(v)) out.push(...flattenSets(v, key));
    else out.push([key, v]);
  }
  return out;
}

function checkKeys(obj: Record<string, unknown>, where: string): void {
  for (const [key] of flattenSets(obj)) {
    if (key === '$schema') continue;
    if (!isKey(key)) {
      const near = closestKey(key);
      fail(`${where}.${key} is not a config key${near ? ` (did you mean ${near}?)` : ''}`);
    }
    if (key === 'seed' || key === 'name') fail(`${where}.${key} cannot be set: each run's ${key} comes from compare.seeds and its label`);
  }
}

/** Validate a parsed compare file; every error is one line naming the key path. */
export function validateCompareSpec(obj: unknown): CompareSpec {
  if (!isCompareSpec(obj)) return fail('the file must be an object with a "compare" key');
  for (const k of Object.keys(obj)) if (k !== 'compare' && k !== '$schema') fail(`unknown top-level key ${k} (only "compare")`);
  const c = obj.compare;
  if (!isObj(c)) return fail(`compare must be an object, got ${show(c)}`);
  const known = ['name', 'seeds', 'base', 'runs'];
  for (const k of Object.keys(c)) if (!known.includes(k)) fail(`compare.${k} is not a known key (${known.join(', ')})`);

  if (typeof c.name !== 'string' || !SAFE.test(c.name)) fail(`compare.name must be a folder name (letters, digits, . _ -), got ${show(c.name)}`);
  const name = c.name as string;

  if (!Array.isArray(c.seeds) || c.seeds.length === 0) fail(`compare.seeds must be a non-empty array of integers, got ${show(c.seeds)}`);
  const seeds = c.seeds as unknown[];
  seeds.forEach((s, i) => {
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 0 || s > 2 ** 32 - 1) fail(`compare.seeds[${i}] must be an integer in [0, 4294967295], got ${show(s)}`);
  });
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) fail(`compare.seeds has ${dup} twice`);

  const base = c.base ?? {};
  if (!isObj(base)) return fail(`compare.base must be an object (a run config), got ${show(base)}`);
  checkKeys(base, 'compare.base');

  if (!Array.isArray(c.runs) || c.runs.length === 0) fail(`compare.runs must be a non-empty array of { "label", "set" }, got ${show(c.runs)}`);
  const labels = new Set<string>();
  const runs = (c.runs as unknown[]).map((r, i): CompareRunSpec => {
    const at = `compare.runs[${i}]`;
    if (!isObj(r)) return fail(`${at} must be an object { "label", "set" }, got ${show(r)}`);
    for (const k of Object.keys(r)) if (k !== 'label' && k !== 'set') fail(`${at}.${k} is not a known key (label, set)`);
    if (typeof r.label !== 'string' || !SAFE.test(r.label)) fail(`${at}.label must be a folder name (letters, digits, . _ -), got ${show(r.label)}`);
    const label = r.label as string;
    if (labels.has(label)) fail(`${at}.label "${label}" is used twice`);
    labels.add(label);
    const set = r.set ?? {};
    if (!isObj(set)) return fail(`${at}.set must be an object of config keys, got ${show(set)}`);
    checkKeys(set, `${at}.set`);
    return { label, set };
  });
  return { compare: { name, seeds: seeds as number[], base, runs } };
}

export interface PlannedRun {
  label: string;
  seed: number;
  cfg: Config;
}

/**
 * Resolve every run × seed config (base, then the run's `set`, then seed and name = <compare name>/<label>-s<seed>).
 * `overrides` (the CLI's --set pairs) apply to every run, after its `set`.
 * Relative outDir and data.dir are taken relative to baseDir (the compare file's folder). Throws ConfigError
 * naming the run and the key on the first invalid one.
 */
export function planCompare(spec: CompareSpec, baseDir: string, overrides: Array<[string, unknown]> = []): { outDir: string; runs: PlannedRun[] } {
  const c = validateCompareSpec(spec).compare;
  for (const [k] of overrides) if (k === 'seed' || k === 'name') fail(`--set ${k} cannot be used with a compare file: each run's ${k} comes from compare.seeds and its label`);
  const rel = (p: string): string => (p && !isAbsolute(p) ? resolve(baseDir, p) : p);
  const rethrow = (where: string, e: unknown): never => {
    if (e instanceof ConfigError) fail(e.problems.map((p) => `${where}: ${p.replace(/^config: /, '').replace(/ in --set/, '')}`).join('\ncompare: '));
    throw e;
  };
  let baseCfg: Config;
  try { baseCfg = resolveConfig(c.base); } catch (e) { return rethrow('compare.base', e); }
  const runs: PlannedRun[] = [];
  c.runs.forEach((r, i) => {
    for (const seed of c.seeds) {
      const sets = [...flattenSets(r.set), ...overrides];
      const merged = new Map<string, unknown>(flattenSets(c.base).concat(sets));
      const outDir = rel(String(merged.get('outDir') ?? baseCfg.outDir));
      const dataDir = String(merged.get('data.dir') ?? baseCfg.data.dir);
      try {
        const cfg = resolveConfig(c.base, [...sets, ['outDir', outDir], ['data.dir', rel(dataDir)], ['seed', seed], ['name', `${c.name}/${r.label}-s${seed}`]]);
        runs.push({ label: r.label, seed, cfg });
      } catch (e) { rethrow(`compare.runs[${i}] (label ${r.label}, seed ${seed})`, e); }
    }
  });
  const outDirs = new Set(runs.map((r) => r.cfg.outDir));
  if (outDirs.size > 1) fail(`the runs must share one outDir (got ${[...outDirs].join(', ')}); set outDir in compare.base only`);
  return { outDir: [...outDirs][0], runs };
}

export interface CompareHooks {
  /** --set pairs applied to every run after its own `set` (not seed or name) */
  sets?: Array<[string, unknown]>;
  /** trains one run; default runTraining (src/run.ts). Injected by tests. */
  train?: (cfg: Config) => Promise<Pick<RunOutcome, 'dir'>>;
  /** progress lines ("run 2/6: uvhe seed 1") */
  log?: (line: string) => void;
}

/** Train every run × seed in turn, then write <outDir>/<name>/report.html over all of them; returns its path. */
/** Mean ± sd (sample sd; "" for one run) formatted to `digits`. */
function meanSd(xs: number[], digits: number): string {
  if (!xs.length) return '—';
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length < 2) return m.toFixed(digits);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return `${m.toFixed(digits)} ± ${sd.toFixed(digits)}`;
}

/** A Markdown table of the last epoch of every run, grouped by label: test nats, pseudo-label accuracy and NMI
 *  of the training clustering, and at k = true classes after re-clustering the final codes. */
export function summaryTable(runs: Array<{ label: string; dir: string }>): string {
  const labels = [...new Set(runs.map((r) => r.label))];
  const cols: Array<[string, string, number]> = [
    ['test nats', 'test/total', 2], ['acc (train k)', 'cluster/acc', 3], ['NMI (train k)', 'cluster/nmi', 3],
    ['acc (k = classes)', 'final/acc', 3], ['NMI (k = classes)', 'final/nmi', 3], ['s/epoch', 'time/epoch', 1],
  ];
  const rows = labels.map((label) => {
    const lasts = runs.filter((r) => r.label === label).map((r) => {
      const lines = readFileSync(join(r.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      return lines.filter((l) => l.kind === 'epoch').pop() ?? {};
    });
    const cells = cols.map(([, key, digits]) => meanSd(lasts.map((l) => l[key]).filter((v): v is number => typeof v === 'number'), digits));
    return `| ${label} (${lasts.length}) | ${cells.join(' | ')} |`;
  });
  return [`| run (seeds) | ${cols.map((c) => c[0]).join(' | ')} |`, `|---|${cols.map(() => '---').join('|')}|`, ...rows].join('\n');
}

export async function runCompare(spec: CompareSpec, baseDir: string, hooks: CompareHooks = {}): Promise<string> {
  const { outDir, runs } = planCompare(spec, baseDir, hooks.sets);
  const name = spec.compare.name;
  const train = hooks.train ?? ((cfg: Config) => runTraining(cfg, { nameSegments: 2 }));
  const log = hooks.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const done: Array<{ label: string; dir: string }> = [];
  for (const [i, r] of runs.entries()) {
    log(`compare ${name}: run ${i + 1}/${runs.length}: ${r.label} seed ${r.seed}`);
    const out = await train(r.cfg);
    done.push({ label: r.label, dir: out.dir });
  }
  const table = summaryTable(done);
  writeFileSync(join(outDir, name, 'summary.md'), `# ${name}\n\n${table}\n`);
  log(`\n${table}\n`);
  const report = join(outDir, name, 'report.html');
  writeReport({ out: report, title: `${name}: ${spec.compare.runs.map((r) => r.label).join(' vs ')} (seeds ${spec.compare.seeds.join(', ')})`, runs: done });
  log(`compare ${name}: report ${report}`);
  return report;
}
