// The real CLI, end to end, on tiny data: one run per mode, plus the bad-input exits.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyConfig } from '../failsafe/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(ROOT, 'test/fixtures/tiny-mnist-idx');

function cli(args: string[], cwd = ROOT): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const tiny = (out: string, mode: string): string[] => [
  ...emptyConfig(out), '--set', `mode=${mode}`, '--set', 'data.source=idx', '--set', `data.dir=${FIXTURE}`, '--set', `outDir=${out}`,
  '--set', `name=${mode}`, '--set', 'train.epochs=4', '--set', 'train.batchSize=16', '--set', 'model.hidden=32',
  '--set', 'cluster.k=4', '--set', 'runtime.backend=wasm',
];

describe.each(['vae', 'vhe', 'uvhe'])('npm start in mode %s on tiny IDX data', (mode) => {
  it('trains, the loss falls, and the run folder holds the config and one metrics line per epoch', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-e2e-'));
    const r = cli(tiny(out, mode));
    expect(r.stderr).not.toMatch(/^\s+at /m); // never a stack trace
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('backend wasm');
    const dir = join(out, mode);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg.mode).toBe(mode);
    expect(cfg.train.epochs).toBe(4);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3, 4]);
    const first = lines[0], last = lines[3];
    expect(last['loss/total']).toBeLessThan(first['loss/total']);
    expect(last.backend).toBe('wasm');
    for (const k of ['loss/bce', 'loss/klZ', 'loss/klC', 'loss/klCWeighted', 'test/total', 'grad/z', 'time/epoch']) {
      expect(Number.isFinite(last[k]), k).toBe(true);
    }
    expect(last['loss/total']).toBeCloseTo(last['loss/bce'] + last['loss/klZ'] + last['loss/klCWeighted'], 2);
    if (mode === 'uvhe') {
      expect(last['cluster/acc']).toBeGreaterThan(0);
      expect(last['cluster/sizes'].reduce((a: number, b: number) => a + b, 0)).toBe(60);
    }
    if (mode !== 'vae') expect(Number.isFinite(last['grad/c'])).toBe(true);
    expect(readdirSync(dir)).toContain('summary.txt');
  });
});

