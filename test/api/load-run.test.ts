// loadRun over a model/ folder written by exportRun (random weights, a small synthetic reference): every call
// returns the documented shapes, the preprocessing is applied, and assign agrees with the vote on encode's codes.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.js';
import { createParams, type ModelShape } from '../../src/model/vhe.js';
import { exportRun } from '../../src/model/export.js';
import { knnAssign } from '../../src/assign.js';
import { loadRun, spaceCodes } from '../../src/apply/run-model.js';
import { Rng } from '../../src/util/rng.js';

const rows = 4, cols = 5, P = rows * cols;

function images(n: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  return Uint8Array.from({ length: n * P }, () => Math.floor(rng.next() * 256));
}

async function exported(mode: ModelShape['mode']): Promise<string> {
  await initBackend('wasm');
  const dir = mkdtempSync(join(tmpdir(), `uvhe-loadrun-${mode}-`));
  const s: ModelShape = { mode, pixels: P, hidden: 6, zDim: 3, cDim: mode === 'vae' ? 0 : 2, logStdBound: 5 };
  const n = 30, rng = new Rng(3), d = mode === 'vae' ? 3 : 5;
  await exportRun({
    dir: join(dir, 'model'), shape: s, params: createParams(s, 7),
    manifest: { image: { rows, cols }, preprocess: { deskew: true, scale: 255 }, subsetSize: 5, classes: 3, final: { k: 3, acc: 0.5, nmi: 0.4, rule: 'umap on z, k = 3' } },
    reference: {
      codes: Float32Array.from({ length: n * d }, () => rng.normal()), d, n, labels: Int32Array.from({ length: n }, (_, i) => i % 3), k: 3,
      weights: new Float32Array(d).fill(1), labelSource: 'final', space: mode === 'vae' ? 'z' : 'zc', truth: Int32Array.from({ length: n }, (_, i) => (i + 1) % 3),
    },
  });
  return dir;
}

// vhe's networks read c in q(z|c,x) and p(x|z,c), uvhe's and vae's do not: loadRun feeds each network the inputs its
// model.json declares, so a model folder of either kind loads
describe.each(['uvhe', 'vhe', 'vae'] as const)('loadRun on a %s run', (mode) => {
  it('encode, assign, reconstruct, sample and fewShot return the documented shapes', async () => {
    const run = await loadRun(await exported(mode), { backend: 'wasm' });
    const x = images(7, 1);
    expect(run.manifest).toMatchObject({ format: 'uvhe-run', mode, image: { rows, cols }, preprocess: { deskew: true, scale: 255 } });
    const e = run.encode(x);
    expect(e.n).toBe(7);
    expect(e.z).toBeInstanceOf(Float32Array);
    expect(e.z.length).toBe(7 * 3);
    expect(e.c === null ? null : e.c.length).toBe(mode === 'vae' ? null : 7 * 2);
    const a = run.assign(x);
    expect(a.cluster.length).toBe(7);
    expect(Array.from(a.cluster).every((c) => c >= 0 && c < 3)).toBe(true);
    expect(Array.from(a.confidence).every((c) => c > 0 && c <= 1)).toBe(true);
    expect(Array.from(a.cluster)).toEqual(Array.from(knnAssign(run.clusters!, spaceCodes(e, { mode, pixels: P, hidden: 6, zDim: 3, cDim: e.c ? 2 : 0, logStdBound: 5 }, run.clusters!.space)).cluster));
    expect(a.label!.length).toBe(7); // clusters matched to the training labels (truth = label + 1 mod 3)
    for (const img of [run.reconstruct(x), run.sample(4), ...(mode === 'vae' ? [] : [run.fewShot(x.subarray(0, 3 * P), 6)])]) {
      expect(img).toBeInstanceOf(Float32Array);
      expect(Array.from(img).every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect(run.reconstruct(x).length).toBe(7 * P);
    expect(run.sample(4).length).toBe(4 * P);
    if (mode === 'vae') expect(() => run.fewShot(x, 2)).toThrow(/no class code/);
    else expect(run.fewShot(x.subarray(0, 3 * P), 6).length).toBe(6 * P);
    expect(() => run.encode(new Uint8Array(P + 1))).toThrow(/not a whole number of 4×5 images/);
    run.dispose();
  });
});
