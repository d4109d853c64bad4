// The report's input: one run folder read into memory (config.json, metrics.jsonl's epoch and step lines, the
// PNG grids as data: URIs, clusters.json and its thumbnails), tolerant of whatever a run killed mid-way leaves.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClusterFile } from './cluster-map.js';
import { trackClusters, type Tracks } from './cluster-match.js';

export interface ReportRun {
  /** what the run is (e.g. "vae", "uvhe"); runs with the same label are seeds of one config */
  label: string;
  /** the run folder */
  dir: string;
}

/** One metrics.jsonl line, as written by run.ts (train/loop.ts records plus `backend`). */
export type Rec = Record<string, unknown>;

export interface LoadedImage { file: string; dataUri: string; width: number; height: number }

export interface LoadedRun {
  label: string;
  dir: string;
  /** label, or "label s<seed>" when several runs share the label */
  name: string;
  seed: number | null;
  mode: string;
  config: Rec | null;
  epochs: Rec[];
  steps: Rec[];
  backend: string;
  /** metrics.jsonl lines that did not parse (a run killed mid-write leaves at most one) */
  badLines: number;
  images: LoadedImage[];
  /** clusters.json (null: absent or unreadable) and its sprite sheet of thumbnails as a data: URI */
  clusters: ClusterFile | null;
  thumbs: LoadedImage | null;
  /** the epochs that have cluster/sizes, and their clusters' stable ids (cluster-match.ts) */
  sizeEpochs: Rec[];
  tracks: Tracks | null;
}

/** The image files a run may hold, in display order, with what they show. */
export const IMAGE_FILES: Array<{ file: string; caption: string }> = [
  { file: 'reconstructions.png', caption: 'Test images (left of each pair) and their reconstructions (right): decoder means at the means of q.' },
  { file: 'cluster-samples.png', caption: 'vhe/uvhe: per (pseudo-)class, its D (training members, left of the bar), then samples z ~ p(z|c) with c the mean of q(c|D). vae: samples z ~ N(0, I).' },
  { file: 'few-shot.png', caption: 'Few-shot: D = a few test images of one class (left of the bar; never seen in training), then new samples from q(c|D) and p(z|c).' },
];

export const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function readJsonl(path: string): { recs: Rec[]; bad: number } {
  if (!existsSync(path)) return { recs: [], bad: 0 };
  const recs: Rec[] = [];
  let bad = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as unknown;
      if (r && typeof r === 'object' && !Array.isArray(r)) recs.push(r as Rec); else bad++;
    } catch { bad++; }
  }
  return { recs, bad };
}

/** PNG width and height from its IHDR chunk (bytes 16..23). */
function pngSize(buf: Buffer): { width: number; height: number } {
  if (buf.length < 24 || buf.readUInt32BE(0) !== 0x89504e47) return { width: 0, height: 0 };
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

function loadImage(dir: string, file: string): LoadedImage | null {
  if (!existsSync(join(dir, file))) return null;
  const buf = readFileSync(join(dir, file));
  return { file, dataUri: `data:image/png;base64,${buf.toString('base64')}`, ...pngSize(buf) };
}

function loadClusters(dir: string): ClusterFile | null {
  try {
    const f = JSON.parse(readFileSync(join(dir, 'clusters.json'), 'utf8')) as ClusterFile;
    return f.format === 'uvhe-clusters' && f.version === 1 ? f : null;
  } catch { return null; }
}

export function loadRun(r: ReportRun): LoadedRun {
  const dir = resolve(r.dir);
  let config: Rec | null = null;
  try { config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Rec; } catch { config = null; }
  const { recs, bad } = readJsonl(join(dir, 'metrics.jsonl'));
  // A record without `kind` is an epoch line (older writers); keep the last line per epoch (a resumed run may repeat one)
  const byEpoch = new Map<number, Rec>();
  for (const rec of recs) {
    const e = num(rec.epoch);
    if ((rec.kind === 'epoch' || rec.kind === undefined) && e !== null) byEpoch.set(e, rec);
  }
  const epochs = [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  const steps = recs.filter((x) => x.kind === 'step' && num(x.step) !== null);
  const backends = [...new Set(epochs.map((e) => e.backend).filter((b): b is string => typeof b === 'string'))];
  const images = IMAGE_FILES.map((f) => loadImage(dir, f.file)).filter((i): i is LoadedImage => i !== null);
  const clusters = loadClusters(dir);
  const sizeEpochs = epochs.filter((e) => Array.isArray(e['cluster/sizes']));
  const tracks = sizeEpochs.length
    ? trackClusters(sizeEpochs.map((e) => ({ sizes: e['cluster/sizes'] as number[], overlap: e['cluster/overlap'] as number[] | undefined })))
    : null;
  return {
    label: r.label, dir, name: r.label, seed: num(config?.seed), mode: typeof config?.mode === 'string' ? config.mode : '?',
    config, epochs, steps, backend: backends.join(', ') || '?', badLines: bad, images,
    clusters, thumbs: clusters?.map ? loadImage(dir, clusters.map.thumbs.file) : null, sizeEpochs, tracks,
  };
}

/**
 * Stable id (cluster-match.ts) of each of the run's final pseudo-labels, so that the map and the sample rows name a
 * pseudo-class as the size chart does; the raw ids where clusters.json's sizes are not the last sized epoch's.
 */
export function pseudoIds(r: LoadedRun): number[] | null {
  const p = r.clusters?.pseudo;
  if (!p) return null;
  const last = r.sizeEpochs.at(-1)?.['cluster/sizes'] as number[] | undefined;
  const same = r.tracks && last && last.length === p.sizes.length && last.every((s, c) => s === p.sizes[c]);
  return same ? r.tracks!.ids.at(-1)! : p.sizes.map((_, c) => c);
}
