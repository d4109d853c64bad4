// Config validation: every bad input is one line naming the key path; defaults fill the rest; frozen.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { closestKey, ConfigError, helpText, jsonSchema, resolveConfig, SCHEMA, type Config } from '../src/config.js';
import { parseCli } from '../src/cli.js';

const bad: Array<[string, unknown, Array<[string, unknown]>, RegExp]> = [
  ['unknown top-level key', { mdoe: 'vae' }, [], /unknown key mdoe \(did you mean mode\?\)/],
  ['unknown nested key', { train: { batchsize: 3 } }, [], /unknown key train\.batchsize \(did you mean train\.batchSize\?\)/],
  ['unknown --set key', {}, [['train.epoch', 2]], /unknown key train\.epoch in --set \(did you mean train\.epochs\?\)/],
  ['negative batch size', { train: { batchSize: -1 } }, [], /train\.batchSize must be an integer in \[1, 65536\], got -1/],
  ['fractional epochs', { train: { epochs: 1.5 } }, [], /train\.epochs must be an integer/],
  ['string for a number', { train: { lr: 'fast' } }, [], /train\.lr must be a finite number/],
  ['zero learning rate', { train: { lr: 0 } }, [], /train\.lr must be a number in \(0, 1\]/],
  ['|D| < 1', { train: { subsetSize: 0 } }, [], /train\.subsetSize must be an integer/],
  ['bad enum', { mode: 'gan' }, [], /mode must be one of "vae" \| "vhe" \| "uvhe", got "gan"/],
  ['bad backend', {}, [['runtime.backend', 'tpu']], /runtime\.backend must be one of/],
  ['bool as string', { train: { includeSelf: 'yes' } }, [], /train\.includeSelf must be true or false/],
  ['group as a scalar', { train: 5 }, [], /train must be an object/],
  ['idx without dir', { data: { source: 'idx' } }, [], /data\.dir must name a folder/],
  ['k = 0', { cluster: { k: 0 } }, [], /cluster\.k must be an integer >= 1/],
  ['negative weight', { cluster: { weights: { z: -1 } } }, [], /cluster\.weights\.z must be a number >= 0/],
  ['neighbours past the kernel\'s 56', { cluster: { neighbors: 57 } }, [], /cluster\.neighbors must be an integer in \[0, 56\], got 57/],
  ['eval.space "same" is gone', { eval: { space: 'same' } }, [], /eval\.space must be one of "zc" \| "z" \| "c", got "same"/],
  ['eval.embed "same" is gone', {}, [['eval.embed', 'same']], /eval\.embed must be one of "spectral" \| "umap" \| "none", got "same"/],
];

