// Fail safe, config: every bad config (file or --set) is one line naming the key path or the file, exit 2
// through main(); the same errors come out of resolveConfig / readConfigFile / parseCli; --help documents
// every schema key; and cluster.k > n (checked when training starts) is one line, exit 2, from the real CLI.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, parseCli, readConfigFile } from '../../src/cli.js';
import { ConfigError, SCHEMA, parseSetValue, resolveConfig } from '../../src/config.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/tiny-mnist-idx');
const TMP = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-cfg-'));
const CWD0 = process.cwd();
const f = (name: string): string => join(TMP, name);

/** Config files the cases point at, written once. */
const FILES: Record<string, string> = {
  'empty.json': '',
  'blank.json': '  \n\t\n',
  'array.json': '[{"mode": "vae"}]',
  'null.json': 'null',
  'number.json': '42',
  'string.json': '"uvhe"',
  'trailing-comma.json': '{\n  "mode": "vae",\n  "train": { "epochs": 2, }\n}\n',
  'unquoted.json': '{\n  mode: "vae"\n}\n',
  'truncated.json': '{\n  "train": {\n    "epochs": 2\n',
  'unknown-nested.json': '{ "train": { "epoch": 3 } }',
  'unknown-case.json': '{ "cluster": { "K": 3 } }',
  'group-not-object.json': '{ "train": 5 }',
  'hidden-string.json': '{ "model": { "hidden": "512" } }',
  'subset-negative.json': '{ "train": { "subsetSize": -3 } }',
  'lr-string.json': '{ "train": { "lr": "fast" } }',
};

interface Case {
  name: string;
  argv: () => string[];
  /** the one stderr line (after "error: ") must match this */
  msg: RegExp;
  /** a key path or file name the line must contain verbatim */
  names: () => string;
  /** run in this folder under TMP (default: an empty folder, so no run.json is read) */
  cwd?: string;
}

const set = (kv: string): string[] => ['--set', kv];
const cfgFile = (name: string): string[] => ['--config', f(name)];

