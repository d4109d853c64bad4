// Training-time augmentation (train.shift, train.flip): the gather kernel against a plain forward-mapping
// reference, the offsets' range, and that only training batches are augmented.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.js';
import { BatchBuilder, disposeBatch, gatherColumns, gatherColumnsAugmented, type Augment } from '../../src/train/batch.js';
import { Rng } from '../../src/util/rng.js';
import { createParams, disposeParams, forward, type ModelShape } from '../../src/model/vhe.js';
import { bcePerExample } from '../../src/model/loss.js';
import { trainStep } from '../../src/train/step.js';
import { Adam } from '../../src/train/adam.js';
import { tf } from '../../src/backend.js';
import { FLOAT01_LUT } from '../../src/data/dataset.js';

beforeAll(async () => { await initBackend('cpu'); });

/** The obvious way: mirror the H×W image into a new one, then copy every pixel to (r + dy, c + dx) if it lands inside. */
function reference(img: Uint8Array, H: number, W: number, dx: number, dy: number, mirror: boolean): Float32Array {
  const m = new Float32Array(H * W);
  for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) m[r * W + c] = FLOAT01_LUT[img[r * W + (mirror ? W - 1 - c : c)]];
  const out = new Float32Array(H * W);
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const tr = r + dy, tc = c + dx;
      if (tr >= 0 && tr < H && tc >= 0 && tc < W) out[tr * W + tc] = m[r * W + c];
    }
  }
  return out;
}

function randomImages(n: number, P: number, seed: number): Uint8Array {
  const r = new Rng(seed);
  return new Uint8Array(n * P).map(() => r.below(256));
}

describe('gatherColumnsAugmented', () => {
  const H = 5, W = 7, P = H * W, n = 6;
  const images = randomImages(n, P, 1);
  const rows = Int32Array.from([4, 0, 4, 2, 5]);

  it('matches the mirror-then-translate reference, with offsets drawn in row order (dx, dy, flip)', () => {
    for (const aug of [{ rows: H, cols: W, shift: 2, flip: true }, { rows: H, cols: W, shift: 3, flip: false }, { rows: H, cols: W, shift: 0, flip: true }] as Augment[]) {
      const out = gatherColumnsAugmented(images, rows, aug, new Rng(9), new Float32Array(P * rows.length));
      const replay = new Rng(9);
      rows.forEach((row, b) => {
        const dx = aug.shift ? replay.below(2 * aug.shift + 1) - aug.shift : 0;
        const dy = aug.shift ? replay.below(2 * aug.shift + 1) - aug.shift : 0;
        const mirror = aug.flip && replay.below(2) === 1;
        const want = reference(images.subarray(row * P, (row + 1) * P), H, W, dx, dy, mirror);
        const got = Float32Array.from({ length: P }, (_, p) => out[p * rows.length + b]); // column b of [P, B]
        expect(Array.from(got)).toEqual(Array.from(want));
      });
    }
  });

  it('with nothing to do is gatherColumns', () => {
    const a = gatherColumnsAugmented(images, rows, { rows: H, cols: W, shift: 0, flip: false }, new Rng(1), new Float32Array(P * rows.length));
    expect(Array.from(a)).toEqual(Array.from(gatherColumns(images, rows, P, new Float32Array(P * rows.length))));
  });

  it('moves a single dot by every offset in [-shift, shift]² and mirrors about half the time', () => {
    const dot = new Uint8Array(P); dot[2 * W + 3] = 255; // centre of the 5×7 image
    const shift = 2, draws = 2000;
    const one = Int32Array.from({ length: draws }, () => 0);
    const out = gatherColumnsAugmented(dot, one, { rows: H, cols: W, shift, flip: false }, new Rng(3), new Float32Array(P * draws));
    const seen = new Set<string>();
    for (let b = 0; b < draws; b++) {
      let at = -1;
      for (let p = 0; p < P; p++) if (out[p * draws + b] === 1) { expect(at).toBe(-1); at = p; }
      const r = Math.floor(at / W), c = at % W;
      expect(Math.abs(r - 2)).toBeLessThanOrEqual(shift);
      expect(Math.abs(c - 3)).toBeLessThanOrEqual(shift);
      seen.add(`${r},${c}`);
    }
    expect(seen.size).toBe((2 * shift + 1) ** 2);
    // an off-centre dot (column 0) under flip only: mirrored to column W-1 in about half of the draws
    const edge = new Uint8Array(P); edge[0] = 255;
    const f = gatherColumnsAugmented(edge, one, { rows: H, cols: W, shift: 0, flip: true }, new Rng(4), new Float32Array(P * draws));
    let mirrored = 0;
    for (let b = 0; b < draws; b++) mirrored += f[(W - 1) * draws + b] === 1 ? 1 : 0;
    expect(mirrored).toBeGreaterThan(0.45 * draws);
    expect(mirrored).toBeLessThan(0.55 * draws);
  });
});

