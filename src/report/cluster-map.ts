// clusters.json and clusters-thumbs.png in a run folder: what the report needs to explain a run's clusters (the
// final and the training labels of every training example, their contingency against the true labels, and a 2-D
// map of a subsample of the codes with a sprite sheet of its images). Written once at the end of a run.
//
// The map's layout: a UMAP-style 2-D layout (cluster/umap.ts) of at most MAP_MAX_POINTS codes, and the top two
// principal components (cluster/pca.ts) of the same points. Why both: the UMAP layout pulls each code towards
// its neighbours, so clusters that the rules separate in 20–40 dimensions show as separate islands, where two
// linear components overlap most classes; the principal components are a faithful linear projection (distances
// shrink, never grow), so the page offers them as the check on the picture. Both are deterministic (seeded) and
// cost O(m²·d) for the neighbours plus O(m·K·epochs) for the layout at m ≤ 3,000 points.
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Config } from '../config.js';
import type { Dataset } from '../data/dataset.js';
import type { TrainResult } from '../train/loop.js';
import { contingency } from '../eval/metrics.js';
import { knn } from '../cluster/neighbours.js';
import { fuzzyGraph, umapLayout } from '../cluster/umap.js';
import { pcaFit, pcaProject } from '../cluster/pca.js';
import { Rng, deriveSeed } from '../util/rng.js';

/** Points of the map at most: enough to see every cluster's shape, few enough to draw and hover at once. */
export const MAP_MAX_POINTS = 3000;
/** Tiles per row of clusters-thumbs.png. */
export const THUMB_COLS = 50;
/** UMAP layout: neighbours per point, SGD epochs, subspace iterations of its spectral start. */
const LAYOUT = { neighbors: 15, epochs: 200, eigenIters: 100 } as const;

/** One clustering of the n training examples. */
export interface ClusteringPart {
  k: number;
  /** cluster of every training example (n, in [0, k)) */
  labels: number[];
  /** examples per cluster (k) */
  sizes: number[];
  /** k×classes counts: confusion[c][y] = examples of cluster c with true label y; null without true labels */
  confusion: number[][] | null;
}

/** The layout of the map's points: x and y per point (arbitrary units; only relative positions matter). */
export interface MapLayout { x: number[]; y: number[] }

/** clusters.json (format "uvhe-clusters", version 1). Arrays of the map are columns over its m points. */
export interface ClusterFile {
  format: 'uvhe-clusters';
  version: 1;
  /** the epoch whose codes and labels these are */
  epoch: number;
  /** training examples, and the size of one image (pixels) */
  n: number;
  image: { rows: number; cols: number };
  /** true classes (0: the data has no labels) */
  classes: number;
  /** the final re-clustering (final/acc), with its rule in words; null where it did not run */
  final: (ClusteringPart & { rule: string }) | null;
  /** the pseudo-labels training ended with (vhe: the true classes); null for a vae */
  pseudo: ClusteringPart | null;
  /** the map; null where the run has no codes to lay out (vhe) */
  map: {
    /** what the codes are and their width */
    codes: string;
    d: number;
    /** training row (index into the training split) of each point, ascending */
    index: number[];
    /** per point: its true label (null: none), final cluster and pseudo-label (null where that clustering is absent) */
    label: number[] | null;
    final: number[] | null;
    pseudo: number[] | null;
    /** UMAP-style layout (null below 3 points) and the top two principal components */
    umap: MapLayout | null;
    pca: MapLayout & { explained: number };
    /** clusters-thumbs.png: point j's image is the tile at (j mod cols, ⌊j / cols⌋), image.cols × image.rows pixels */
    thumbs: { file: string; cols: number };
  } | null;
}

/** The final rule in words, from the run's config (eval.embed on eval.space; a vae's codes are z). */
export function finalRuleName(mode: unknown, embed: unknown, space: unknown): string {
  const rule = embed === 'none' ? 'KMeans' : embed === 'spectral' ? 'spectral + KMeans' : embed === 'umap' ? 'UMAP + GMM' : String(embed);
  const on = mode === 'vae' ? 'z' : space === 'zc' ? 'z‖c' : String(space);
  return `${rule} on ${on}`;
}

function part(labels: Int32Array, k: number, truth: Int32Array | null, classes: number): ClusteringPart {
  const sizes = new Array<number>(k).fill(0);
  for (const l of labels) sizes[l]++;
  let confusion: number[][] | null = null;
  if (truth) {
    const t = contingency(truth, labels, k, classes);
    confusion = Array.from({ length: k }, (_, c) => Array.from(t.counts.subarray(c * t.numClasses, (c + 1) * t.numClasses)));
  }
  return { k, labels: Array.from(labels), sizes, confusion };
}

/** m ≤ max training rows, ascending: all rows when n ≤ max, else a seeded uniform draw without replacement. */
export function mapSample(n: number, max: number, seed: number): Int32Array {
  if (n <= max) return Int32Array.from({ length: n }, (_, i) => i);
  const pool = Int32Array.from({ length: n }, (_, i) => i), rng = new Rng(seed);
  for (let j = 0; j < max; j++) { const t = j + rng.below(n - j); const v = pool[j]; pool[j] = pool[t]; pool[t] = v; }
  return pool.slice(0, max).sort();
}

const round = (v: number): number => Number(v.toPrecision(5));