const CASES: Case[] = [
  // unknown keys: the closest known key is suggested
  { name: 'unknown key in --set, typo in the group', argv: () => set('trian.epochs=3'), msg: /unknown key trian\.epochs.*did you mean train\.epochs\?/, names: () => 'trian.epochs' },
  { name: 'unknown key in --set, typo in the leaf', argv: () => set('model.hiden=3'), msg: /did you mean model\.hidden\?/, names: () => 'model.hiden' },
  { name: 'unknown key in --set, wrong case', argv: () => set('train.batchsize=3'), msg: /did you mean train\.batchSize\?/, names: () => 'train.batchsize' },
  { name: 'unknown key in --set, leaf without its group', argv: () => set('lr=0.1'), msg: /unknown key lr.*did you mean train\.lr\?/, names: () => 'lr' },
  { name: 'unknown key in --set, nothing close', argv: () => set('xyzzy=3'), msg: /^config: unknown key xyzzy in --set$/, names: () => 'xyzzy' },
  { name: 'a group is not a key', argv: () => set('train=3'), msg: /unknown key train\b/, names: () => 'train' },
  { name: 'unknown key in a file (nested)', argv: () => cfgFile('unknown-nested.json'), msg: /unknown key train\.epoch .*did you mean train\.epochs\?/, names: () => 'train.epoch' },
  { name: 'unknown key in a file (wrong case)', argv: () => cfgFile('unknown-case.json'), msg: /unknown key cluster\.K .*did you mean cluster\.k\?/, names: () => 'cluster.K' },
  // wrong types
  { name: 'integer key given a word', argv: () => set('train.batchSize=abc'), msg: /train\.batchSize must be an integer.*got "abc"/, names: () => 'train.batchSize' },
  { name: 'integer key given a fraction', argv: () => set('seed=1.5'), msg: /seed must be an integer.*got 1\.5/, names: () => 'seed' },
  { name: 'integer key given null', argv: () => set('train.epochs=null'), msg: /train\.epochs must be an integer.*got null/, names: () => 'train.epochs' },
  { name: 'integer key given an overflowing number', argv: () => set('train.epochs=1e309'), msg: /train\.epochs must be an integer.*got Infinity/, names: () => 'train.epochs' },
  { name: 'boolean key given yes', argv: () => set('train.includeSelf=yes'), msg: /train\.includeSelf must be true or false, got "yes"/, names: () => 'train.includeSelf' },
  { name: 'enum key given another word', argv: () => set('mode=foo'), msg: /mode must be one of "vae" \| "vhe" \| "uvhe", got "foo"/, names: () => 'mode' },
  { name: 'string key given a number', argv: () => set('name=5'), msg: /name must be a string, got 5/, names: () => 'name' },
  { name: 'number key given NaN', argv: () => set('train.lr=NaN'), msg: /train\.lr must be a finite number/, names: () => 'train.lr' },
  { name: 'number key given a quoted number', argv: () => set('train.lr="0.1"'), msg: /train\.lr must be a finite number.*got "0\.1"/, names: () => 'train.lr' },
  { name: 'number key given a word in a file', argv: () => cfgFile('lr-string.json'), msg: /train\.lr must be a finite number.*got "fast"/, names: () => 'train.lr' },
  { name: 'integer key given a string in a file', argv: () => cfgFile('hidden-string.json'), msg: /model\.hidden must be an integer.*got "512"/, names: () => 'model.hidden' },
  { name: 'a group given a number in a file', argv: () => cfgFile('group-not-object.json'), msg: /train must be an object, got 5/, names: () => 'train' },
  // out of range
  { name: 'negative batch size', argv: () => set('train.batchSize=-1'), msg: /train\.batchSize must be an integer in \[1, 65536\], got -1/, names: () => 'train.batchSize' },
  { name: 'zero batch size', argv: () => set('train.batchSize=0'), msg: /train\.batchSize must be an integer in \[1, 65536\], got 0/, names: () => 'train.batchSize' },
  { name: 'batch size above the maximum', argv: () => set('train.batchSize=65537'), msg: /train\.batchSize .*got 65537/, names: () => 'train.batchSize' },
  { name: '|D| < 1', argv: () => set('train.subsetSize=0'), msg: /train\.subsetSize must be an integer in \[1, 1024\], got 0/, names: () => 'train.subsetSize' },
  { name: '|D| negative in a file', argv: () => cfgFile('subset-negative.json'), msg: /train\.subsetSize must be an integer.*got -3/, names: () => 'train.subsetSize' },
  { name: 'learning rate 0 (exclusive minimum)', argv: () => set('train.lr=0'), msg: /train\.lr must be a number in \(0, 1\], got 0/, names: () => 'train.lr' },
  { name: 'k = 0', argv: () => set('cluster.k=0'), msg: /cluster\.k must be an integer >= 1, got 0/, names: () => 'cluster.k' },
  { name: 'negative seed', argv: () => set('seed=-1'), msg: /seed must be an integer in \[0, 4294967295\], got -1/, names: () => 'seed' },
  { name: 'too many workers', argv: () => set('runtime.workers=65'), msg: /runtime\.workers must be an integer in \[0, 64\], got 65/, names: () => 'runtime.workers' },
  { name: 'test fraction 0 (exclusive minimum)', argv: () => set('data.testFraction=0'), msg: /data\.testFraction must be a number in \(0, 0\.9\], got 0/, names: () => 'data.testFraction' },
  { name: 'negative clustering weight', argv: () => set('cluster.weights.z=-1'), msg: /cluster\.weights\.z must be a number >= 0, got -1/, names: () => 'cluster.weights.z' },
  { name: 'idx source without a folder', argv: () => set('data.source=idx'), msg: /data\.dir must name a folder when data\.source is "idx"/, names: () => 'data.dir' },
  // config files
  { name: 'missing config file', argv: () => cfgFile('nope.json'), msg: /cannot read .*nope\.json: no such file/, names: () => f('nope.json') },
  { name: 'config file is a directory', argv: () => cfgFile('a-folder'), msg: /cannot read .*a-folder: is a folder/, names: () => f('a-folder') },
  { name: 'invalid JSON (trailing comma): line and column', argv: () => cfgFile('trailing-comma.json'), msg: /invalid JSON at line 3 column \d+/, names: () => f('trailing-comma.json') },
  { name: 'invalid JSON (unquoted key): line and column', argv: () => cfgFile('unquoted.json'), msg: /invalid JSON at line 2 column 3\b/, names: () => f('unquoted.json') },
  { name: 'invalid JSON (cut short)', argv: () => cfgFile('truncated.json'), msg: /invalid JSON/, names: () => f('truncated.json') },
  { name: 'empty config file', argv: () => cfgFile('empty.json'), msg: /empty\.json: the file is empty \(expected a JSON object\)$/, names: () => f('empty.json') },
  { name: 'whitespace-only config file', argv: () => cfgFile('blank.json'), msg: /blank\.json: the file is empty/, names: () => f('blank.json') },
  { name: 'config file holding an array', argv: () => cfgFile('array.json'), msg: /array\.json: must hold a JSON object, got \[/, names: () => f('array.json') },
  { name: 'config file holding null', argv: () => cfgFile('null.json'), msg: /null\.json: must hold a JSON object, got null/, names: () => f('null.json') },
  { name: 'config file holding a number', argv: () => cfgFile('number.json'), msg: /number\.json: must hold a JSON object, got 42/, names: () => f('number.json') },
  { name: 'config file holding a string', argv: () => cfgFile('string.json'), msg: /string\.json: must hold a JSON object, got "uvhe"/, names: () => f('string.json') },
  { name: 'run.json in the current folder is invalid', cwd: 'cwd-bad-run-json', argv: () => set('train.epochs=3'), msg: /run\.json: invalid JSON at line 1 column \d+/, names: () => 'run.json' },
  // command line
  { name: '--set without =', argv: () => set('train.batchSize'), msg: /--set train\.batchSize must look like key=value/, names: () => 'train.batchSize' },
  { name: '--set with an empty key', argv: () => set('=3'), msg: /--set =3 must look like key=value/, names: () => '=3' },
  { name: 'unknown option', argv: () => ['--bogus'], msg: /Unknown option '--bogus'/, names: () => '--bogus' },
  { name: 'a positional argument', argv: () => ['train.epochs=3'], msg: /Unexpected argument 'train\.epochs=3'/, names: () => 'train.epochs=3' },
  { name: '--resume of a folder without config.json', argv: () => ['--resume', f('no-run')], msg: /cannot read .*no-run\/config\.json: no such file/, names: () => join(f('no-run'), 'config.json') },
  { name: '--resume together with --config', argv: () => ['--resume', f('no-run'), '--config', f('empty.json')], msg: /--resume .*drop --config/, names: () => '--config' },
];

/** main(argv) with stdout and stderr captured. */
async function runMain(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const ow = process.stdout.write, ew = process.stderr.write;
  let stdout = '', stderr = '';
  process.stdout.write = ((s: string | Uint8Array) => { stdout += String(s); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(argv);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = ow; process.stderr.write = ew;
  }
}

/** The one-line error of fn, checked to be a ConfigError. */
function configError(fn: () => unknown): string {
  let err: unknown;
  try { fn(); } catch (e) { err = e; }
  expect(err, 'expected a ConfigError').toBeInstanceOf(ConfigError);
  const msg = (err as Error).message;
  expect(msg).not.toMatch(/[\r\n]/);
  return msg;
}

beforeAll(() => {
  for (const [name, text] of Object.entries(FILES)) writeFileSync(f(name), text);
  mkdirSync(f('a-folder'));
  // cases run in an empty folder (no run.json), except the one whose run.json is broken
  mkdirSync(f('cwd'));
  mkdirSync(f('cwd-bad-run-json'));
  writeFileSync(join(f('cwd-bad-run-json'), 'run.json'), '{ "mode": "vae", }');
  process.chdir(f('cwd'));
});
afterAll(() => {
  process.chdir(CWD0);
  rmSync(TMP, { recursive: true, force: true });
});

describe('bad configs: one line naming the key path or file, exit code 2', () => {
  it('has at least 30 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const argv = c.argv();
    process.chdir(f(c.cwd ?? 'cwd'));
    // parseCli must refuse it (never start a run): this guards main() below from training on a case that passes
    const parsed = configError(() => parseCli(argv));
    expect(parsed).toMatch(c.msg);
    const r = await runMain(argv);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(`error: ${parsed}`);
    expect(lines[0]).toContain(c.names());
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('the same errors from resolveConfig and readConfigFile', () => {
  const setCases = CASES.filter((c) => { const a = c.argv(); return !c.cwd && a.length === 2 && a[0] === '--set' && a[1].indexOf('=') > 0; });
  it.each(setCases.map((c) => [c.name, c] as const))('resolveConfig: %s', (_name, c) => {
    const kv = c.argv()[1];
    const eq = kv.indexOf('=');
    const msg = configError(() => resolveConfig({}, [[kv.slice(0, eq), parseSetValue(kv.slice(eq + 1))]]));
    expect(msg).toMatch(c.msg);
    expect(msg).toMatch(/^config: /);
  });

  it('resolveConfig: the same bad value nested in a file object names the dotted path', () => {
    expect(configError(() => resolveConfig({ train: { batchSize: -4 } }))).toMatch(/^config: train\.batchSize must be an integer in \[1, 65536\], got -4$/);
    expect(configError(() => resolveConfig({ cluster: { weights: { c: 'x' } } }))).toMatch(/^config: cluster\.weights\.c must be a finite number/);
    expect(configError(() => resolveConfig({ cluster: { weights: 1 } }))).toMatch(/^config: cluster\.weights must be an object, got 1$/);
    expect(configError(() => resolveConfig([]))).toMatch(/\(top level\) must be an object/);
    // undefined (no file at all) is the defaults; the $schema key of run.json is allowed
    expect(resolveConfig(undefined).train.batchSize).toBe(128);
    expect(resolveConfig({ $schema: './run.schema.json' }).mode).toBe('uvhe');
  });

  it('readConfigFile: missing, a folder, empty, bad JSON each name the file; valid JSON parses', () => {
    expect(configError(() => readConfigFile(f('nope.json')))).toBe(`config: cannot read ${f('nope.json')}: no such file`);
    expect(configError(() => readConfigFile(f('a-folder')))).toBe(`config: cannot read ${f('a-folder')}: is a folder`);
    expect(configError(() => readConfigFile(f('empty.json')))).toContain(f('empty.json'));
    expect(configError(() => readConfigFile(f('trailing-comma.json')))).toMatch(/trailing-comma\.json: invalid JSON at line 3 column \d+/);
    expect(readConfigFile(f('array.json'))).toEqual([{ mode: 'vae' }]);
  });

  it('readConfigFile: a file without read permission is refused with one line (root reads it anyway)', () => {
    const p = f('no-read.json');
    writeFileSync(p, '{"mode": "vae"}');
    chmodSync(p, 0o000);
    try {
      const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
      if (isRoot) {
        // root ignores the mode bits: the file simply loads
        expect(readConfigFile(p)).toEqual({ mode: 'vae' });
      } else {
        expect(configError(() => readConfigFile(p))).toBe(`config: cannot read ${p}: permission denied`);
      }
    } finally {
      chmodSync(p, 0o644);
    }
  });

});

describe('--help', () => {
  it('documents every schema key with its type and default', async () => {
    const r = await runMain(['--help']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    for (const [key, spec] of Object.entries(SCHEMA)) {
      const line = lines.find((l) => l.trimStart().startsWith(key + ' '));
      expect(line, `--help has no line for ${key}`).toBeDefined();
      const t = spec.type;
      const type = t.kind === 'int' ? 'integer' : t.kind === 'bool' ? 'boolean' : t.kind === 'enum' ? t.values.map((v) => JSON.stringify(v)).join(' | ') : t.kind;
      expect(line, key).toContain(type);
      expect(line, key).toContain(`default ${JSON.stringify(spec.default)}`);
      // the meaning follows on the next line
      const next = lines[lines.indexOf(line!) + 1] ?? '';
      expect(next.trim().length, `${key} has no description`).toBeGreaterThan(10);
    }
  });
});

describe('cluster.k above the number of training examples (checked when training starts)', () => {
  it('the real CLI exits 2 with one line naming cluster.k', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-failsafe-k-'));
    writeFileSync(join(out, 'run.json'), '{}');
    // cwd ROOT so that --import tsx resolves; --config keeps the repository's run.json out of it
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), '--config', join(out, 'run.json'),
      '--set', 'data.source=idx', '--set', `data.dir=${FIXTURE}`, '--set', `outDir=${out}`, '--set', 'name=k1000',
      '--set', 'cluster.k=1000', '--set', 'model.hidden=16', '--set', 'train.epochs=1', '--set', 'train.progress=none',
      '--set', 'runtime.backend=wasm'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: config: cluster\.k \(1000\) must not exceed the number of training examples \(60, from data\.source and data\.limit\)$/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    // refused before anything was written: no run folder
    expect(existsSync(join(out, 'k1000'))).toBe(false);
    rmSync(out, { recursive: true, force: true });
  });
});

describe('the graph rules at any size, and the real limits (checked when training starts)', () => {
  // only n and labels are read: no need for the pixels
  const splitOf = (n: number): Parameters<typeof import('../../src/run.js').checkAgainstData>[1] =>
    ({ train: { n, labels: null }, test: { n: 0 }, source: 'test' }) as unknown as Parameters<typeof import('../../src/run.js').checkAgainstData>[1];

  it('the pool takes 9,999,999 training examples with the default graph rules', async () => {
    const { checkAgainstData } = await import('../../src/run.js');
    expect(() => checkAgainstData(resolveConfig({ mode: 'uvhe', runtime: { workers: 2 } }), splitOf(9_999_999))).not.toThrow();
    expect(() => checkAgainstData(resolveConfig({ mode: 'vae' }), splitOf(9_999_999))).not.toThrow();
  });

  it('refuses a store above 4 GiB of shared memory in one line naming the keys and the numbers', async () => {
    const { checkAgainstData } = await import('../../src/run.js');
    const cfg = resolveConfig({ mode: 'uvhe', model: { zDim: 64, cDim: 64 } });
    expect(() => checkAgainstData(cfg, splitOf(9_000_000))).toThrow(
      /^config: the clustering pool's shared memory for 9000000 training examples \(data\.source, data\.limit\) × 128 code values \(model\.zDim \+ model\.cDim\) would be \d+\.\d\d GiB; WebAssembly allows 4 GiB/);
  });

  it('refuses more than PLAIN_GRAPH_MAX_N examples for the plain-TypeScript graph (runtime.workers 0), naming each key', async () => {
    const { checkAgainstData, PLAIN_GRAPH_MAX_N } = await import('../../src/run.js');
    const split = splitOf(PLAIN_GRAPH_MAX_N + 1);
    const plain = { runtime: { workers: 0 } };
    let err: unknown;
    try { checkAgainstData(resolveConfig({ mode: 'uvhe', ...plain }), split); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toHaveLength(2);
    expect((err as ConfigError).problems[0]).toMatch(/cluster\.embed "spectral" with runtime\.workers 0.*200001.*runtime\.workers >= 1, or cluster\.embed "none"/);
    expect((err as ConfigError).problems[1]).toMatch(/eval\.embed "umap" with runtime\.workers 0.*200001.*eval\.embed "none"/);
    expect(() => checkAgainstData(resolveConfig({ mode: 'vae', ...plain }), split)).toThrow(/^config: eval\.embed "umap"[^\n]*$/);
    expect(() => checkAgainstData(resolveConfig({ mode: 'uvhe', ...plain, cluster: { embed: 'none' }, eval: { embed: 'none' } }), split)).not.toThrow();
    expect(() => checkAgainstData(resolveConfig({ mode: 'uvhe', ...plain }), splitOf(PLAIN_GRAPH_MAX_N))).not.toThrow();
  });
});

describe('eval.finalK against the data (checked when training starts)', () => {
  it('refuses a final k above the number of training examples, naming the key and data.limit', async () => {
    const { checkAgainstData } = await import('../../src/run.js');
    const split = { train: { n: 50, labels: null }, test: { n: 0 }, source: 'test' } as unknown as Parameters<typeof checkAgainstData>[1];
    expect(() => checkAgainstData(resolveConfig({ mode: 'uvhe', cluster: { k: 5 }, eval: { finalK: 51 } }), split))
      .toThrow(/^config: eval\.finalK \(51\) must not exceed the number of training examples \(50, from data\.source and data\.limit\)$/);
    expect(() => checkAgainstData(resolveConfig({ mode: 'vae', eval: { finalK: 51 } }), split)).toThrow(/eval\.finalK/);
    expect(() => checkAgainstData(resolveConfig({ mode: 'uvhe', cluster: { k: 5 }, eval: { finalK: 50 } }), split)).not.toThrow();
  });
});
