// Config validation: every bad input is one line naming the key path; defaults fill the rest; frozen.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { closestKey, ConfigError, helpText, jsonSchema, resolveConfig, SCHEMA } from '../src/config.js';

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
  ['shift past 8 pixels', {}, [['train.shift', 9]], /train\.shift must be an integer in \[0, 8\], got 9/],
  ['a temperature of 0', {}, [['train.temperature', 0]], /train\.temperature must be a number in \[0\.01, 10\], got 0/],
  ['negative betaZ', { train: { betaZ: -0.5 } }, [], /train\.betaZ must be a number in \[0, 20\], got -0\.5/],
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

  it('the committed run configs resolve: run.json (embedded digits) and fashion.json (Fashion-MNIST from Debian)', () => {
    const read = (f: string): unknown => JSON.parse(readFileSync(new URL(`../${f}`, import.meta.url), 'utf8'));
    const run = resolveConfig(read('run.json'));
    expect([run.data.source, run.eval.embed, run.eval.space]).toEqual(['mnist', 'umap', 'z']);
    const fashion = resolveConfig(read('fashion.json'));
    expect([fashion.data.source, fashion.data.dir, fashion.data.limit]).toEqual(['idx', '/usr/share/datasets/fashion-mnist', 0]);
    expect([fashion.cluster.start, fashion.cluster.warmup, fashion.cluster.embed, fashion.cluster.neighbors, fashion.cluster.candidates]).toEqual(['pixels', 5, 'spectral', 0, 4]);
    expect([fashion.train.epochs, fashion.eval.embed, fashion.eval.space, fashion.eval.draws, fashion.eval.candidates]).toEqual([15, 'same', 'same', 1, 8]);
  });

  it('the committed run.schema.json is the current schema (regenerate: npm start -- --write-schema run.schema.json)', () => {
    const committed = readFileSync(new URL('../run.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(JSON.stringify(jsonSchema(), null, 2) + '\n');
  });
});

describe('cluster.eigenvectors', () => {
  it('0 means ⌈1.6·k⌉ up to 48; a set value wins; never more than the examples', async () => {
    const { embedDims } = await import('../src/train/loop.js');
    const spectralDims = (cfg: ReturnType<typeof resolveConfig>, k: number, n: number): number => embedDims(cfg, 'spectral', k, n);
    const at = (set: Record<string, unknown>) => resolveConfig({ cluster: set });
    expect(spectralDims(at({}), 10, 8000)).toBe(16);
    expect(spectralDims(at({}), 4, 8000)).toBe(7);
    expect(spectralDims(at({}), 100, 8000)).toBe(48);
    expect(spectralDims(at({}), 10, 12)).toBe(12);
    expect(spectralDims(at({ eigenvectors: 16 }), 10, 8000)).toBe(16);
    expect(spectralDims(at({ eigenvectors: 16 }), 10, 12)).toBe(12);
    expect(() => at({ eigenvectors: 65 })).toThrow(/cluster\.eigenvectors/);
  });
});

describe('cluster.neighbors', () => {
  it('0 means one per 1,000 codes within [10, 50]; a set value wins; never more than n − 1', async () => {
    const { graphNeighbors } = await import('../src/train/loop.js');
    const at = (set: Record<string, unknown>) => resolveConfig({ cluster: set });
    expect(graphNeighbors(at({}), 8000)).toBe(10);
    expect(graphNeighbors(at({}), 10_000)).toBe(10);
    expect(graphNeighbors(at({}), 20_000)).toBe(20);
    expect(graphNeighbors(at({}), 44_600)).toBe(45);
    expect(graphNeighbors(at({}), 60_000)).toBe(50);
    expect(graphNeighbors(at({}), 8)).toBe(7);
    expect(graphNeighbors(at({ neighbors: 15 }), 60_000)).toBe(15);
    expect(graphNeighbors(at({ neighbors: 15 }), 12)).toBe(11);
    expect(() => at({ neighbors: 57 })).toThrow(/cluster\.neighbors/);
    expect(at({}).cluster.eigenIters).toBe(100);
    expect(() => at({ eigenIters: 0 })).toThrow(/cluster\.eigenIters/);
  });
});

