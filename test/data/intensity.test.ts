// intensity.ts (data.gamma): the table against the formula, and the data stage applying it to both splits.
import { describe, expect, it } from 'vitest';
import { gammaImages } from '../../src/data/intensity.js';
import { datasetSpecOf, loadDataset } from '../../src/data/dataset.js';
import { ConfigError, resolveConfig } from '../../src/config.js';

describe('gammaImages', () => {
  it('maps each grey level v to round(255·(v/255)^γ), keeping 0 and 255', () => {
    const all = Uint8Array.from({ length: 256 }, (_, v) => v);
    const half = gammaImages(all, 0.5);
    expect(half[0]).toBe(0);
    expect(half[255]).toBe(255);
    expect(half[64]).toBe(128); // √(64/255) · 255 = 127.75
    expect(half[16]).toBe(64); // √(16/255) · 255 = 63.87
    for (let v = 0; v < 256; v++) expect(half[v]).toBe(Math.round(Math.sqrt(v / 255) * 255));
    const sq = gammaImages(all, 2);
    expect(sq[128]).toBe(64); // (128/255)² · 255 = 64.25
    // γ = 1 is a copy, not the same array
    const same = gammaImages(all, 1);
    expect(Array.from(same)).toEqual(Array.from(all));
    expect(same).not.toBe(all);
    // γ < 1 never darkens a pixel
    for (let v = 0; v < 256; v++) expect(half[v]).toBeGreaterThanOrEqual(v);
  });

  it('refuses a non-positive exponent', () => {
    expect(() => gammaImages(new Uint8Array(4), 0)).toThrow(/gamma/);
    expect(() => gammaImages(new Uint8Array(4), Number.NaN)).toThrow(/gamma/);
  });
});

describe('data.gamma', () => {
  it('is 1 (raw) by default and travels from the config to the spec; the key is range-checked', () => {
    expect(datasetSpecOf(resolveConfig({})).gamma).toBe(1);
    expect(datasetSpecOf(resolveConfig({ data: { gamma: 0.5 } })).gamma).toBe(0.5);
    expect(() => resolveConfig({ data: { gamma: 0 } })).toThrow(ConfigError);
    expect(() => resolveConfig({ data: { gamma: 0 } })).toThrow(/data\.gamma/);
  });

  it('loadDataset transforms both splits, after the deskew, and keeps labels and order', () => {
    const spec = { source: 'mnist' as const, testFraction: 0.2, seed: 1, limit: 40 };
    const raw = loadDataset(spec);
    const g = loadDataset({ ...spec, gamma: 0.5 });
    expect(g.source).toMatch(/intensities \^0\.5/);
    for (const part of ['train', 'test'] as const) {
      expect(Array.from(g[part].labels!)).toEqual(Array.from(raw[part].labels!));
      expect(Array.from(g[part].images)).toEqual(Array.from(gammaImages(raw[part].images, 0.5)));
    }
    const desk = loadDataset({ ...spec, deskew: true });
    const both = loadDataset({ ...spec, deskew: true, gamma: 0.5 });
    expect(Array.from(both.train.images)).toEqual(Array.from(gammaImages(desk.train.images, 0.5)));
  });
});