/** The 2-D layouts of m rows X (m×d, already scaled so that Euclidean distance is the rule's distance). */
export function mapLayouts(X: Float32Array, m: number, d: number, seed: number): { umap: MapLayout | null; pca: MapLayout & { explained: number } } {
  const cols = (Y: ArrayLike<number>): MapLayout => ({
    x: Array.from({ length: m }, (_, i) => round(Y[2 * i])), y: Array.from({ length: m }, (_, i) => round(Y[2 * i + 1])),
  });
  let pca: MapLayout & { explained: number };
  if (d >= 2 && m >= 2) {
    const fit = pcaFit(X, m, d, 2, m);
    pca = { ...cols(pcaProject(fit, X, m, d)), explained: round(fit.explained) };
  } else {
    pca = { x: Array.from({ length: m }, (_, i) => round(X[i * d] ?? 0)), y: new Array<number>(m).fill(0), explained: 1 };
  }
  let umap: MapLayout | null = null;
  if (m >= 3) {
    const K = Math.min(LAYOUT.neighbors, m - 1);
    const graph = fuzzyGraph(m, K, knn(X, m, d, K, null));
    umap = cols(umapLayout(graph, m, { dims: 2, epochs: LAYOUT.epochs, negatives: 5, eigenIters: LAYOUT.eigenIters, seed }));
  }
  return { umap, pca };
}

/** Grey sprite sheet of the listed rows' images, THUMB_COLS tiles a row. */
function thumbSheet(ds: Dataset, rows: Int32Array): Buffer {
  const h = ds.rows, w = ds.cols, P = h * w, cols = Math.min(THUMB_COLS, Math.max(1, rows.length));
  const png = new PNG({ width: cols * w, height: Math.max(1, Math.ceil(rows.length / cols)) * h });
  png.data.fill(0);
  rows.forEach((r, j) => {
    const x0 = (j % cols) * w, y0 = Math.floor(j / cols) * h;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const v = ds.images[r * P + y * w + x], o = 4 * ((y0 + y) * png.width + x0 + x);
      png.data[o] = v; png.data[o + 1] = v; png.data[o + 2] = v; png.data[o + 3] = 255;
    }
  });
  return PNG.sync.write(png, { colorType: 0 });
}

/** What a run hands the cluster files. */
export interface ClusterInput {
  cfg: Pick<Config, 'mode' | 'seed'> & { eval: Pick<Config['eval'], 'embed' | 'space'>; cluster: Pick<Config['cluster'], 'k'> };
  train: Dataset;
  result: Pick<TrainResult, 'trainLabels' | 'mapCodes' | 'last'> & { finalLabels: Int32Array | null };
  maxPoints?: number;
}

/** The content of clusters.json (and the rows of the map, for the thumbnails). */
export function clusterFile(o: ClusterInput): { file: ClusterFile; rows: Int32Array } {
  const { cfg, train, result } = o;
  const truth = train.labels, classes = truth ? train.numClasses : 0;
  const fin = result.finalLabels;
  const finalK = Number(result.last['final/k']) || (fin ? fin.reduce((a, b) => Math.max(a, b), 0) + 1 : 0);
  const pseudoK = cfg.mode === 'vhe' ? train.numClasses : cfg.cluster.k;
  const pl = result.trainLabels;
  const file: ClusterFile = {
    format: 'uvhe-clusters', version: 1, epoch: Number(result.last.epoch ?? 0), n: train.n,
    image: { rows: train.rows, cols: train.cols }, classes,
    final: fin ? { ...part(fin, finalK, truth, classes), rule: finalRuleName(cfg.mode, cfg.eval.embed, cfg.eval.space) } : null,
    pseudo: pl ? part(pl, pseudoK, truth, classes) : null,
    map: null,
  };
  const mc = result.mapCodes;
  const rows = mc ? mapSample(train.n, o.maxPoints ?? MAP_MAX_POINTS, deriveSeed(cfg.seed, 'map')) : new Int32Array(0);
  if (mc) {
    // scale column j by √w_j: Euclidean distance on the scaled rows is the weighted distance the rule clusters on
    const m = rows.length, d = mc.d, X = new Float32Array(m * d);
    for (let i = 0; i < m; i++) for (let t = 0; t < d; t++) X[i * d + t] = mc.rows[rows[i] * d + t] * Math.sqrt(mc.weights ? mc.weights[t] : 1);
    const pick = (a: Int32Array | null): number[] | null => (a ? Array.from(rows, (r) => a[r]) : null);
    file.map = {
      codes: cfg.mode === 'vae' ? 'means of q(z|x)' : 'code store [z‖c], weighted as the rule that coloured them', d,
      index: Array.from(rows), label: pick(truth), final: pick(fin), pseudo: pick(pl),
      ...mapLayouts(X, m, d, deriveSeed(cfg.seed, 'map-layout')), thumbs: { file: 'clusters-thumbs.png', cols: Math.min(THUMB_COLS, Math.max(1, m)) },
    };
  }
  return { file, rows };
}

function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Writes clusters.json (and, with a map, clusters-thumbs.png) into dir; returns the paths written. */
export function writeClusterFiles(dir: string, o: ClusterInput): string[] {
  const { file, rows } = clusterFile(o);
  const out: string[] = [];
  if (file.map) { const p = join(dir, file.map.thumbs.file); writeAtomic(p, thumbSheet(o.train, rows)); out.push(p); }
  const p = join(dir, 'clusters.json');
  writeAtomic(p, JSON.stringify(file) + '\n');
  out.push(p);
  return out;
}
