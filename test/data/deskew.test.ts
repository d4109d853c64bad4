// deskew.ts: the shear and the centring against images whose answer is known by construction, and the data
// stage's data.deskew switch.
import { describe, expect, it } from 'vitest';
import { deskewImage, deskewImages } from '../../src/data/deskew.js';
import { datasetSpecOf, loadDataset } from '../../src/data/dataset.js';
import { resolveConfig } from '../../src/config.js';

const R = 28,
  C = 28;

/** Ink moments of an image: centre of mass and the shear Cov(r, c) / Var(r). */
function moments(img: Uint8Array): { r: number; c: number; shear: number } {
  let m = 0,
    sr = 0,
    sc = 0;
  for (let i = 0; i < R * C; i++) {
    m += img[i]!;
    sr += img[i]! * Math.floor(i / C);
    sc += img[i]! * (i % C);
  }
  const r = sr / m,
    c = sc / m;
  let vr = 0,
    cv = 0;
  for (let i = 0; i < R * C; i++) {
    const dr = Math.floor(i / C) - r;
    vr += img[i]! * dr * dr;
    cv += img[i]! * dr * ((i % C) - c);
  }
  return { r, c, shear: cv / vr };
}

/** A bar two pixels wide from row 4 to row 23 whose columns move `slope` per row, its middle at column `mid`. */
function bar(slope: number, mid: number, rowShift = 0): Uint8Array {
  const img = new Uint8Array(R * C);
  for (let r = 4; r <= 23; r++) {
    const c = Math.round(mid + slope * (r - 13.5));
    for (const cc of [c, c + 1]) img[(r + rowShift) * C + cc] = 255;
  }
  return img;
}

describe('deskewImage', () => {
  it('makes a slanted stroke upright and centres it', () => {
    const src = bar(0.4, 10);
    expect(moments(src).shear).toBeGreaterThan(0.35);
    const out = deskewImage(src, R, C, new Uint8Array(R * C));
    const m = moments(out);
    expect(Math.abs(m.shear)).toBeLessThan(0.03);
    expect(Math.abs(m.r - 13.5)).toBeLessThan(0.3);
    expect(Math.abs(m.c - 13.5)).toBeLessThan(0.3);
    // bilinear sampling keeps the ink (the stroke stays inside the frame)
    const ink = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0);
    expect(Math.abs(ink(out) - ink(src)) / ink(src)).toBeLessThan(0.05);
  });

  it('leaves an upright image centred at the middle as it is, bit for bit', () => {
    const src = bar(0, 13); // columns 13 and 14, rows 4..23: centre (13.5, 13.5), no shear
    expect(Array.from(deskewImage(src, R, C, new Uint8Array(R * C)))).toEqual(Array.from(src));
  });

  it('moves an upright image off the centre by whole pixels exactly', () => {
    const centred = bar(0, 13);
    const moved = bar(0, 16, 2); // 3 columns right, 2 rows down
    expect(Array.from(deskewImage(moved, R, C, new Uint8Array(R * C)))).toEqual(Array.from(centred));
  });

  it('samples between pixels by bilinear interpolation', () => {
    // a 2×2 block, the right column twice as bright: centre of mass off the middle by a fraction of a column
    const src = new Uint8Array(R * C);
    src[13 * C + 13] = 100;
    src[13 * C + 14] = 200;
    src[14 * C + 13] = 100;
    src[14 * C + 14] = 200;
    // mass centre: row 13.5, column (13·200 + 14·400) / 600 = 13.667; shear 0
    const out = deskewImage(src, R, C, new Uint8Array(R * C));
    const f = (13 * 200 + 14 * 400) / 600 - 13.5; // every sample lies f = 0.167 columns right of its pixel
    // output (13, 13) reads input (13, 13 + f): (1 − f)·100 + f·200; output (13, 14) reads (13, 14 + f)
    expect(out[13 * C + 13]).toBe(Math.round((1 - f) * 100 + f * 200));
    expect(out[13 * C + 14]).toBe(Math.round((1 - f) * 200));
  });

  it('leaves an empty image empty', () => {
    expect(deskewImages(new Uint8Array(2 * R * C), R, C).every((v) => v === 0)).toBe(true);
  });
});

describe('data.deskew', () => {
  it('auto deskews the embedded digits only; on and off force it', () => {
    const spec = (data: Record<string, unknown>): boolean => datasetSpecOf(resolveConfig({ data })).deskew === true;
    expect(spec({})).toBe(true);
    expect(spec({ source: 'idx', dir: '/x' })).toBe(false);
    expect(spec({ source: 'idx', dir: '/x', deskew: 'on' })).toBe(true);
    expect(spec({ deskew: 'off' })).toBe(false);
    expect(() => resolveConfig({ data: { deskew: true } })).toThrow(/data\.deskew/);
  });

  it('loadDataset deskews both splits and keeps labels and order', () => {
    const raw = loadDataset({ source: 'mnist', testFraction: 0.2, seed: 1, limit: 50 });
    const desk = loadDataset({ source: 'mnist', testFraction: 0.2, seed: 1, limit: 50, deskew: true });
    expect(desk.source).toMatch(/deskewed$/);
    for (const s of ['train', 'test'] as const) {
      expect(Array.from(desk[s].labels!)).toEqual(Array.from(raw[s].labels!));
      expect(Array.from(desk[s].images)).toEqual(Array.from(deskewImages(raw[s].images, 28, 28)));
      expect(Array.from(desk[s].images)).not.toEqual(Array.from(raw[s].images));
    }
    // and the digits come out upright: the mean |shear| falls
    const meanShear = (imgs: Uint8Array): number => {
      let s = 0;
      for (let i = 0; i < 50; i++) s += Math.abs(moments(imgs.subarray(i * 784, i * 784 + 784)).shear);
      return s / 50;
    };
    expect(meanShear(desk.train.images)).toBeLessThan(0.3 * meanShear(raw.train.images));
  });
});
