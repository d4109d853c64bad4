// argv → config → run. Exit codes: 0 done, 2 bad config, data or checkpoint (one line on stderr), 3 training
// diverged (NaN/Inf), 130/143 stopped by SIGINT/SIGTERM after a checkpoint, 1 anything else.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, dropRetiredKeys, helpText, jsonSchema, parseSetValue, resolveConfig, type Config } from './config.js';
import { DataError } from './data/data-error.js';
// Light modules only: tfjs (backend.ts, run.ts, compare.ts, recluster.ts) loads on demand in main(), so --help,
// --print-config, --write-schema and config errors answer without it (test/cli-startup.test.ts checks).
import { BackendError } from './errors.js';
import { CheckpointError } from './train/checkpoint.js';
import { RunFolderError } from './run-folder.js';
import { TrainingError } from './train/errors.js';
import { dirname, join, resolve } from 'node:path';
import { isCompareSpec } from './compare-spec.js';
import { ClusterFormatError } from './assign.js';
import type { BackendChoice } from './backend.js';

const USAGE = `usage: npm start -- [--config run.json] [--set key=value ...]        (or: uvhe train [...])
       npm start -- --assign runs/<name> --data PATH [--split test] [--out FILE]  (or: uvhe assign runs/<name> ...)
       npm start -- report runs/<a> runs/<b> ... [--out report.html]           (or: uvhe report ...)

  --config FILE        a run config (JSON), or a compare file ({"compare": ...}: several configs × seeds,
                       one report); default: run.json in the current folder when it exists
  --resume DIR         continue the run in DIR (runs/<name>) from its checkpoint; --set may extend train.epochs
  --recluster DIR      re-cluster the codes of the run in DIR (uvhe: its code store; vae: the means of q(z|x),
                       encoded again from its checkpoint) at k = classes by the run's final rule, with --set
                       overriding cluster.neighbors / eval.* keys (e.g. eval.embed=spectral), and print
                       accuracy and NMI; trains nothing, writes nothing
  --assign DIR         assign new images to the clusters of the finished run in DIR (its model/ folder: networks,
                       preprocessing, clustering state; docs/api.md); trains nothing. Writes a CSV (index[, file],
                       cluster, confidence[, label, true_label]) to DIR/assignments.csv or --out, and prints the
                       accuracy of the clusters' matched labels when the images have labels
  --data PATH          --assign's images: a folder of IDX files (t10k-images-idx3-ubyte[.gz] and its labels, or
                       the train- files with --split), one IDX images file, a folder of .png files or one .png;
                       images of the run's size (PNGs: grey = luma of RGB, over black where transparent)
  --split WHICH        --assign, IDX folder: test (t10k-*, the default), train (train-*) or all (train, then test)
  --backend NAME       --assign: tfjs backend (auto, gpu, native-cpu, simd, wasm, cpu; default auto)
  --out FILE           --assign: the CSV to write; report: the HTML to write (default ./report.html)
  report DIR...        one report.html over existing run folders, each labelled by its path (compares them;
                       trains nothing)
  --set KEY=VALUE      override one key (repeatable); VALUE is JSON where it parses (3, true, "x"), else a string
  --print-config       print the resolved config and exit
  --write-schema FILE  write the JSON Schema of the config (for editor completion) and exit
  --help               this text

config keys (type, default, meaning), the common ones first:
`;

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return `line ${line} column ${col}`;
}