describe('eval.space and eval.embed (the final re-clustering)', () => {
  it('eval.space keeps training\'s weights on the part it names and zeroes the other; same and vae leave them', async () => {
    const { finalSpaceWeights, finalEmbed } = await import('../src/train/loop.js');
    const at = (evalSet: Record<string, unknown>, top: Record<string, unknown> = {}) => resolveConfig({ model: { zDim: 2, cDim: 2 }, eval: evalSet, ...top });
    const w = Float32Array.from([2, 2, 3, 3]);
    expect(Array.from(finalSpaceWeights(at({ space: 'z' }), w, 4)!)).toEqual([2, 2, 0, 0]);
    expect(Array.from(finalSpaceWeights(at({ space: 'c' }), w, 4)!)).toEqual([0, 0, 3, 3]);
    expect(finalSpaceWeights(at({}), w, 4)).toBe(w);
    expect(finalSpaceWeights(at({ space: 'z' }, { mode: 'vae' }), null, 2)).toBe(null);
    // a part training left out (cluster.space = z: c weights 0) counts with weight 1 when asked for
    expect(Array.from(finalSpaceWeights(at({ space: 'zc' }), Float32Array.from([1, 1, 0, 0]), 4)!)).toEqual([1, 1, 1, 1]);
    expect(Array.from(finalSpaceWeights(at({ space: 'c' }), null, 4)!)).toEqual([0, 0, 1, 1]);
    expect(finalEmbed(at({}))).toBe('spectral');
    expect(finalEmbed(at({ embed: 'umap' }))).toBe('umap');
    expect(finalEmbed(at({}, { cluster: { embed: 'none' } }))).toBe('none');
    expect(() => at({ space: 'x' })).toThrow(/eval\.space/);
    expect(() => at({ embed: 'pca' })).toThrow(/eval\.embed/);
  });

  it('eval.codes: the store by default; hidden keeps at most model.hidden components and no store part', () => {
    expect(resolveConfig({}).eval.codes).toBe('store');
    expect(resolveConfig({}).eval.components).toBe(64);
    expect(resolveConfig({ eval: { codes: 'hidden', components: 512 } }).eval.components).toBe(512);
    expect(() => resolveConfig({ eval: { codes: 'hidden', components: 65 }, model: { hidden: 64 } }))
      .toThrow('config: eval.components must be at most model.hidden (64) with eval.codes "hidden", got 65');
    expect(() => resolveConfig({ eval: { codes: 'hidden', space: 'z' } })).toThrow(/eval\.space "z" picks parts of the code store/);
    expect(() => resolveConfig({ eval: { codes: 'pixels' } })).toThrow(/eval\.codes/);
    expect(() => resolveConfig({ eval: { components: 1 } })).toThrow(/eval\.components/);
  });
});

describe('eval.graphs and eval.consensusRestarts (the pooled final rule)', () => {
  it('spreads the graphs over [10, 50], shrinks the range below 10,000 codes, floors it at 10, and says when it pools', async () => {
    const { finalGraphKs, finalPooled, graphNeighbors, clusterEngineOptions } = await import('../src/train/loop.js');
    const at = (ev: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => resolveConfig({ eval: { graphs: 4, consensusRestarts: 40, ...ev }, ...top });
    expect(resolveConfig({}).eval.graphs).toBe(1);
    expect(resolveConfig({}).eval.consensusRestarts).toBe(5);
    expect(finalPooled(resolveConfig({}))).toBe(false);
    expect(at().eval.graphs).toBe(4);
    expect(finalGraphKs(at(), 10_000)).toEqual([10, 23, 37, 50]);
    expect(finalGraphKs(at(), 60_000)).toEqual([10, 23, 37, 50]);
    expect(finalGraphKs(at(), 8_000)).toEqual([10, 19, 29, 40]);
    expect(finalGraphKs(at(), 2_000)).toEqual([10]); // every K at the floor: one graph
    expect(finalGraphKs(at(), 8)).toEqual([7]);
    expect(finalGraphKs(at({ graphs: 2 }), 60_000)).toEqual([10, 50]);
    expect(finalGraphKs(at({ graphs: 1 }), 60_000)).toEqual([graphNeighbors(at(), 60_000)]);
    // pooled: spectral with a consensus and either several graphs or other than 5 starts
    expect(finalPooled(at())).toBe(true);
    expect(finalPooled(at({ graphs: 1, consensusRestarts: 5 }))).toBe(false);
    expect(finalPooled(at({ graphs: 1 }))).toBe(true);
    expect(finalPooled(at({ consensus: 0 }))).toBe(false);
    expect(finalPooled(at({ embed: 'umap' }))).toBe(false);
    // the engine's neighbour pass covers the largest graph either side asks for
    expect(clusterEngineOptions(at(), 10_000).knnK).toBe(50);
    expect(clusterEngineOptions(at({ graphs: 1, consensusRestarts: 5 }), 10_000).knnK).toBe(10);
    expect(() => at({ graphs: 0 })).toThrow(/eval\.graphs must be an integer in \[1, 8\]/);
    expect(() => at({ graphs: 9 })).toThrow(/eval\.graphs/);
    expect(() => at({ consensusRestarts: 0 })).toThrow(/eval\.consensusRestarts must be an integer in \[1, 200\]/);
  });
});
