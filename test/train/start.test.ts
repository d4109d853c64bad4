import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/backend.js';
import { ConfigError, resolveConfig } from '../../src/config.js';
import type { Dataset, Split } from '../../src/data/dataset.js';
import { pixelStartLabels, train } from '../../src/train/loop.js';
import { clusterAccuracy } from '../../src/eval/metrics.js';
import { Rng } from '../../src/util/rng.js';

/** n 8×8 images of 3 kinds (a lit top band, left band or centre square, each pixel jittered), kind = i mod 3. */
function threeKinds(n: number): Dataset {
  const rng = new Rng(5);
  const images = new Uint8Array(n * 64), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const kind = i % 3; labels[i] = kind;
    for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) {
      const lit = kind === 0 ? r < 3 : kind === 1 ? c < 3 : r >= 2 && r < 6 && c >= 2 && c < 6;
      const v = (lit ? 200 : 20) + 50 * (rng.next() - 0.5);
      images[i * 64 + r * 8 + c] = Math.max(0, Math.min(255, Math.round(v)));
    }
  }
  return { n, rows: 8, cols: 8, images, labels, numClasses: 3, name: 'three-kinds' };
}

describe('cluster.start', () => {
  it('"pixels" finds the kinds of images from their principal components, by every rule, on the pool and off it', async () => {
    const data = threeKinds(150);
    for (const [embed, workers] of [['spectral', 1], ['spectral', 0], ['none', 1]] as const) {
      const cfg = resolveConfig({ cluster: { k: 3, start: 'pixels', startComponents: 8, embed, neighbors: 10 }, runtime: { workers } });
      const st = await pixelStartLabels(cfg, data, 3);
      expect(st.components).toBe(8);
      expect(st.explained).toBeGreaterThan(0.5);
      expect(st.explained).toBeLessThanOrEqual(1);
      expect(clusterAccuracy(data.labels!, st.labels, 3).accuracy).toBe(1);
    }
  }, 60_000);

  it('trains the first epoch on that partition; the seed\'s random start is the default', async () => {
    await initBackend('wasm');
    const data = threeKinds(90);
    const split: Split = { train: data, test: { ...threeKinds(30), name: 'three-kinds/test' }, source: 'synthetic' };
    const run = async (start: 'random' | 'pixels'): Promise<string[]> => {
      const cfg = resolveConfig({
        mode: 'uvhe', train: { epochs: 1, batchSize: 30, progress: 'none' }, model: { hidden: 16, zDim: 2, cDim: 2 },
        cluster: { k: 3, start, startComponents: 8, embed: 'none' }, eval: { every: 0 }, runtime: { backend: 'wasm', workers: 0 },
      });
      const msgs: string[] = [];
      await train(cfg, split, { onMessage: (m) => msgs.push(m) });
      return msgs;
    };
    const pixels = (await run('pixels')).filter((m) => m.startsWith('first partition'));
    expect(pixels).toHaveLength(2);
    expect(pixels[0]).toMatch(/KMeans rule on 8 principal components/);
    expect(pixels[1]).toMatch(/^first partition: accuracy 1\.000/);
    expect((await run('random')).some((m) => m.startsWith('first partition'))).toBe(false);
  }, 60_000);

  it('refuses an unknown start by name', () => {
    expect(() => resolveConfig({ cluster: { start: 'labels' } })).toThrow(ConfigError);
    expect(() => resolveConfig({ cluster: { start: 'labels' } })).toThrow(/cluster\.start/);
    expect(() => resolveConfig({ cluster: { startComponents: 0 } })).toThrow(/cluster\.startComponents/);
  });
});