/** Read and parse a config file; every failure is a one-line ConfigError naming the file. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError(`config: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte-order mark, as some editors write
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const m = /position (\d+)/.exec(msg);
    if (text.trim() === '') throw new ConfigError(`config: ${path}: the file is empty (expected a JSON object)`);
    const where = m ? lineCol(text, Number(m[1])) : 'end of file';
    throw new ConfigError(`config: ${path}: invalid JSON at ${where}: ${msg.replace(/ in JSON at position \d+.*/, '').replace(/^JSON\.parse: /, '')}`);
  }
}

export interface ParsedCli {
  cfg: Config;
  action: 'run' | 'print' | 'help' | 'schema' | 'compare' | 'recluster' | 'assign' | 'report';
  /** --assign / uvhe assign: the run folder, the images, the IDX split, the CSV and the backend */
  assign?: { runDir: string; data: string; split: 'test' | 'train' | 'all'; out?: string; backend?: BackendChoice };
  /** uvhe report: run folders to compare and the HTML file to write */
  report?: { dirs: string[]; out: string };
  schemaPath?: string;
  resumeDir?: string;
  /** --recluster: the run folder whose code store is re-clustered, and its config as it ran (before --set) */
  reclusterDir?: string;
  ran?: Config;
  /** a compare file: the parsed spec, the folder it is relative to, and the --set pairs for every run */
  compare?: { spec: unknown; baseDir: string; sets: Array<[string, unknown]> };
}

/** The subcommands of `uvhe` (bin/uvhe.mjs); without one, the arguments are those of train. */
const SUBCOMMANDS = new Set(['train', 'assign', 'report']);
const BACKENDS = ['auto', 'gpu', 'native-cpu', 'simd', 'wasm', 'cpu'] as const;

export function parseCli(argv: string[]): ParsedCli {
  const sub = argv[0] !== undefined && SUBCOMMANDS.has(argv[0]) ? argv[0] : null;
  let args;
  try {
    args = parseArgs({
      args: sub ? argv.slice(1) : argv,
      options: {
        config: { type: 'string' }, resume: { type: 'string' }, recluster: { type: 'string' }, set: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
        'print-config': { type: 'boolean' }, 'write-schema': { type: 'string' },
        assign: { type: 'string' }, data: { type: 'string' }, split: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' },
      },
      allowPositionals: sub === 'assign' || sub === 'report',
    });
  } catch (e) {
    throw new ConfigError(`cli: ${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = args.values;
  if (v.help) return { cfg: resolveConfig({}), action: 'help' };
  if (sub === 'report') {
    if (!args.positionals.length) throw new ConfigError('cli: report needs one or more run folders (uvhe report runs/a runs/b)');
    return { cfg: resolveConfig({}), action: 'report', report: { dirs: args.positionals, out: v.out ?? 'report.html' } };
  }
  if (sub === 'assign' || v.assign !== undefined) {
    const runDir = v.assign ?? args.positionals[0];
    if (!runDir || args.positionals.length > (v.assign ? 0 : 1)) throw new ConfigError('cli: assign takes one run folder (uvhe assign runs/<name> --data PATH)');
    if (!v.data) throw new ConfigError('cli: assign needs --data PATH (an IDX folder or file, or PNG files)');
    const split = v.split ?? 'test';
    if (split !== 'test' && split !== 'train' && split !== 'all') throw new ConfigError(`cli: --split must be test, train or all, got ${split}`);
    const backend = v.backend ?? 'auto';
    if (!(BACKENDS as readonly string[]).includes(backend)) throw new ConfigError(`cli: --backend must be one of ${BACKENDS.join(', ')}, got ${backend}`);
    return { cfg: resolveConfig({}), action: 'assign', assign: { runDir, data: v.data, split, out: v.out, backend: backend as BackendChoice } };
  }
  for (const k of ['data', 'split', 'out', 'backend'] as const) if (v[k] !== undefined) throw new ConfigError(`cli: --${k} belongs to assign (see --help)`);
  let fileObj: unknown = {};
  let source: string | null = null;
  if (v.resume && v.recluster) throw new ConfigError('cli: --resume and --recluster do not go together');
  const fromRun = v.resume ?? v.recluster;
  if (fromRun) {
    if (v.config) throw new ConfigError(`cli: --${v.resume ? 'resume' : 'recluster'} takes the config from the run folder; drop --config`);
    source = join(fromRun, 'config.json');
  } else if (v.config) source = v.config;
  else if (existsSync('run.json')) source = 'run.json';
  if (source) {
    fileObj = readConfigFile(source);
    if (fileObj === null || typeof fileObj !== 'object' || Array.isArray(fileObj)) {
      const shown = JSON.stringify(fileObj);
      throw new ConfigError(`config: ${source}: must hold a JSON object, got ${shown.length > 40 ? shown.slice(0, 37) + '...' : shown}`);
    }
    if (fromRun) fileObj = dropRetiredKeys(fileObj as Record<string, unknown>, source);
  }
  const sets: Array<[string, unknown]> = (v.set ?? []).map((s) => {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new ConfigError(`cli: --set ${s} must look like key=value`);
    return [s.slice(0, eq), parseSetValue(s.slice(eq + 1))];
  });
  if (isCompareSpec(fileObj)) {
    return { cfg: resolveConfig({}), action: 'compare', compare: { spec: fileObj, baseDir: dirname(resolve(v.config ?? 'run.json')), sets } };
  }
  const cfg = resolveConfig(fileObj, sets);
  if (v['write-schema']) return { cfg, action: 'schema', schemaPath: v['write-schema'] };
  if (v.recluster && !v['print-config']) return { cfg, action: 'recluster', reclusterDir: v.recluster, ran: resolveConfig(fileObj) };
  return { cfg, action: v['print-config'] ? 'print' : 'run', resumeDir: v.resume, ran: v.resume ? resolveConfig(fileObj) : undefined };
}