describe('BatchBuilder with an augmentation', () => {
  it('augments build() (x and D), never buildX() unless asked, and draws nothing when switched off', () => {
    const H = 4, W = 4, P = 16, n = 10;
    const images = randomImages(n, P, 2);
    const rows = Int32Array.from([1, 3, 5]);
    const subsets = Int32Array.from([2, 4, 6, 7, 8, 9]);
    const aug = new BatchBuilder(images, n, P, 3, 2, 2, 2, { rows: H, cols: W, shift: 1, flip: true });
    const plainX = gatherColumns(images, rows, P, new Float32Array(P * 3));
    const clean = aug.buildX(rows, new Rng(5));
    expect(Array.from(clean.xT.dataSync())).toEqual(Array.from(plainX));
    const rngA = new Rng(5);
    const b = aug.build(rows, subsets, 2, Int32Array.from([3, 3, 3]), rngA);
    const wantX = gatherColumnsAugmented(images, rows, { rows: H, cols: W, shift: 1, flip: true }, new Rng(5), new Float32Array(P * 3));
    expect(Array.from(b.xT.dataSync())).toEqual(Array.from(wantX));
    expect(Array.from(b.xT.dataSync())).not.toEqual(Array.from(plainX));
    expect(Array.from(b.xuT!.dataSync())).not.toEqual(Array.from(gatherColumns(images, subsets, P, new Float32Array(P * 6))));
    disposeBatch(b);
    // switched off: the same tensors and the same RNG stream as a builder without any augmentation
    const off = new BatchBuilder(images, n, P, 3, 2, 2, 2, { rows: H, cols: W, shift: 0, flip: false });
    const none = new BatchBuilder(images, n, P, 3, 2, 2, 2);
    const r1 = new Rng(6), r2 = new Rng(6);
    const b1 = off.build(rows, subsets, 2, Int32Array.from([3, 3, 3]), r1), b2 = none.build(rows, subsets, 2, Int32Array.from([3, 3, 3]), r2);
    expect(Array.from(b1.xT.dataSync())).toEqual(Array.from(b2.xT.dataSync()));
    expect(Array.from(b1.xuT!.dataSync())).toEqual(Array.from(b2.xuT!.dataSync()));
    expect(r1.getState()).toEqual(r2.getState());
    expect(b2.xTarget).toBeUndefined(); // the decoder's target is xT itself
    disposeBatch(b1); disposeBatch(b2); clean.xT.dispose(); clean.epsZ.dispose();
    // target original: the encoders read the augmented view, the decoder's target is the image as stored
    const orig = new BatchBuilder(images, n, P, 3, 2, 2, 2, { rows: H, cols: W, shift: 1, flip: true, target: 'original' });
    const bo = orig.build(rows, subsets, 2, Int32Array.from([3, 3, 3]), new Rng(5));
    expect(Array.from(bo.xT.dataSync())).toEqual(Array.from(wantX));
    expect(Array.from(bo.xTarget!.dataSync())).toEqual(Array.from(plainX));
    disposeBatch(bo);
  });
});

describe('train.target = original', () => {
  it('the step\'s reconstruction term is scored against the stored image, not the view the encoder read', () => {
    const H = 4, W = 4, P = 16, n = 10, B = 3;
    const images = randomImages(n, P, 3);
    const rows = Int32Array.from([0, 4, 7]);
    const shape: ModelShape = { mode: 'vae', pixels: P, hidden: 8, zDim: 2, cDim: 0, logStdBound: 5 };
    const bb = new BatchBuilder(images, n, P, B, 1, 2, 0, { rows: H, cols: W, shift: 2, flip: true, target: 'original' });
    const batch = bb.build(rows, null, 1, null, new Rng(8));
    const p = createParams(shape, 4), ref = createParams(shape, 4);
    const [toClean, toView] = tf.tidy(() => {
      const f = forward(shape, ref, batch);
      return [tf.mean(bcePerExample(batch.xTarget!, f.logits)).dataSync()[0], tf.mean(bcePerExample(batch.xT, f.logits)).dataSync()[0]];
    });
    const res = trainStep(shape, p, new Adam(p, 1e-3), batch);
    expect(res.loss[1]).toBeCloseTo(toClean, 4);
    expect(Math.abs(toClean - toView)).toBeGreaterThan(1e-3); // the two targets really differ here
    disposeBatch(batch); disposeParams(p); disposeParams(ref);
  });
});
