// A run used on new images, end to end: the real CLI trains a tiny run, `--assign` (and `uvhe assign` through the
// bin shim) places the tiny IDX test split and PNG files in its clusters, and the API's vote is checked against the
// run's final labels on the training split.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, ROOT, tinyArgs } from '../failsafe/helpers.js';
import { readIdxImages } from '../../src/data/idx.js';
import { knnAssign, looAgreement, readClusterState } from '../../src/assign.js';
import { loadRun, spaceCodes } from '../../src/apply/run-model.js';

function node(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const cli = (args: string[]) => node(['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args]);
const bin = (args: string[]) => node([join(ROOT, 'bin/uvhe.mjs'), ...args]);

function csv(file: string): { head: string[]; rows: string[][] } {
  const [head, ...rows] = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(','));
  return { head: head!, rows };
}

const out = mkdtempSync(join(tmpdir(), 'uvhe-e2e-assign-'));
const runs: Record<string, string> = {};
beforeAll(() => {
  // the vae's final rule: KMeans at k = 2 on its means, two clusters of about 30 of the 60 codes
  for (const mode of ['uvhe', 'vae']) {
    const r = cli(tinyArgs(out, mode, [`mode=${mode}`, 'train.epochs=3', 'eval.embed=none', ...(mode === 'vae' ? ['eval.finalK=2'] : [])]));
    expect(r.code, r.stderr).toBe(0);
    runs[mode] = join(out, mode);
  }
}, 240_000);

describe('the end of a run', () => {
  it('names the final clusters and the training pseudo-labels in its last lines and summary.txt', () => {
    const summary = readFileSync(join(runs.uvhe!, 'summary.txt'), 'utf8');
    expect(summary).toMatch(/^final clusters \(KMeans on z, k = 10\): accuracy [01]\.\d{3}, NMI [01]\.\d{3}$/m);
    expect(summary).toMatch(/^training pseudo-labels: accuracy [01]\.\d{3}, NMI [01]\.\d{3}$/m);
    expect(summary).toMatch(/^backend wasm$/m);
    const man = JSON.parse(readFileSync(join(runs.uvhe!, 'model/uvhe.json'), 'utf8'));
    expect(man).toMatchObject({ format: 'uvhe-run', mode: 'uvhe', image: { rows: 28, cols: 28 }, preprocess: { deskew: false, scale: 255 }, clusters: 'clusters.json' });
    expect(man.final.rule).toBe('KMeans on z, k = 10');
  });
});

describe('--assign', () => {
  it('writes assignments.csv for the t10k split: one row per image, clusters in range, confidences in (0, 1]', () => {
    const r = cli(['--assign', runs.uvhe!, '--data', FIXTURE, '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^20 images assigned \(mean confidence [01]\.\d{3}\); accuracy of the clusters' matched labels [01]\.\d{4}: .*assignments\.csv$/m);
    const { head, rows } = csv(join(runs.uvhe!, 'assignments.csv'));
    expect(head).toEqual(['index', 'cluster', 'confidence', 'label', 'true_label']);
    expect(rows).toHaveLength(20);
    const k = readClusterState(join(runs.uvhe!, 'model')).k;
    rows.forEach((row, i) => {
      expect(Number(row[0])).toBe(i);
      expect(Number(row[1])).toBeGreaterThanOrEqual(0);
      expect(Number(row[1])).toBeLessThan(k);
      expect(Number(row[2])).toBeGreaterThan(0);
      expect(Number(row[2])).toBeLessThanOrEqual(1);
    });
    const acc = rows.filter((row) => row[3] === row[4]).length / 20;
    expect(r.stdout).toContain(`labels ${acc.toFixed(4)}`);
  });

  it('uvhe assign (bin shim) reads a folder of PNGs and writes --out; a PNG of the wrong size is exit 2, one line', () => {
    const pngs = join(out, 'pngs');
    mkdirSync(pngs, { recursive: true });
    const img = readIdxImages(join(FIXTURE, 't10k-images-idx3-ubyte.gz'));
    for (let i = 0; i < 3; i++) {
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p++) png.data.set([img.pixels[i * 784 + p]!, img.pixels[i * 784 + p]!, img.pixels[i * 784 + p]!, 255], 4 * p);
      writeFileSync(join(pngs, `digit-${i}.png`), PNG.sync.write(png));
    }
    const file = join(out, 'pngs.csv');
    const r = bin(['assign', runs.uvhe!, '--data', pngs, '--out', file, '--backend', 'wasm']);
    expect(r.code, r.stderr).toBe(0);
    const { head, rows } = csv(file);
    expect(head).toEqual(['index', 'file', 'cluster', 'confidence', 'label']);
    expect(rows.map((row) => row[1])).toEqual(['digit-0.png', 'digit-1.png', 'digit-2.png']);
    // the same pixels as PNG and as IDX get the same clusters
    const idx = csv(join(runs.uvhe!, 'assignments.csv')).rows;
    expect(rows.map((row) => row[2])).toEqual(idx.slice(0, 3).map((row) => row[1]));

    writeFileSync(join(pngs, 'small.png'), PNG.sync.write(new PNG({ width: 10, height: 10 })));
    const bad = bin(['assign', runs.uvhe!, '--data', pngs, '--backend', 'wasm']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: data: .*small\.png: is 10×10 pixels; the run's images are 28×28$/)]);
  });

  it('a missing run folder or data path is exit 2, one line naming it', () => {
    const r = cli(['--assign', join(out, 'nope'), '--data', FIXTURE]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: data: .*nope\/uvhe\.json: no such file/);
    const d = cli(['--assign', runs.uvhe!, '--data', join(out, 'missing')]);
    expect(d.code).toBe(2);
    expect(d.stderr.trim()).toMatch(/^error: data: .*missing: no such file or folder$/);
  });
});

describe('the vote on the training split, through the API', () => {
  it('reproduces the final labels: leave-one-out on the stored codes, and from the training images themselves', async () => {
    const train = readIdxImages(join(FIXTURE, 'train-images-idx3-ubyte.gz'));
    for (const mode of ['uvhe', 'vae'] as const) {
      const run = await loadRun(runs[mode]!, { backend: 'wasm' });
      const st = run.clusters!;
      const header = JSON.parse(readFileSync(join(runs[mode]!, 'model/clusters.json'), 'utf8'));
      expect(header.looAgreement).toBeCloseTo(looAgreement(st), 10);
      // the training images through loadRun: encode gives codes in the reference's space
      const e = run.encode(train.pixels);
      const q = spaceCodes(e, { mode, pixels: 784, hidden: 16, zDim: 20, cDim: mode === 'vae' ? 0 : 20, logStdBound: 5 }, st.space);
      expect(q.length).toBe(st.codes.length);
      const agree = (a: Int32Array): number => a.filter((c, i) => c === st.labels[i]).length / st.n;
      // the reference codes (z of either mode: eval.space z) are the means of q(z|x) of the final weights: the API
      // computes the same codes, so its vote without the point itself is the leave-one-out vote
      expect(st.space).toBe('z');
      for (let i = 0; i < q.length; i++) expect(Math.abs(q[i]! - st.codes[i]!)).toBeLessThan(1e-4);
      const loo = knnAssign(st, q, (i) => i);
      expect(agree(loo.cluster)).toBeCloseTo(header.looAgreement, 10);
      // the vae's 60 codes of a 3-epoch model split by KMeans at k = 2: a few lie on the boundary (uvhe's k = 10
      // clusters of 6 codes, more). A trained run's thousands of codes under its graph rule agree far more (docs/api.md)
      if (mode === 'vae') expect(agree(loo.cluster)).toBeGreaterThanOrEqual(0.85);
      expect(agree(run.assign(train.pixels).cluster)).toBeGreaterThanOrEqual(agree(loo.cluster));
      run.dispose();
    }
  });
});

describe('uvhe (bin/uvhe.mjs)', () => {
  it('runs --help', () => {
    const r = bin(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('uvhe assign runs/<name>');
    expect(r.stdout).toContain('report DIR...');
  });

  it('report writes one report.html over existing run folders without training', () => {
    const file = join(out, 'cmp.html');
    const r = bin(['report', runs.uvhe!, runs.vae!, '--out', file]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('uvhe runs:');
    expect(r.stderr).toContain('comparison report:');
  });
});
