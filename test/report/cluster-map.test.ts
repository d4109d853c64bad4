// clusters.json: its shape (columns over the map's points, labels and confusion per clustering), the cap on the
// map's points, and determinism (the same inputs give the same file).
import { describe, expect, it } from 'vitest';
import { clusterFile, mapSample } from '../../src/report/cluster-map.js';
import type { Dataset } from '../../src/data/dataset.js';

function input(n: number, maxPoints?: number) {
  const d = 6, k = 3, rows = new Float32Array(n * d);
  // three blobs along the first two dimensions
  for (let i = 0; i < n; i++) for (let t = 0; t < d; t++) rows[i * d + t] = (t === i % 3 ? 5 : 0) + Math.sin(i * 12.9898 + t * 78.233) * 0.5;
  const truth = Int32Array.from({ length: n }, (_, i) => i % 3);
  const train: Dataset = { n, rows: 2, cols: 3, images: Uint8Array.from({ length: n * 6 }, (_, i) => i % 256), labels: truth, numClasses: 3, name: 't' };
  return {
    cfg: { mode: 'uvhe' as const, seed: 5, eval: { embed: 'umap' as const, space: 'z' as const }, cluster: { k } },
    train, maxPoints,
    result: {
      trainLabels: Int32Array.from({ length: n }, (_, i) => (i + 1) % 3), finalLabels: truth.slice(),
      mapCodes: { rows, d, weights: new Float32Array(d).fill(1) }, last: { epoch: 4, 'final/k': 3 },
    },
  };
}

describe('clusters.json', () => {
  it('holds labels, sizes and confusion per clustering, and the map as columns over its points', () => {
    const { file, rows } = clusterFile(input(90));
    expect(file).toMatchObject({ format: 'uvhe-clusters', version: 1, epoch: 4, n: 90, image: { rows: 2, cols: 3 }, classes: 3 });
    expect(file.final).toMatchObject({ k: 3, sizes: [30, 30, 30], rule: 'UMAP + GMM on z' });
    expect(file.final!.labels.length).toBe(90);
    expect(file.final!.confusion).toEqual([[30, 0, 0], [0, 30, 0], [0, 0, 30]]);
    expect(file.pseudo!.confusion![1]).toEqual([30, 0, 0]); // pseudo-class 1 holds label 0
    const m = file.map!;
    expect(rows.length).toBe(90);
    for (const col of [m.index, m.label!, m.final!, m.pseudo!, m.umap!.x, m.umap!.y, m.pca.x, m.pca.y]) expect(col.length).toBe(90);
    expect(m.final![7]).toBe(file.final!.labels[m.index[7]]);
    expect(m.pca.explained).toBeGreaterThan(0.5);
    expect(m.thumbs).toEqual({ file: 'clusters-thumbs.png', cols: 50 });
    expect(JSON.parse(JSON.stringify(file))).toEqual(file); // plain JSON
  });

  it('caps the map at maxPoints: a sorted, seeded sample without repeats', () => {
    const { file } = clusterFile(input(300, 40));
    const idx = file.map!.index;
    expect(idx.length).toBe(40);
    expect(new Set(idx).size).toBe(40);
    expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    expect(file.final!.labels.length).toBe(300); // the labels stay whole
    expect(Array.from(mapSample(10_000, 3000, 1)).length).toBe(3000);
    expect(Array.from(mapSample(50, 3000, 1))).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('is deterministic', () => {
    expect(JSON.stringify(clusterFile(input(120)).file)).toBe(JSON.stringify(clusterFile(input(120)).file));
  });
});
