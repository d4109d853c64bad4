// argv → config → run. Exit codes: 0 done, 2 bad config, data or checkpoint (one line on stderr), 3 training
// diverged (NaN/Inf), 130/143 stopped by SIGINT/SIGTERM after a checkpoint, 1 anything else.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, helpText, jsonSchema, parseSetValue, resolveConfig, type Config } from './config.js';
import { DataError } from './data/data-error.js';
// Light modules only: tfjs (backend.ts, run.ts, compare.ts, recluster.ts) loads on demand in main(), so --help,
// --print-config, --write-schema and config errors answer without it (test/cli-startup.test.ts checks).
import { BackendError } from './errors.js';
import { CheckpointError } from './train/checkpoint.js';
import { RunFolderError } from './run-folder.js';
import { TrainingError } from './train/errors.js';
import { dirname, join, resolve } from 'node:path';
import { isCompareSpec } from './compare-spec.js';

const USAGE = `usage: npm start -- [--config run.json] [--set key=value ...]

  --config FILE        a run config (JSON), or a compare file ({"compare": ...}: several configs × seeds,
                       one report); default: run.json in the current folder when it exists
  --resume DIR         continue the run in DIR (runs/<name>) from its checkpoint; --set may extend train.epochs
  --recluster DIR      re-cluster the codes of the run in DIR (uvhe: its code store; vae: the means of q(z|x),
                       encoded again from its checkpoint) at k = classes by the run's final rule, with --set
                       overriding cluster.neighbors / eval.* keys (e.g. eval.embed=spectral), and print
                       accuracy and NMI; trains nothing, writes nothing
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
  action: 'run' | 'print' | 'help' | 'schema' | 'compare' | 'recluster';
  schemaPath?: string;
  resumeDir?: string;
  /** --recluster: the run folder whose code store is re-clustered, and its config as it ran (before --set) */
  reclusterDir?: string;
  ran?: Config;
  /** a compare file: the parsed spec, the folder it is relative to, and the --set pairs for every run */
  compare?: { spec: unknown; baseDir: string; sets: Array<[string, unknown]> };
}

export function parseCli(argv: string[]): ParsedCli {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' }, resume: { type: 'string' }, recluster: { type: 'string' }, set: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
        'print-config': { type: 'boolean' }, 'write-schema': { type: 'string' },
      },
      allowPositionals: false,
    });
  } catch (e) {
    throw new ConfigError(`cli: ${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = args.values;
  if (v.help) return { cfg: resolveConfig({}), action: 'help' };
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
    const { cfg, action, schemaPath, resumeDir, reclusterDir, ran, compare } = parseCli(argv);
    if (action === 'help') { process.stdout.write(USAGE + helpText() + '\n'); return 0; }
    if (action === 'print') { process.stdout.write(JSON.stringify(cfg, null, 2) + '\n'); return 0; }
    if (action === 'schema') { writeFileSync(schemaPath!, JSON.stringify(jsonSchema(), null, 2) + '\n'); return 0; }
    if (action === 'compare') {
      const { runCompare, validateCompareSpec } = await import('./compare.js');
      const report = await runCompare(validateCompareSpec(compare!.spec), compare!.baseDir, { sets: compare!.sets, log: (l) => process.stderr.write(l + '\n') });
      process.stderr.write(`comparison report: ${report}\n`);
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
    if (e instanceof ConfigError || e instanceof DataError || e instanceof BackendError || e instanceof CheckpointError || e instanceof RunFolderError) {
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