describe('resolveConfig rejects bad input with one line naming the key', () => {
  it.each(bad)('%s', (_name, obj, sets, re) => {
    let err: unknown;
    try { resolveConfig(obj, sets); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(re);
    expect(msg).not.toContain('\n');
  });
});

describe('resolveConfig', () => {
  it('fills defaults, applies --set over the file, and freezes', () => {
    const c = resolveConfig({ mode: 'vae', train: { epochs: 3 } }, [['train.epochs', 4], ['cluster.weights.c', 2]]);
    expect(c.mode).toBe('vae');
    expect(c.train.epochs).toBe(4);
    expect(c.train.batchSize).toBe(SCHEMA['train.batchSize'].default);
    expect(c.cluster.weights).toEqual({ z: 1, c: 2 });
    expect(Object.isFrozen(c.train)).toBe(true);
  });

  it('suggests the closest key', () => {
    expect(closestKey('trian.epochs')).toBe('train.epochs');
    expect(closestKey('completely.unrelated.thing')).toBeNull();
  });

  it('documents every key in --help and the JSON Schema', () => {
    const help = helpText();
    const schema = JSON.stringify(jsonSchema());
    for (const k of Object.keys(SCHEMA)) {
      expect(help).toContain(k);
      expect(schema).toContain(`"${k.split('.').pop()}"`);
    }
  });

  it('the committed run configs resolve: run.json (embedded digits) and configs/fashion.json (Fashion-MNIST from Debian)', () => {
    const read = (f: string): unknown => JSON.parse(readFileSync(new URL(`../${f}`, import.meta.url), 'utf8'));
    const run = resolveConfig(read('run.json'));
    const defaults = resolveConfig({});
    // the schema's defaults are the recommended run: run.json only names what a user is likely to change
    expect(run).toEqual(defaults);
    expect([run.data.source, run.train.epochs, run.cluster.refit, run.eval.embed, run.eval.space]).toEqual(['mnist', 30, 'background', 'umap', 'z']);
    const fashion = resolveConfig(read('configs/fashion.json'));
    expect([fashion.data.source, fashion.data.dir, fashion.data.limit]).toEqual(['idx', '/usr/share/datasets/fashion-mnist', 0]);
    expect({ ...fashion, data: defaults.data }).toEqual(defaults); // the data source is its only difference
  });

  it('the committed run.schema.json is the current schema (regenerate: npm start -- --write-schema run.schema.json)', () => {
    const committed = readFileSync(new URL('../run.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(JSON.stringify(jsonSchema(), null, 2) + '\n');
  });

  it('has the 40 keys, each documented in one short sentence', () => {
    expect(Object.keys(SCHEMA)).toHaveLength(40);
    for (const [k, s] of Object.entries(SCHEMA)) {
      expect(s.doc.length, k).toBeLessThanOrEqual(200);
      expect(s.doc, k).not.toMatch(/experiments\/|README|issue/);
    }
  });
});

describe('resolveConfig reports problems', () => {
  it('refuses removed keys as unknown keys', () => {
    for (const [obj, key] of [[{ train: { betaZ: 2 } }, 'train.betaZ'], [{ cluster: { warmup: 3 } }, 'cluster.warmup'], [{ data: { gamma: 0.5 } }, 'data.gamma'],
      [{ eval: { draws: 3 } }, 'eval.draws'], [{ cluster: { space: 'z' } }, 'cluster.space']] as Array<[object, string]>) {
      expect(() => resolveConfig(obj)).toThrow(new RegExp(`unknown key ${key.replace('.', '\\.')}`));
    }
    expect(() => resolveConfig({}, [['cluster.candidates', 4]])).toThrow(/unknown key cluster\.candidates in --set/);
  });

  it('lists every problem at once, one line each, naming its key', () => {
    let err: unknown;
    try {
      resolveConfig({ mdoe: 'vae', train: { epochs: 0, lr: 'fast' }, data: { source: 'idx' } }, [['cluster.k', 0], ['nope.key', 1]]);
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    const e = err as ConfigError;
    expect(e.problems).toHaveLength(6);
    expect(e.message.split('\n')).toEqual(e.problems);
    for (const re of [/unknown key mdoe/, /train\.epochs must be an integer >= 1, got 0/, /train\.lr must be a finite number/, /cluster\.k must be an integer >= 1, got 0/,
      /unknown key nope\.key in --set/, /data\.dir must name a folder when data\.source is "idx"/]) {
      expect(e.problems.filter((p) => re.test(p))).toHaveLength(1);
    }
  });

  it('refuses JavaScript object property names as keys, in files and in --set', () => {
    const file = JSON.parse('{"__proto__": {"mode": "vae"}, "train": {"constructor": 1, "toString": 2}}');
    let err: unknown;
    try { resolveConfig(file); } catch (e) { err = e; }
    expect((err as ConfigError).problems).toEqual([
      'config: __proto__ is not allowed: __proto__ is a JavaScript object property name, not a config key',
      'config: train.constructor is not allowed: constructor is a JavaScript object property name, not a config key',
      'config: train.toString is not allowed: toString is a JavaScript object property name, not a config key',
    ]);
    expect(() => resolveConfig({}, [['hasOwnProperty', 1]])).toThrow(/hasOwnProperty in --set is not allowed/);
    expect(() => resolveConfig({}, [['train.__proto__', 1]])).toThrow(/train\.__proto__ in --set is not allowed/);
    expect(({} as Record<string, unknown>).mode).toBeUndefined(); // nothing leaked into Object.prototype
  });
});

describe('graph rules derived from the config', () => {
  it('spectral embeds in ⌈1.6·k⌉ eigenvectors up to 48, umap in k dimensions up to 32; never more than the examples', async () => {
    const { embedDims } = await import('../src/eval/rules.js');
    expect(embedDims('spectral', 10, 8000)).toBe(16);
    expect(embedDims('spectral', 4, 8000)).toBe(7);
    expect(embedDims('spectral', 100, 8000)).toBe(48);
    expect(embedDims('spectral', 10, 12)).toBe(12);
    expect(embedDims('umap', 10, 8000)).toBe(10);
    expect(embedDims('umap', 40, 8000)).toBe(32);
  });

  it('cluster.neighbors 0 means one per 1,000 codes within [10, 50]; a set value wins; never more than n − 1', async () => {
    const { graphNeighbors, graphRule, clusterEngineOptions } = await import('../src/eval/rules.js');
    const at = (set: Record<string, unknown>) => resolveConfig({ cluster: set });
    expect(graphNeighbors(at({}), 8000)).toBe(10);
    expect(graphNeighbors(at({}), 10_000)).toBe(10);
    expect(graphNeighbors(at({}), 20_000)).toBe(20);
    expect(graphNeighbors(at({}), 44_600)).toBe(45);
    expect(graphNeighbors(at({}), 60_000)).toBe(50);
    expect(graphNeighbors(at({}), 8)).toBe(7);
    expect(graphNeighbors(at({ neighbors: 15 }), 60_000)).toBe(15);
    expect(graphNeighbors(at({ neighbors: 15 }), 12)).toBe(11);
    // the fixed rule parameters: 100 eigen iterations; spectral's consensus of 24 fits; umap's 3 layouts of 10 mixtures
    const spectral = graphRule(at({}), { embed: 'spectral', k: 10, n: 8000, seedName: 'spectral-1', fits: 3 });
    expect([spectral.K, spectral.dims, spectral.iters, spectral.fits, spectral.consensus]).toEqual([10, 16, 100, 3, 24]);
    const umap = graphRule(at({}), { embed: 'umap', k: 10, n: 8000, seedName: 'final-spectral', fits: 5 });
    expect([umap.dims, umap.iters, umap.epochs, umap.fits, umap.consensus]).toEqual([10, 100, 200, 10, 3]);
    // the engine's neighbour pass serves the graph of training or of the final rule; none when neither uses one
    expect(clusterEngineOptions(at({}), 20_000).knnK).toBe(20);
    expect(clusterEngineOptions(resolveConfig({ cluster: { embed: 'none' }, eval: { embed: 'none' } }), 20_000).knnK).toBe(0);
  });
});

describe('eval.space and eval.embed (the final re-clustering)', () => {
  it('eval.space keeps training\'s weights on the part it names and zeroes the other; vae leaves them', async () => {
    const { finalSpaceWeights } = await import('../src/eval/final.js');
    const at = (evalSet: Record<string, unknown>, top: Record<string, unknown> = {}) => resolveConfig({ model: { zDim: 2, cDim: 2 }, eval: evalSet, ...top });
    const w = Float32Array.from([2, 2, 3, 3]);
    expect(Array.from(finalSpaceWeights(at({}), w, 4)!)).toEqual([2, 2, 0, 0]); // the default: z
    expect(Array.from(finalSpaceWeights(at({ space: 'c' }), w, 4)!)).toEqual([0, 0, 3, 3]);
    expect(Array.from(finalSpaceWeights(at({ space: 'zc' }), w, 4)!)).toEqual([2, 2, 3, 3]);
    expect(finalSpaceWeights(at({ space: 'z' }, { mode: 'vae' }), null, 2)).toBe(null);
    // a part training weighed 0 throughout counts with weight 1 when asked for
    expect(Array.from(finalSpaceWeights(at({ space: 'zc' }), Float32Array.from([1, 1, 0, 0]), 4)!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(finalSpaceWeights(at({ space: 'c' }), null, 4)!)).toEqual([0, 0, 1, 1]);
    expect(resolveConfig({}).eval.embed).toBe('umap');
    expect(() => at({ space: 'x' })).toThrow(/eval\.space/);
    expect(() => at({ embed: 'pca' })).toThrow(/eval\.embed/);
  });
});

describe('--help and config files', () => {
  it('--help lists the common keys first, then the rest by section', async () => {
    const { main } = await import('../src/cli.js');
    let out = '';
    const write = process.stdout.write;
    process.stdout.write = ((chunk: string) => { out += chunk; return true; }) as typeof process.stdout.write;
    try { expect(await main(['--help'])).toBe(0); } finally { process.stdout.write = write; }
    const keyLines = out.split('\n').map((l) => /^ {2}(\S+) /.exec(l)?.[1]).filter((k): k is string => k !== undefined && Object.hasOwn(SCHEMA, k));
    const common = Object.keys(SCHEMA).filter((k) => SCHEMA[k].common);
    expect(common).toEqual(expect.arrayContaining(['mode', 'seed', 'data.source', 'train.epochs', 'cluster.k', 'runtime.backend']));
    expect(keyLines.slice(0, common.length)).toEqual(common);
    expect(new Set(keyLines)).toEqual(new Set(Object.keys(SCHEMA)));
    const sections = keyLines.slice(common.length).map((k) => (k.includes('.') ? k.split('.')[0] : 'run'));
    expect([...new Set(sections)]).toEqual(['run', 'data', 'model', 'train', 'cluster', 'eval', 'checkpoint']); // runtime's keys are all common
  });

  it('a config file may start with a UTF-8 byte-order mark', async () => {
    const { readConfigFile } = await import('../src/cli.js');
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-bom-'));
    const path = join(dir, 'run.json');
    writeFileSync(path, '\uFEFF{ "mode": "vae", "train": { "epochs": 2 } }\n', 'utf8');
    expect(readFileSync(path)[0]).toBe(0xef);
    const cfg = resolveConfig(readConfigFile(path));
    expect([cfg.mode, cfg.train.epochs]).toEqual(['vae', 2]);
  });
});

describe('the Config type', () => {
  it('is derived from the schema: dotted keys nest, enums are literal unions', () => {
    expectTypeOf<Config['mode']>().toEqualTypeOf<'vae' | 'vhe' | 'uvhe'>();
    expectTypeOf<Config['eval']>().toEqualTypeOf<{ every: number; limit: number; finalK: number; embed: 'spectral' | 'umap' | 'none'; space: 'zc' | 'z' | 'c' }>();
    expectTypeOf<Config['cluster']['weights']>().toEqualTypeOf<{ z: number; c: number }>();
    expectTypeOf<Config['train']['includeSelf']>().toEqualTypeOf<boolean>();
    expectTypeOf<Config['data']['dir']>().toEqualTypeOf<string>();
    expectTypeOf<keyof Config>().toEqualTypeOf<'name' | 'mode' | 'seed' | 'outDir' | 'data' | 'model' | 'train' | 'cluster' | 'eval' | 'checkpoint' | 'runtime'>();
    expect(Object.keys(resolveConfig({})).sort()).toEqual(['checkpoint', 'cluster', 'data', 'eval', 'mode', 'model', 'name', 'outDir', 'runtime', 'seed', 'train']);
  });
});

describe('a run folder written with retired keys', () => {
  const folder = (cluster: Record<string, unknown>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-retired-'));
    const cfg = JSON.parse(JSON.stringify(resolveConfig({}))) as Record<string, Record<string, unknown>>;
    cfg.cluster = { ...cfg.cluster, ...cluster };
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    return dir;
  };
  const anneal = { from: { z: 1, c: 0.1 }, to: { z: 0.1, c: 1 }, epochs: 0 };

  it('resumes and re-clusters when the retired keys asked for the fixed weights that remain', () => {
    const dir = folder({ weighting: 'fixed', anneal, weights: { z: 1, c: 2 } });
    for (const flag of ['--resume', '--recluster']) expect(parseCli([flag, dir]).cfg.cluster.weights).toEqual({ z: 1, c: 2 });
    // a user's own config gets no such allowance
    expect(() => parseCli(['--config', join(dir, 'config.json')])).toThrow(/unknown key cluster\.weighting/);
  });

  it('is refused in one line naming the file when they asked for another weighting', () => {
    const dir = folder({ weighting: 'mi', anneal });
    let m = '';
    try { parseCli(['--resume', dir]); } catch (e) { expect(e).toBeInstanceOf(ConfigError); m = (e as Error).message; }
    expect(m).toBe(`config: ${join(dir, 'config.json')}: cluster.weighting "mi" is no longer supported (the clustering distance weighs z and c by cluster.weights)`);
  });
});
