// The confusion matrix's rows: every cluster (k rows), each named by its majority label and purity, sorted by that
// label; a label that no cluster holds is named with where its examples went.
import { describe, expect, it } from 'vitest';
import { clusterStats, confusionTable } from '../../src/report/cluster-views.js';
import type { ClusteringPart } from '../../src/report/cluster-map.js';

// 3 clusters × 4 labels: cluster 0 is mostly 2, cluster 1 mostly 0 (mixes 0 and 3), cluster 2 is empty; label 1 and 3 are nobody's majority
const part: ClusteringPart = {
  k: 3, labels: [], sizes: [50, 40, 0],
  confusion: [[0, 10, 40, 0], [25, 0, 0, 15], [0, 0, 0, 0]],
};
part.labels = new Array<number>(90).fill(0);

describe('cluster views', () => {
  it('clusterStats: size, majority label and purity per cluster', () => {
    expect(clusterStats(part)).toEqual([
      { cluster: 0, size: 50, majority: 2, purity: 0.8 },
      { cluster: 1, size: 40, majority: 0, purity: 0.625 },
      { cluster: 2, size: 0, majority: null, purity: null },
    ]);
    expect(clusterStats({ ...part, confusion: null })[0]).toEqual({ cluster: 0, size: 50, majority: null, purity: null });
  });

  it('confusionTable: k rows by majority label, shaded cells, orphan labels named', () => {
    const html = confusionTable(part, (c) => `cluster ${c}`, () => '#123456', 'caption');
    const rows = [...html.matchAll(/<tr data-cluster="(\d+)"><th>.*?<\/th><td>([\d,]+)<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td>/g)].map((m) => m.slice(1));
    expect(rows).toEqual([['1', '40', '0', '0.625'], ['0', '50', '2', '0.800'], ['2', '0', '–', '–']]);
    expect(html).toMatch(/style="background:rgba\(78,121,167,0\.800\);color:#fff" title="cluster 0, label 2: 40 \(80%/);
    expect(html).toContain('No cluster has as its majority: label 1 (100% in cluster 0, mostly 2 (purity 0.80)); label 3 (100% in cluster 1, mostly 0 (purity 0.63)).');
  });
});
