// Compare files: validation (one line naming the key path), the planned run configs, and a real tiny comparison
// (2 labels × 2 seeds through runTraining) ending in one report.html.
import { mkdtempSync, readFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { isCompareSpec, planCompare, runCompare, validateCompareSpec, type CompareSpec } from '../../src/compare.js';
import { FIXTURE, ROOT } from './helpers.js';

const good = (): CompareSpec => ({
  compare: {
    name: 'vae-vs-uvhe', seeds: [1, 2], base: { train: { epochs: 1, batchSize: 16 }, model: { hidden: 32 } },
    runs: [{ label: 'vae', set: { mode: 'vae' } }, { label: 'uvhe', set: { mode: 'uvhe', 'cluster.k': 4 } }],
  },
});

function errorOf(f: () => unknown): string {
  try { f(); } catch (e) { expect(e).toBeInstanceOf(ConfigError); return (e as Error).message; }
  throw new Error('expected a ConfigError');
}

describe('compare spec', () => {
  it('isCompareSpec tells a compare file from a run config', () => {
    expect(isCompareSpec(good())).toBe(true);
    expect(isCompareSpec({ mode: 'vae' })).toBe(false);
    expect(isCompareSpec(null)).toBe(false);
    expect(isCompareSpec([{ compare: {} }])).toBe(false);
    expect(isCompareSpec(JSON.parse(readFileSync(join(ROOT, 'configs/compare.json'), 'utf8')))).toBe(true);
  });

  it('configs/compare.json is valid: vae and uvhe, 3 seeds, 10 epochs', () => {
    const spec = validateCompareSpec(JSON.parse(readFileSync(join(ROOT, 'configs/compare.json'), 'utf8')));
    const plan = planCompare(spec, ROOT);
    expect(plan.runs.map((r) => `${r.label}/${r.seed}`)).toEqual(['vae/1', 'vae/2', 'vae/3', 'uvhe/1', 'uvhe/2', 'uvhe/3']);
    expect(plan.runs.every((r) => r.cfg.train.epochs === 10)).toBe(true);
    expect(plan.outDir).toBe(join(ROOT, 'runs'));
  });

  it.each([
    [(s: any) => { s.compare.runs[1].set.train = { epoch: 3 }; }, /^compare: compare\.runs\[1\]\.set\.train\.epoch is not a config key \(did you mean train\.epochs\?\)$/],
    [(s: any) => { s.compare.base.train.batchSize = 0; }, /^compare: compare\.base: train\.batchSize must be an integer/],
    [(s: any) => { s.compare.runs[0].set.mode = 'vea'; }, /^compare: compare\.runs\[0\] \(label vae, seed 1\): mode must be one of/],
    [(s: any) => { s.compare.seeds = []; }, /compare\.seeds must be a non-empty array/],
    [(s: any) => { s.compare.seeds = [1, 1.5]; }, /compare\.seeds\[1\] must be an integer/],
    [(s: any) => { s.compare.seeds = [3, 3]; }, /compare\.seeds has 3 twice/],
    [(s: any) => { s.compare.name = '../x'; }, /compare\.name must be a folder name/],
    [(s: any) => { s.compare.runs[1].label = 'vae'; }, /compare\.runs\[1\]\.label "vae" is used twice/],
    [(s: any) => { s.compare.runs[0].colour = 'red'; }, /compare\.runs\[0\]\.colour is not a known key/],
    [(s: any) => { s.compare.runs[0].set.seed = 4; }, /compare\.runs\[0\]\.set\.seed cannot be set/],
    [(s: any) => { s.compare.base.name = 'x'; }, /compare\.base\.name cannot be set/],
    [(s: any) => { s.compare.seed = [1]; }, /compare\.seed is not a known key/],
    [(s: any) => { s.compare.runs = {}; }, /compare\.runs must be a non-empty array/],
    [(s: any) => { s.compare.runs[1].set.outDir = 'elsewhere'; }, /must share one outDir/],
  ])('rejects a bad spec with one line naming the key (%#)', (mutate, re) => {
    const s = good();
    mutate(s);
    const msg = errorOf(() => planCompare(s, '/tmp'));
    expect(msg).toMatch(re);
    expect(msg.split('\n')).toHaveLength(1);
  });

  it('plans name = <name>/<label>-s<seed>, seed, the run\'s set over base, paths relative to baseDir', () => {
    const s = good();
    s.compare.base = { ...s.compare.base, outDir: 'out', data: { source: 'idx', dir: 'fixtures/tiny' } };
    const plan = planCompare(s, '/base');
    expect(plan.outDir).toBe('/base/out');
    const r = plan.runs[3];
    expect([r.label, r.seed, r.cfg.name, r.cfg.seed, r.cfg.mode, r.cfg.cluster.k, r.cfg.train.epochs, r.cfg.data.dir])
      .toEqual(['uvhe', 2, 'vae-vs-uvhe/uvhe-s2', 2, 'uvhe', 4, 1, '/base/fixtures/tiny']);
    expect(plan.runs[0].cfg.mode).toBe('vae');
  });

  it('--set overrides apply to every run after its set; seed and name are refused', () => {
    const plan = planCompare(good(), '/base', [['train.epochs', 2], ['cluster.k', 3]]);
    expect(plan.runs.map((r) => [r.cfg.train.epochs, r.cfg.cluster.k])).toEqual([[2, 3], [2, 3], [2, 3], [2, 3]]);
    expect(errorOf(() => planCompare(good(), '/base', [['seed', 5]]))).toMatch(/^compare: --set seed cannot be used with a compare file/);
    expect(errorOf(() => planCompare(good(), '/base', [['train.epoch', 5]]))).toMatch(/^compare: compare\.runs\[0\] \(label vae, seed 1\): unknown key train\.epoch \(did you mean train\.epochs\?\)$/);
  });
});

describe('runCompare', () => {
  it('trains every run × seed through the injected trainer and reports over all of them', async () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-cmp-'));
    const s = good();
    s.compare.base.outDir = out;
    const seen: string[] = [];
    const report = await runCompare(s, '/', {
      log: () => {},
      train: async (cfg) => {
        seen.push(cfg.name);
        const dir = resolve(cfg.outDir, cfg.name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
        writeFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ kind: 'epoch', epoch: 1, 'loss/total': 100 + cfg.seed, 'test/total': 90 + cfg.seed }) + '\n');
        return { dir };
      },
    });
    expect(seen).toEqual(['vae-vs-uvhe/vae-s1', 'vae-vs-uvhe/vae-s2', 'vae-vs-uvhe/uvhe-s1', 'vae-vs-uvhe/uvhe-s2']);
    expect(report).toBe(join(out, 'vae-vs-uvhe', 'report.html'));
    const html = readFileSync(report, 'utf8');
    expect(html).toContain('91.50 ± 0.71'); // test nats of seeds 1 and 2: 91, 92
  });

  it('a real tiny comparison: runTraining for 2 labels × 2 seeds, then report.html', async () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-cmp-'));
    const s = good();
    s.compare.base = { ...s.compare.base, outDir: out, data: { source: 'idx', dir: FIXTURE }, runtime: { backend: 'wasm' }, train: { epochs: 1, batchSize: 16, progress: 'none' } };
    const report = await runCompare(s, ROOT, { log: () => {} });
    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, 'utf8');
    for (const n of ['vae s1', 'vae s2', 'uvhe s1', 'uvhe s2']) expect(html).toContain(n);
    for (const d of ['vae-s1', 'vae-s2', 'uvhe-s1', 'uvhe-s2']) expect(existsSync(join(out, 'vae-vs-uvhe', d, 'metrics.jsonl'))).toBe(true);
  });
});
