// The kNN vote that places new codes in a run's clusters, and the clusters.bin / clusters.json round trip.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClusterFormatError, knnAssign, looAgreement, readClusterState, selectSpace, writeClusterState, type ClusterState } from '../../src/assign.js';
import { Rng } from '../../src/util/rng.js';

/** k Gaussian blobs of `per` points in d dimensions, centres `gap` apart on the first axis; labels = blob. */
function blobs(k: number, per: number, d: number, gap: number, seed = 1): ClusterState {
  const rng = new Rng(seed), n = k * per;
  const codes = new Float32Array(n * d), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % k;
    for (let j = 0; j < d; j++) codes[i * d + j] = rng.normal() + (j === 0 ? gap * labels[i]! : 0);
  }
  return { n, d, k, codes, labels, weights: new Float32Array(d).fill(1), K: 15, labelSource: 'final', space: 'z', clusterToLabel: null };
}

describe('knnAssign', () => {
  it('reproduces well separated clusters, leave-one-out, with confidence 1', () => {
    const s = blobs(4, 50, 3, 20);
    expect(looAgreement(s)).toBe(1);
    const a = knnAssign(s, s.codes, (i) => i);
    expect(Array.from(a.confidence).every((c) => c === 1)).toBe(true);
  });

  it('gives the majority of the K nearest and its share as confidence; a tie goes to the nearer voter', () => {
    // reference on a line: 0, 1, 2 labelled 0; 10, 11 labelled 1. K = 5: the 5 nearest of 9 are all of them, 3 votes
    // for 0 and 2 for 1
    const s: ClusterState = { n: 5, d: 1, k: 2, codes: Float32Array.from([0, 1, 2, 10, 11]), labels: Int32Array.from([0, 0, 0, 1, 1]),
      weights: Float32Array.from([1]), K: 5, labelSource: 'final', space: 'z', clusterToLabel: null };
    let a = knnAssign(s, Float32Array.from([9]));
    expect(a.cluster[0]).toBe(0);
    expect(a.confidence[0]).toBeCloseTo(3 / 5);
    // K = 4: 10, 11, 2, 1 → 2 : 2, and label 1's nearest voter (10, at 1) is nearer than label 0's (2, at 7)
    a = knnAssign({ ...s, K: 4 }, Float32Array.from([9]));
    expect(a.cluster[0]).toBe(1);
    expect(a.confidence[0]).toBeCloseTo(0.5);
  });

  it('weights the squared distance per dimension (weight 0: the dimension is ignored)', () => {
    const s: ClusterState = { n: 2, d: 2, k: 2, codes: Float32Array.from([0, 100, 5, 0]), labels: Int32Array.from([0, 1]),
      weights: Float32Array.from([1, 0]), K: 1, labelSource: 'final', space: 'zc', clusterToLabel: null };
    expect(knnAssign(s, Float32Array.from([1, 0])).cluster[0]).toBe(0);
    expect(knnAssign({ ...s, weights: Float32Array.from([1, 1]) }, Float32Array.from([1, 0])).cluster[0]).toBe(1);
  });

  it('never lets a point vote for itself when it is excluded', () => {
    // two points of label 0 far from three of label 1: point 0 without itself sees its twin and the 1s
    const s: ClusterState = { n: 5, d: 1, k: 2, codes: Float32Array.from([0, 0.1, 50, 50.1, 50.2]), labels: Int32Array.from([0, 0, 1, 1, 1]),
      weights: Float32Array.from([1]), K: 3, labelSource: 'final', space: 'z', clusterToLabel: null };
    expect(knnAssign(s, s.codes.subarray(0, 1)).confidence[0]).toBeCloseTo(2 / 3);
    const a = knnAssign(s, s.codes.subarray(0, 1), () => 0);
    expect(a.cluster[0]).toBe(1); // 0.1 (label 0), 50, 50.1 (label 1)
  });
});

describe('clusters.bin + clusters.json', () => {
  it('round-trips codes, labels and weights, little-endian at the offsets the header names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-clusters-'));
    const s = { ...blobs(3, 7, 4, 5), weights: Float32Array.from([1, 0.5, 0, 2]), clusterToLabel: [2, 0, 1] };
    const h = writeClusterState(dir, s, 0.97);
    const back = readClusterState(dir);
    expect(back.codes).toEqual(s.codes);
    expect(back.labels).toEqual(s.labels);
    expect(back.weights).toEqual(s.weights);
    expect(back).toMatchObject({ n: 21, d: 4, k: 3, K: 15, space: 'z', labelSource: 'final', clusterToLabel: [2, 0, 1], looAgreement: 0.97 });
    const bin = readFileSync(join(dir, 'clusters.bin'));
    expect(bin.byteLength).toBe(4 * (21 * 4 + 21 + 4));
    const lab = h.blocks.find((b) => b.name === 'labels')!;
    expect(lab).toEqual({ name: 'labels', offset: 4 * 21 * 4, dtype: 'int32', count: 21 });
    expect(bin.readInt32LE(lab.offset + 4 * 5)).toBe(s.labels[5]);
    expect(bin.readFloatLE(4 * 7)).toBe(s.codes[7]);
  });

  it('refuses a truncated clusters.bin, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-clusters-'));
    writeClusterState(dir, blobs(2, 5, 2, 5), 1);
    writeFileSync(join(dir, 'clusters.bin'), readFileSync(join(dir, 'clusters.bin')).subarray(0, 40));
    expect(() => readClusterState(dir)).toThrow(ClusterFormatError);
    expect(() => readClusterState(dir)).toThrow(/clusters\.bin: block codes/);
  });
});

describe('selectSpace', () => {
  it('keeps z, c or [z‖c] of rows [z‖c]', () => {
    const rows = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // 2 rows, dz = 3, dc = 2
    expect(Array.from(selectSpace(rows, 2, 3, 2, 'z'))).toEqual([1, 2, 3, 6, 7, 8]);
    expect(Array.from(selectSpace(rows, 2, 3, 2, 'c'))).toEqual([4, 5, 9, 10]);
    expect(Array.from(selectSpace(rows, 2, 3, 2, 'zc'))).toEqual(Array.from(rows));
  });
});