export async function main(argv: string[]): Promise<number> {
  try {
    const { cfg, action, schemaPath, resumeDir, reclusterDir, ran, compare, assign, report } = parseCli(argv);
    if (action === 'help') { process.stdout.write(USAGE + helpText() + '\n'); return 0; }
    if (action === 'print') { process.stdout.write(JSON.stringify(cfg, null, 2) + '\n'); return 0; }
    if (action === 'schema') { writeFileSync(schemaPath!, JSON.stringify(jsonSchema(), null, 2) + '\n'); return 0; }
    if (action === 'compare') {
      const { runCompare, validateCompareSpec } = await import('./compare.js');
      const report = await runCompare(validateCompareSpec(compare!.spec), compare!.baseDir, { sets: compare!.sets, log: (l) => process.stderr.write(l + '\n') });
      process.stderr.write(`comparison report: ${report}\n`);
      return 0;
    }
    if (action === 'assign') {
      const { assignCommand } = await import('./apply/assign-cli.js');
      const r = await assignCommand(assign!, (l) => process.stderr.write(l + '\n'));
      const acc = r.accuracy === null ? '' : `; accuracy of the clusters' matched labels ${r.accuracy.toFixed(4)}`;
      process.stdout.write(`${r.n} images assigned (mean confidence ${r.meanConfidence.toFixed(3)})${acc}: ${r.out}\n`);
      return 0;
    }
    if (action === 'report') {
      const { reportCommand } = await import('./apply/report-cli.js');
      process.stderr.write(`comparison report: ${reportCommand(report!.dirs, report!.out)}\n`);
      return 0;
    }
    if (action === 'recluster') {
      const { recluster } = await import('./recluster.js');
      const r = await recluster(cfg, reclusterDir!, ran);
      process.stdout.write(`${r.source}: ${r.n} codes, k = ${r.k}, ${r.rule}: accuracy ${r.accuracy.toFixed(4)}  NMI ${r.nmi.toFixed(4)}\n`);
      return 0;
    }
    const { runTraining } = await import('./run.js');
    const out = await runTraining(cfg, { resumeDir, ran });
    return out.signal === 'SIGINT' ? 130 : out.signal === 'SIGTERM' ? 143 : 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof DataError || e instanceof BackendError || e instanceof CheckpointError || e instanceof RunFolderError || e instanceof ClusterFormatError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof TrainingError) { process.stderr.write(`error: ${e.message}\n`); return 3; }
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    if (/^config: /.test(msg)) { process.stderr.write(`error: ${msg}\n`); return 2; }
    process.stderr.write(`error: ${msg}\n`);
    if (process.env.UVHE_DEBUG) process.stderr.write(String((e as Error).stack) + '\n');
    return 1;
  }
}

// Run when executed directly (tsx src/cli.ts), not when imported by tests.
if (process.argv[1] && /cli\.[tj]s$/.test(process.argv[1])) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
