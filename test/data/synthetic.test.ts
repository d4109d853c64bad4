// synthetic.ts: the quality suite's generated sets are deterministic, shaped as documented, balanced or unbalanced
// as documented, and their classes really differ; the IDX folder they write loads with the set's own classes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apportionCounts, makeShapes, makeTextures, writeSyntheticIdx, TEXTURE_WEIGHTS, type SyntheticSet } from '../../src/data/synthetic.js';
import { loadIdxDir } from '../../src/data/dataset.js';

function counts(s: SyntheticSet): number[] {
  const c = new Array<number>(s.classes).fill(0);
  for (const l of s.labels) c[l]!++;
  return c;
}

/** Per-class mean image (classes × rows·cols, in 0..255). */
function classMeans(s: SyntheticSet): Float64Array[] {
  const p = s.rows * s.cols;
  const m = Array.from({ length: s.classes }, () => new Float64Array(p));
  const c = counts(s);
  s.labels.forEach((l, i) => { for (let j = 0; j < p; j++) m[l]![j]! += s.images[i * p + j]! / c[l]!; });
  return m;
}

/** Mean absolute difference between neighbouring pixels along rows (dx) and along columns (dy), per image. */
function gradients(s: SyntheticSet, i: number): { dx: number; dy: number } {
  const { rows: R, cols: C } = s, o = i * R * C;
  let dx = 0, dy = 0;
  for (let r = 0; r < R - 1; r++) for (let c = 0; c < C - 1; c++) {
    const v = s.images[o + r * C + c]!;
    dx += Math.abs(s.images[o + r * C + c + 1]! - v);
    dy += Math.abs(s.images[o + (r + 1) * C + c]! - v);
  }
  return { dx, dy };
}

describe('apportionCounts', () => {
  it('splits n in proportion and sums to n', () => {
    expect(Array.from(apportionCounts(10, [1, 1, 1]))).toEqual([4, 3, 3]);
    expect(Array.from(apportionCounts(800, [4, 2, 1, 1]))).toEqual([400, 200, 100, 100]);
    const c = apportionCounts(5, [100, 1, 1, 1, 1]);
    expect(c.reduce((a, b) => a + b, 0)).toBe(5);
    expect(Math.min(...c)).toBeGreaterThanOrEqual(1);
  });
});

describe.each([
  ['shapes', makeShapes, 24, 5],
  ['textures', makeTextures, 20, 4],
] as const)('%s', (_name, make, size, classes) => {
  const s = make(400, 7);

  it('has the documented shape and byte range', () => {
    expect(s.rows).toBe(size);
    expect(s.cols).toBe(size);
    expect(s.classes).toBe(classes);
    expect(s.images).toBeInstanceOf(Uint8Array);
    expect(s.labels).toBeInstanceOf(Int32Array);
    expect(s.images.length).toBe(400 * size * size);
    expect(s.labels.length).toBe(400);
    expect(Math.min(...s.labels)).toBe(0);
    expect(Math.max(...s.labels)).toBe(classes - 1);
    let lo = 255, hi = 0;
    for (const v of s.images) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    expect(lo).toBe(0);
    expect(hi).toBeGreaterThan(200);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const again = make(400, 7);
    expect(Buffer.from(again.images).equals(Buffer.from(s.images))).toBe(true);
    expect(Array.from(again.labels)).toEqual(Array.from(s.labels));
    expect(Buffer.from(make(400, 8).images).equals(Buffer.from(s.images))).toBe(false);
  });

  it('has no two identical images', () => {
    const p = size * size, seen = new Set<string>();
    for (let i = 0; i < s.labels.length; i++) seen.add(Buffer.from(s.images.subarray(i * p, (i + 1) * p)).toString('base64'));
    expect(seen.size).toBe(s.labels.length);
  });
});

describe('class sizes', () => {
  it('shapes are balanced', () => {
    expect(counts(makeShapes(403, 1))).toEqual([81, 81, 81, 80, 80]);
  });
  it('textures are unbalanced 4:2:1:1', () => {
    const c = counts(makeTextures(800, 1));
    const total = TEXTURE_WEIGHTS.reduce((a, b) => a + b, 0);
    expect(c).toEqual(TEXTURE_WEIGHTS.map((w) => (800 * w) / total));
  });
});

describe('classes differ', () => {
  it('shapes: every pair of class mean images differs clearly', () => {
    const m = classMeans(makeShapes(1000, 2));
    for (let a = 0; a < m.length; a++) for (let b = a + 1; b < m.length; b++) {
      let d = 0;
      for (let j = 0; j < m[a]!.length; j++) d += Math.abs(m[a]![j]! - m[b]![j]!);
      expect(d / m[a]!.length, `classes ${a} and ${b}`).toBeGreaterThan(3);
    }
  });

  it('textures: stripes vary across their direction, not along it; dots vary both ways', () => {
    const s = makeTextures(400, 2);
    const ratio = new Array<number[]>(s.classes).fill([]).map(() => [] as number[]);
    for (let i = 0; i < s.labels.length; i++) { const g = gradients(s, i); ratio[s.labels[i]!]!.push(g.dx / (g.dx + g.dy)); }
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(ratio[0]!)).toBeLessThan(0.3); // horizontal stripes: change along columns
    expect(mean(ratio[1]!)).toBeGreaterThan(0.7); // vertical stripes: change along rows
    expect(mean(ratio[2]!)).toBeGreaterThan(0.4); // 45°: both
    expect(mean(ratio[2]!)).toBeLessThan(0.6);
    expect(mean(ratio[3]!)).toBeGreaterThan(0.4);
    expect(mean(ratio[3]!)).toBeLessThan(0.6);
    // 45° stripes and dots: dots have less ink
    const ink = (c: number): number => {
      let t = 0, k = 0;
      for (let i = 0; i < s.labels.length; i++) if (s.labels[i] === c) { k++; for (let j = 0; j < 400; j++) t += s.images[i * 400 + j]!; }
      return t / k / 400;
    };
    expect(ink(3)).toBeLessThan(0.8 * ink(2));
  });
});

describe('writeSyntheticIdx', () => {
  it('writes a folder data.source "idx" loads, with the set\'s classes and sizes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-synth-'));
    try {
      writeSyntheticIdx(dir, 'textures', { nTrain: 80, nTest: 16, seed: 3 });
      const split = loadIdxDir(dir);
      expect(split.train.n).toBe(80);
      expect(split.test.n).toBe(16);
      expect(split.train.rows).toBe(20);
      expect(split.train.numClasses).toBe(4);
      expect(Buffer.from(split.train.images).equals(Buffer.from(makeTextures(80, 0).images))).toBe(false); // own stream
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
