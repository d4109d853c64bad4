// PNG grids from a (freshly initialised) model on the tiny fixture: right files, right pixel sizes, no leaked
// tensors. Decoded with pngjs, the same library that writes them.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { createParams, disposeParams, type Mode, type ModelShape } from '../../src/model/vhe.js';
import { loadIdxDir, type Dataset } from '../../src/data/dataset.js';
import { GRID, gridSize, writeImageGrids } from '../../src/report/images.js';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/tiny-mnist-idx');

function size(path: string): { width: number; height: number; png: PNG } {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, png };
}

describe('writeImageGrids', () => {
  let train: Dataset, test: Dataset;
  beforeAll(async () => {
    await initBackend('wasm');
    ({ train, test } = loadIdxDir(FIXTURE));
  });

  it.each(['vae', 'vhe', 'uvhe'] as Mode[])('mode %s: grids of the right pixel size, tensor count unchanged', (mode) => {
    const shape: ModelShape = { mode, pixels: 784, hidden: 16, zDim: 4, cDim: mode === 'vae' ? 0 : 3, logStdBound: 5 };
    const params = createParams(shape, 7);
    const k = 4, m = 3;
    // uvhe: arbitrary pseudo-labels with one empty cluster (3); vhe: the true labels
    const trainLabels = mode === 'vae' ? null : mode === 'vhe' ? train.labels! : Int32Array.from({ length: train.n }, (_, i) => i % 3);
    const kk = mode === 'vhe' ? train.numClasses : k;
    const before = tf.memory().numTensors;
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-img-'));
    const paths = writeImageGrids({ dir, shape, params, train, test, trainLabels, k: kk, subsetSize: m, seed: 3 });
    expect(tf.memory().numTensors).toBe(before);
    disposeParams(params);

    const names = paths.map((p) => basename(p));
    expect(names).toEqual(mode === 'vae' ? ['reconstructions.png', 'cluster-samples.png'] : ['reconstructions.png', 'cluster-samples.png', 'few-shot.png']);

    const nRec = Math.min(GRID.reconCount, test.n);
    const rec = size(join(dir, 'reconstructions.png'));
    expect(rec).toMatchObject(gridSize(Math.ceil(nRec / GRID.reconPairsPerRow), 0, 2 * GRID.reconPairsPerRow, 28, 28, 2));
    // the first tile is the first test image, pixel for pixel
    const p = GRID.pad;
    expect(rec.png.data[4 * ((p + 14) * rec.width + p + 14)]).toBe(test.images[14 * 28 + 14]);

    const cs = size(join(dir, 'cluster-samples.png'));
    if (mode === 'vae') expect(cs).toMatchObject(gridSize(GRID.vaeRows, 0, GRID.samplesPerRow, 28, 28));
    else {
      const nonEmpty = mode === 'vhe' ? new Set(train.labels).size : 3;
      expect(cs).toMatchObject(gridSize(nonEmpty, m, GRID.samplesPerRow, 28, 28));
      const fs = size(join(dir, 'few-shot.png'));
      const testClasses = Math.min(GRID.fewShotRows, new Set(test.labels).size);
      expect(fs).toMatchObject(gridSize(testClasses, m, GRID.samplesPerRow, 28, 28));
    }
  });

  it('test rows without labels: few-shot groups consecutive test rows', () => {
    const shape: ModelShape = { mode: 'uvhe', pixels: 784, hidden: 8, zDim: 2, cDim: 2, logStdBound: 5 };
    const params = createParams(shape, 1);
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-img-'));
    const before = tf.memory().numTensors;
    const unlabelled = { ...test, labels: null, numClasses: 0 };
    writeImageGrids({ dir, shape, params, train, test: unlabelled, trainLabels: null, k: 1, subsetSize: 4, seed: 1 });
    expect(tf.memory().numTensors).toBe(before);
    disposeParams(params);
    expect(size(join(dir, 'cluster-samples.png'))).toMatchObject(gridSize(1, 4, GRID.samplesPerRow, 28, 28));
    expect(size(join(dir, 'few-shot.png'))).toMatchObject(gridSize(Math.min(GRID.fewShotRows, Math.floor(test.n / 4)), 4, GRID.samplesPerRow, 28, 28));
  });
});
