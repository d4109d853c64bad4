// `npm run demo -- runs/<name> [--out DIR] [--serve [--port N]]`: builds the browser demo of a finished run into a
// static folder (default runs/<name>/demo/): the page (demo/index.html, demo/demo.js), tfjs's browser bundle, the
// run's exported networks and uvhe.json, the clustering state the page votes with (clusters.json + clusters.bin,
// subsampled to at most MAX_REFERENCE codes, stratified by cluster), and data.json with example training images of
// every cluster. docs/demo.md describes the page and the folder.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { apportion, datasetSpecOf, loadDataset } from '../data/dataset.js';
import { readClusterState, writeClusterState, type ClusterState } from '../assign.js';
import type { RunManifest } from '../model/export.js';
import type { Config } from '../config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The page votes over at most this many training codes (a kNN vote in the page is O(n·d) per drawing). */
export const MAX_REFERENCE = 5000;
/** Example training images shipped per cluster: shown as thumbnails, and the set D of the few-shot samples. */
export const EXAMPLES_PER_CLUSTER = 8;

/** data.json: what the page needs besides the networks and the clustering state. */
export interface DemoData {
  run: string;
  /** the training data's description (as summary.txt's "data:" line) */
  source: string;
  rows: number;
  cols: number;
  /** the reference set in the demo's clusters.bin: its codes, and the training codes it was drawn from */
  reference: { n: number; of: number; subsampled: boolean } | null;
  /** per cluster id 0..k-1: training images in it (of all n), its matched label (-1: none, null: no labels), and up to
   *  EXAMPLES_PER_CLUSTER of its training images, raw bytes (not deskewed), base64 of m×rows×cols */
  clusters: Array<{ id: number; size: number; label: number | null; indices: number[]; pixels: string }>;
}

/** m members of `members`, evenly spaced (deterministic). */
function spread(members: number[], m: number): number[] {
  if (members.length <= m) return members.slice();
  return Array.from({ length: m }, (_, i) => members[Math.floor(((i + 0.5) * members.length) / m)]!);
}

/** Up to `max` rows of s, stratified by label (each cluster keeps its share, largest remainder), in row order. */
export function subsampleReference(s: ClusterState, max: number): ClusterState {
  if (s.n <= max) return s;
  const byLabel: number[][] = Array.from({ length: s.k }, () => []);
  for (let i = 0; i < s.n; i++) byLabel[s.labels[i]!]!.push(i);
  const share = apportion(byLabel.map((m) => m.length), max);
  const rows = byLabel.flatMap((m, l) => spread(m, share[l]!)).sort((a, b) => a - b);
  const codes = new Float32Array(rows.length * s.d), labels = new Int32Array(rows.length);
  rows.forEach((r, i) => { codes.set(s.codes.subarray(r * s.d, (r + 1) * s.d), i * s.d); labels[i] = s.labels[r]!; });
  return { ...s, n: rows.length, codes, labels };
}

function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) {
    const p = join(from, f);
    if (statSync(p).isDirectory()) copyDir(p, join(to, f));
    else copyFileSync(p, join(to, f));
  }
}