describe('cluster.embed=spectral', () => {
  it('relabels by spectral clustering of the codes and trains; --recluster re-scores its codes', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-e2e-spec-'));
    const r = cli([...tiny(out, 'uvhe'), '--set', 'cluster.embed=spectral', '--set', 'cluster.refit=epoch', '--set', 'cluster.neighbors=5',
      '--set', 'train.epochs=2', '--set', 'eval.embed=spectral', '--set', 'eval.space=zc']);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(out, 'uvhe', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(l['cluster/sizes'].reduce((a: number, b: number) => a + b, 0)).toBe(60);
      expect(Number.isFinite(l['cluster/inertia'])).toBe(true);
    }

    // --recluster: the run's own rule on its stored codes gives the run's final scores; another rule is named in
    // the line; nothing is written
    const dir = join(out, 'uvhe');
    const same = cli(['--recluster', dir]);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    const m = /k = (\d+), spectral \(space zc, 5 neighbours, 16 eigenvectors, consensus of 24 fits\): accuracy ([\d.]+)  NMI ([\d.]+)/.exec(same.stdout);
    expect(m, same.stdout).not.toBeNull();
    expect(Number(m![1])).toBe(lines[1]['final/k']);
    expect(Number(m![2])).toBeCloseTo(lines[1]['final/acc'], 4);
    expect(Number(m![3])).toBeCloseTo(lines[1]['final/nmi'], 4);
    const before = readdirSync(dir).sort();
    const other = cli(['--recluster', dir, '--set', 'eval.embed=none', '--set', 'eval.space=z']);
    expect(other.code).toBe(0);
    expect(other.stdout).toMatch(/KMeans \(space z\): accuracy (0|1)\.\d{4}  NMI/);
    const um = cli(['--recluster', dir, '--set', 'eval.embed=umap', '--set', 'eval.space=c', '--set', 'cluster.neighbors=8']);
    expect(um.code).toBe(0);
    expect(um.stdout).toMatch(/umap \(space c, 8 neighbours, 10-d layout, 3 layouts of 10 Gaussian mixtures\): accuracy (0|1)\.\d{4}  NMI/);
    // a key that no longer exists is refused, in one line, and writes nothing either
    const gone = cli(['--recluster', dir, '--set', 'eval.draws=3']);
    expect(gone.code).toBe(2);
    expect(gone.stderr.trim()).toBe('error: config: unknown key eval.draws in --set');
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe('--recluster on a vae run re-encodes its codes from the checkpoint', () => {
  it("the run's own rule gives its final scores again; another rule is named; nothing is written", () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-e2e-reclvae-'));
    const r = cli([...tiny(out, 'vae'), '--set', 'train.epochs=2', '--set', 'cluster.neighbors=5', '--set', 'eval.embed=spectral']);
    expect(r.code).toBe(0);
    const dir = join(out, 'vae');
    const last = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).at(-1);
    const before = readdirSync(dir).sort();
    const same = cli(['--recluster', dir]);
    expect(same.stderr).toBe('');
    expect(same.code).toBe(0);
    const m = /k = (\d+), spectral \(space z \(vae\), 5 neighbours, 16 eigenvectors, consensus of 24 fits\): accuracy ([\d.]+)  NMI ([\d.]+)/.exec(same.stdout);
    expect(m, same.stdout).not.toBeNull();
    expect(Number(m![1])).toBe(last['final/k']);
    expect(Number(m![2])).toBeCloseTo(last['final/acc'], 4);
    expect(Number(m![3])).toBeCloseTo(last['final/nmi'], 4);
    const km = cli(['--recluster', dir, '--set', 'eval.embed=none']);
    expect(km.code).toBe(0);
    expect(km.stdout).toMatch(/KMeans \(space z \(vae\)\): accuracy (0|1)\.\d{4}  NMI/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});

describe('--recluster refuses what it cannot use, in one line', () => {
  it('a run without a code store, a missing folder, and --config together', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-e2e-recl-'));
    expect(cli([...tiny(out, 'vhe'), '--set', 'train.epochs=1']).code).toBe(0);
    const vhe = cli(['--recluster', join(out, 'vhe')]);
    expect(vhe.code).toBe(2);
    expect(vhe.stderr.trim()).toMatch(/^error: recluster: .*checkpoint\.bin holds no code store \(mode vhe; uvhe runs keep one, vae runs are re-encoded\)$/);
    const missing = cli(['--recluster', join(out, 'nope')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toMatch(/^error: config: cannot read .*nope\/config\.json: no such file$/);
    const both = cli(['--recluster', join(out, 'vhe'), '--config', 'run.json']);
    expect(both.code).toBe(2);
    expect(both.stderr.trim()).toBe('error: cli: --recluster takes the config from the run folder; drop --config');
  });
});

describe.each(['none', 'spectral'])('cluster.refit=background, cluster.embed=%s', (embed) => {
  it('trains while each relabel runs; its labels land one epoch later (or later still); the last epoch refits at once', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-e2e-bg-'));
    const r = cli([...tiny(out, 'uvhe'), '--set', 'cluster.refit=background', '--set', `cluster.embed=${embed}`, '--set', 'train.epochs=3']);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.code).toBe(0);
    const lines = readFileSync(join(out, 'uvhe', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual([1, 2, 3]);
    // epoch 1: its relabel is still running in the background, so no cluster metrics yet. Epoch 2 collects it, or,
    // if it is still running then (the trainer does not wait), says so and starts none. The last epoch always refits.
    expect(lines[0]['cluster/acc']).toBeUndefined();
    expect(lines[0]['cluster/inFlight']).toBe(0);
    if (lines[1]['cluster/inFlight'] === 1) expect(lines[1]['cluster/sizes']).toBeUndefined();
    else expect(lines[1]['cluster/sizes'].reduce((a: number, b: number) => a + b, 0)).toBe(60);
    expect(lines[2]['cluster/sizes'].reduce((a: number, b: number) => a + b, 0)).toBe(60);
    expect(lines[2]['loss/total']).toBeLessThan(lines[0]['loss/total']);
  });
});

describe('bad input', () => {
  it('an unknown config key: one line naming it, exit code 2', () => {
    const r = cli(['--set', 'train.batchsize=3']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/train\.batchsize.*did you mean train\.batchSize/);
  });

  it('invalid JSON in the config file: line and column', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-cfg-'));
    const f = join(dir, 'bad.json');
    writeFileSync(f, '{\n  "mode": "vae",\n  "train": { "epochs": 2, }\n}\n');
    const r = cli(['--config', f]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/invalid JSON at line 3 column \d+/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a missing IDX folder: one line naming the path, exit code 2', () => {
    const r = cli(['--set', 'data.source=idx', '--set', 'data.dir=/nonexistent/uvhe', '--set', `outDir=${mkdtempSync(join(tmpdir(), 'uvhe-'))}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/nonexistent/uvhe');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--help lists every key', () => {
    const r = cli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('train.subsetSize');
    expect(r.stdout).toContain('runtime.backend');
  });
});
