// bench/quality.ts, its pure parts only (no training): mean ± sd, the table, and the raw-pixel KMeans scorer.
import { describe, expect, it } from 'vitest';
import { fmtMeanSd, formatTable, meanSd, rawPixelKMeans, type Cell } from '../../bench/quality.js';
import { makeShapes } from '../../src/data/synthetic.js';

describe('meanSd / fmtMeanSd', () => {
  it('gives the mean and the sample sd, skipping null and non-finite values', () => {
    const s = meanSd([1, 2, 3, null, NaN])!;
    expect(s.mean).toBe(2);
    expect(s.sd).toBeCloseTo(1, 12);
    expect(s.n).toBe(3);
    expect(meanSd([null])).toBeNull();
  });
  it('formats mean ± sd, a lone value without sd, and none as a dash', () => {
    expect(fmtMeanSd([0.5, 0.7], 3)).toBe('0.600 ± 0.141');
    expect(fmtMeanSd([0.5], 3)).toBe('0.500');
    expect(fmtMeanSd([], 3)).toBe('—');
  });
});

describe('formatTable', () => {
  const cell = (dataset: string, method: Cell['method'], seed: number, acc: number, extra: Partial<Cell> = {}): Cell =>
    ({ dataset, method, seed, acc, nmi: acc / 2, testNats: method === 'pixels' ? null : 100 + seed, wallS: 10 * seed, ...extra });

  it('has one row per data set × method in suite order, with mean ± sd over seeds', () => {
    const t = formatTable([
      cell('shapes', 'vae', 1, 0.6), cell('shapes', 'vae', 2, 0.8),
      cell('shapes', 'uvhe', 1, 0.5), cell('shapes', 'uvhe', 2, 0.7),
      cell('mnist', 'pixels', 1, 0.55),
    ]);
    const rows = t.trim().split('\n');
    expect(rows[0]).toBe('| data set | method | ACC | NMI | test nats | wall s | seeds |');
    expect(rows).toHaveLength(5);
    expect(rows[2]).toBe('| mnist | KMeans on raw pixels | 0.550 | 0.275 | — | 10 | 1 |');
    expect(rows[3]).toBe('| shapes | uvhe (defaults), final rule | 0.600 ± 0.141 | 0.300 ± 0.071 | 101.5 ± 0.7 | 15 | 2 |');
    expect(rows[4]).toContain('| shapes | vae, same final rule | 0.700 ± 0.141 |');
  });

  it('leaves failed cells out of the statistics and counts them', () => {
    const t = formatTable([cell('mnist', 'uvhe', 1, 0.9), cell('mnist', 'uvhe', 2, 0, { error: 'boom', acc: null })]);
    expect(t).toContain('| mnist | uvhe (defaults), final rule | 0.900 | 0.450 | 101.0 | 10 | 1 (1 failed) |');
  });
});

describe('rawPixelKMeans', () => {
  it('clusters a small shapes set well above chance (1/5) and is deterministic for a seed', () => {
    const s = makeShapes(300, 4);
    const o = { pixels: s.images, n: 300, d: s.rows * s.cols, labels: s.labels, k: s.classes, seed: 1 };
    const a = rawPixelKMeans(o);
    expect(a.acc).toBeGreaterThan(0.3);
    expect(a.nmi).toBeGreaterThan(0.05);
    const b = rawPixelKMeans(o);
    expect(b.acc).toBe(a.acc);
    expect(b.inertia).toBe(a.inertia);
  });

  it('finds perfectly separated blobs exactly', () => {
    // 3 classes, each a distinct constant image with small per-pixel jitter: acc 1, NMI 1
    const n = 60, d = 16, pixels = new Uint8Array(n * d), labels = new Int32Array(n);
    for (let i = 0; i < n; i++) { labels[i] = i % 3; for (let j = 0; j < d; j++) pixels[i * d + j] = labels[i]! * 100 + ((i * 7 + j) % 5); }
    const r = rawPixelKMeans({ pixels, n, d, labels, k: 3, seed: 2 });
    expect(r.acc).toBe(1);
    expect(r.nmi).toBeCloseTo(1, 12);
  });
});