/** Builds the demo of run folder `runDir` into `out`; returns data.json's content. */
export function buildDemo(runDir: string, out: string): DemoData {
  const run = resolve(runDir), model = join(run, 'model');
  const manPath = join(model, 'uvhe.json');
  if (!existsSync(manPath)) throw new Error(`${manPath}: no such file (not a finished run with an exported model/ folder)`);
  const man = JSON.parse(readFileSync(manPath, 'utf8')) as RunManifest;
  const cfg = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as Config;
  mkdirSync(join(out, 'model'), { recursive: true });
  for (const f of ['index.html', 'demo.js']) copyFileSync(join(ROOT, 'demo', f), join(out, f));
  copyFileSync(join(ROOT, 'node_modules/@tensorflow/tfjs/dist/tf.min.js'), join(out, 'tf.min.js'));
  for (const net of man.networks) copyDir(join(model, net), join(out, 'model', net));
  copyFileSync(manPath, join(out, 'model', 'uvhe.json'));

  // the training images, raw (the page preprocesses what it encodes, as it does a drawing)
  const train = loadDataset({ ...datasetSpecOf(cfg), deskew: false }).train;
  const P = train.rows * train.cols;
  let reference: DemoData['reference'] = null;
  let clusters: DemoData['clusters'] = [];
  if (man.clusters) {
    const full = readClusterState(model);
    if (full.n !== train.n) throw new Error(`${model}/clusters.bin holds ${full.n} codes, the run's training split ${train.n} images: is config.json's data still there?`);
    const sub = subsampleReference(full, MAX_REFERENCE);
    writeClusterState(join(out, 'model'), sub, full.looAgreement);
    reference = { n: sub.n, of: full.n, subsampled: sub.n < full.n };
    const members: number[][] = Array.from({ length: full.k }, () => []);
    for (let i = 0; i < full.n; i++) members[full.labels[i]!]!.push(i);
    clusters = members.map((m, id) => {
      const indices = spread(m, EXAMPLES_PER_CLUSTER);
      const px = new Uint8Array(indices.length * P);
      indices.forEach((r, j) => px.set(train.images.subarray(r * P, (r + 1) * P), j * P));
      const label = full.clusterToLabel ? (full.clusterToLabel[id] ?? -1) : null;
      return { id, size: m.length, label, indices, pixels: Buffer.from(px).toString('base64') };
    });
  }
  const data: DemoData = { run: basename(run), source: train.name, rows: train.rows, cols: train.cols, reference, clusters };
  writeFileSync(join(out, 'data.json'), JSON.stringify(data) + '\n');
  return data;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.json': 'application/json',
  '.bin': 'application/octet-stream',
};

/** A static file server for `dir` on 127.0.0.1:`port` (0: any free port); resolves once it listens. */
export function serveFolder(dir: string, port = 0): Promise<Server> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = resolve(root, '.' + (path.endsWith('/') ? path + 'index.html' : path));
    if ((file !== root && !file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    res.end(readFileSync(file));
  });
  return new Promise((ok, fail) => { server.once('error', fail); server.listen(port, '127.0.0.1', () => ok(server)); });
}

async function main(argv: string[]): Promise<void> {
  const usage = 'usage: npm run demo -- runs/<name> [--out DIR] [--serve [--port N]]';
  let runDir: string | undefined, out: string | undefined, serve = false, port = 8080;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') out = argv[++i];
    else if (a === '--serve') serve = true;
    else if (a === '--port') port = Number(argv[++i]);
    else if (a === '-h' || a === '--help') { console.log(usage); return; }
    else if (!a.startsWith('-') && runDir === undefined) runDir = a;
    else throw new Error(`unknown argument ${a}\n${usage}`);
  }
  if (!runDir || (out !== undefined && !out) || !Number.isInteger(port)) throw new Error(usage);
  const dest = resolve(out ?? join(runDir, 'demo'));
  const data = buildDemo(runDir, dest);
  const ref = data.reference;
  console.log(`demo of ${data.run} written to ${dest}: ${data.clusters.length} clusters` +
    (ref ? `, vote over ${ref.n.toLocaleString('en-US')} training codes${ref.subsampled ? ` (a stratified subsample of ${ref.of.toLocaleString('en-US')})` : ''}` : ', no clustering state (the page shows reconstructions only)'));
  if (serve) {
    await serveFolder(dest, port);
    console.log(`serving on http://127.0.0.1:${port}/ (Ctrl-C stops)`);
  } else {
    console.log(`open it through any static server, e.g. npm run demo -- ${runDir}${out ? ` --out ${out}` : ''} --serve`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((e: unknown) => { console.error(`error: ${(e as Error).message}`); process.exitCode = 1; });
}
