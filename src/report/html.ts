// report.html: one self-contained, offline page over one or more run folders (config.json, metrics.jsonl, PNG
// grids): loss curves in nats (train and test, each term), gradient norms, clustering metrics, timings, image
// grids, and, across runs, overlaid curves and a mean ± sd summary per label.
//
// Charts: uPlot (MIT, ~50 kB minified, no dependencies), inlined from node_modules. Why uPlot rather than
// Chart.js (~200 kB) or hand-written SVG: it is small enough to inline into every report, it draws our
// shape of data (a shared x = epoch, many series, gaps as null) directly, and its live legend shows every
// series' value under the cursor (hover) with cursors synced across charts; it is well kept and widely used.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface ReportRun {
  /** what the run is (e.g. "vae", "uvhe"); runs with the same label are seeds of one config */
  label: string;
  /** the run folder */
  dir: string;
}

export interface ReportOptions {
  /** path of the HTML file to write */
  out: string;
  title: string;
  runs: ReportRun[];
}

/** One metrics.jsonl line, as written by run.ts (train/loop.ts records plus `backend`). */
type Rec = Record<string, unknown>;

interface LoadedRun {
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
  images: Array<{ file: string; dataUri: string; width: number; height: number }>;
}

/** One chart, as the page's script receives it: a shared x axis and series of the same length (null = gap). */
export interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  log?: boolean;
  x: number[];
  series: Array<{ label: string; color: string; dash: number[]; values: Array<number | null> }>;
}

/** The image files a run may hold, in display order, with what they show. */
export const IMAGE_FILES: Array<{ file: string; caption: string }> = [
  { file: 'reconstructions.png', caption: 'Test images (left of each pair) and their reconstructions (right): decoder means at the means of q.' },
  { file: 'cluster-samples.png', caption: 'vhe/uvhe: per (pseudo-)class, its D (training members, left of the bar), then samples z ~ p(z|c) with c the mean of q(c|D). vae: samples z ~ N(0, I).' },
  { file: 'few-shot.png', caption: 'Few-shot: D = a few test images of one class (left of the bar; never seen in training), then new samples from q(c|D) and p(z|c).' },
];

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

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

function loadRun(r: ReportRun): LoadedRun {
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
  const images = IMAGE_FILES.filter((f) => existsSync(join(dir, f.file))).map((f) => {
    const buf = readFileSync(join(dir, f.file));
    return { file: f.file, dataUri: `data:image/png;base64,${buf.toString('base64')}`, ...pngSize(buf) };
  });
  return {
    label: r.label, dir, name: r.label, seed: num(config?.seed), mode: typeof config?.mode === 'string' ? config.mode : '?',
    config, epochs, steps, backend: backends.join(', ') || '?', badLines: bad, images,
  };
}

// ── colours and line styles ────────────────────────────────────────────────────────────────────────────────
const HUES = [212, 4, 130, 275, 32, 185, 320, 55];
const DASHES: number[][] = [[], [7, 4], [2, 3], [9, 3, 2, 3]];
function colour(labelIndex: number, seedIndex: number): string {
  return `hsl(${HUES[labelIndex % HUES.length]}, 70%, ${Math.min(70, 38 + 12 * seedIndex)}%)`;
}

/** Series per run × metric over the union of the runs' x values (epochs or steps). */
function chart(id: string, title: string, yLabel: string, runs: LoadedRun[], styles: Map<LoadedRun, string>,
  metrics: Array<{ key: string; name: string }>, opts: { log?: boolean; xKey?: 'epoch' | 'step'; source?: 'epochs' | 'steps' } = {}): ChartSpec | null {
  const xKey = opts.xKey ?? 'epoch', source = opts.source ?? 'epochs';
  const xs = new Set<number>();
  for (const r of runs) for (const rec of r[source]) { const x = num(rec[xKey]); if (x !== null) xs.add(x); }
  const x = [...xs].sort((a, b) => a - b);
  const series: ChartSpec['series'] = [];
  for (const r of runs) {
    metrics.forEach((m, mi) => {
      const at = new Map<number, number | null>();
      for (const rec of r[source]) {
        const xv = num(rec[xKey]);
        let v = num(rec[m.key]);
        if (opts.log && v !== null && v <= 0) v = null;
        if (xv !== null) at.set(xv, v);
      }
      const values = x.map((xv) => at.get(xv) ?? null);
      if (values.some((v) => v !== null)) {
        series.push({ label: metrics.length > 1 ? `${r.name} ${m.name}` : r.name, color: styles.get(r)!, dash: DASHES[mi % DASHES.length], values });
      }
    });
  }
  if (!series.length) return null;
  return { id, title, xLabel: xKey === 'epoch' ? 'epoch' : 'optimisation step', yLabel, log: opts.log, x, series };
}

function clusterSizeChart(r: LoadedRun, idx: number): ChartSpec | null {
  const withSizes = r.epochs.filter((e) => Array.isArray(e['cluster/sizes']));
  if (!withSizes.length) return null;
  const k = Math.max(...withSizes.map((e) => (e['cluster/sizes'] as unknown[]).length));
  const x = withSizes.map((e) => num(e.epoch)!);
  const series: ChartSpec['series'] = [];
  for (let j = 0; j < k; j++) {
    series.push({
      label: `cluster ${j}`, color: `hsl(${Math.round((360 * j) / k)}, 65%, 45%)`, dash: [],
      values: withSizes.map((e) => num((e['cluster/sizes'] as unknown[])[j])),
    });
  }
  const empty = withSizes.map((e) => num(e['cluster/empty']));
  if (empty.some((v) => v !== null)) series.push({ label: 'empty clusters', color: '#000', dash: [2, 3], values: empty });
  return { id: `sizes-${idx}`, title: `Cluster sizes: ${r.name}`, xLabel: 'epoch (after its relabel)', yLabel: 'training examples', x, series };
}

function buildCharts(runs: LoadedRun[], styles: Map<LoadedRun, string>): ChartSpec[] {
  const tt = (term: string, name: string): Array<{ key: string; name: string }> =>
    [{ key: `loss/${term}`, name: `train ${name}` }, { key: `test/${term}`, name: `test ${name}` }];
  const nats = 'nats / example';
  const charts = [
    chart('loss-total', 'Loss (negative ELBO): train solid, test dashed', nats, runs, styles, tt('total', 'total')),
    chart('loss-bce', 'Reconstruction BCE(x, x̂), summed over pixels', nats, runs, styles, tt('bce', 'BCE')),
    chart('loss-klZ', 'KL(q(z|c,x) ‖ p(z|c)) (vae: against N(0, I))', nats, runs, styles, tt('klZ', 'KL_z')),
    chart('loss-klC', 'KL(q(c|D) ‖ N(0, I)), unweighted: what c costs', nats, runs, styles, tt('klC', 'KL_c')),
    chart('loss-klCWeighted', 'KL_c / |X_x|: the amortised term in the loss', nats, runs, styles, tt('klCWeighted', 'KL_c/|X|')),
    chart('grad-norms', 'Gradient norms on the test split: ‖∂L/∂z‖ solid, ‖∂L/∂c‖ dashed (log scale)', 'L2 norm (nats per unit of code)', runs, styles,
      [{ key: 'grad/z', name: '‖∂L/∂z‖' }, { key: 'grad/c', name: '‖∂L/∂c‖' }], { log: true }),
    chart('grad-ratio', 'Gradient ratio ‖∂L/∂z‖ / ‖∂L/∂c‖', 'ratio (unitless)', runs, styles, [{ key: 'grad/ratio', name: 'ratio' }]),
    chart('cluster-acc', 'Cluster accuracy (Hungarian): training pseudo-labels solid, test assignment dashed', 'accuracy (0–1)', runs, styles,
      [{ key: 'cluster/acc', name: 'train acc' }, { key: 'cluster/testAcc', name: 'test acc' }]),
    chart('cluster-nmi', 'NMI of pseudo-labels against true labels: train solid, test dashed', 'NMI (0–1)', runs, styles,
      [{ key: 'cluster/nmi', name: 'train NMI' }, { key: 'cluster/testNmi', name: 'test NMI' }]),
    ...runs.map((r, i) => clusterSizeChart(r, i)),
    chart('time-epoch', 'Time per epoch: total solid, train dashed, eval dotted, relabel dash-dot', 'seconds', runs, styles,
      [{ key: 'time/epoch', name: 'epoch' }, { key: 'time/train', name: 'train' }, { key: 'time/eval', name: 'eval' }, { key: 'time/relabel', name: 'relabel' }]),
    chart('time-poolWait', 'Trainer waiting on the clustering pool (should be ~0)', 'seconds per epoch', runs, styles, [{ key: 'time/poolWait', name: 'pool wait' }]),
    chart('speed', 'Training throughput', 'examples / second', runs, styles, [{ key: 'speed/examplesPerSec', name: 'examples/s' }]),
    chart('steps-loss', 'Training loss per logged step', nats, runs, styles, [{ key: 'loss/total', name: 'total' }], { xKey: 'step', source: 'steps' }),
  ];
  return charts.filter((c): c is ChartSpec => c !== null);
}

// ── the summary table ──────────────────────────────────────────────────────────────────────────────────────
/** The last non-null value of a key over a run's epochs. */
function lastOf(r: LoadedRun, key: string): number | null {
  for (let i = r.epochs.length - 1; i >= 0; i--) { const v = num(r.epochs[i][key]); if (v !== null) return v; }
  return null;
}
function sumOf(r: LoadedRun, key: string): number | null {
  const vs = r.epochs.map((e) => num(e[key])).filter((v): v is number => v !== null);
  return vs.length ? vs.reduce((a, b) => a + b, 0) : null;
}

/** Mean and sample standard deviation (n − 1) of the non-null values. */
export function meanSd(values: Array<number | null>): { mean: number; sd: number; n: number } | null {
  const v = values.filter((x): x is number => x !== null);
  if (!v.length) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, sd, n: v.length };
}

interface Column { head: string; get: (r: LoadedRun) => number | null; digits: number }
const COLUMNS: Column[] = [
  { head: 'test nats/example', get: (r) => lastOf(r, 'test/total'), digits: 2 },
  { head: 'train nats/example', get: (r) => lastOf(r, 'loss/total'), digits: 2 },
  { head: 'test BCE', get: (r) => lastOf(r, 'test/bce'), digits: 2 },
  { head: 'test KL_z', get: (r) => lastOf(r, 'test/klZ'), digits: 2 },
  { head: 'test KL_c', get: (r) => lastOf(r, 'test/klC'), digits: 2 },
  { head: 'accuracy', get: (r) => lastOf(r, 'cluster/acc'), digits: 3 },
  { head: 'NMI', get: (r) => lastOf(r, 'cluster/nmi'), digits: 3 },
  { head: 'test accuracy', get: (r) => lastOf(r, 'cluster/testAcc'), digits: 3 },
  { head: 'test NMI', get: (r) => lastOf(r, 'cluster/testNmi'), digits: 3 },
  { head: 'time (s)', get: (r) => sumOf(r, 'time/epoch'), digits: 1 },
  { head: 'examples/s', get: (r) => meanSd(r.epochs.map((e) => num(e['speed/examplesPerSec'])))?.mean ?? null, digits: 0 },
];

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (v: number | null, d: number): string => (v === null ? '–' : v.toFixed(d));

function summaryTable(runs: LoadedRun[]): string {
  const labels = [...new Set(runs.map((r) => r.label))];
  const rows = labels.map((label) => {
    const group = runs.filter((r) => r.label === label);
    const cells = COLUMNS.map((c) => {
      const s = meanSd(group.map(c.get));
      if (!s) return '<td>–</td>';
      const sd = group.length > 1 ? ` ± ${s.sd.toFixed(c.digits)}` : '';
      return `<td title="n = ${s.n}">${s.mean.toFixed(c.digits)}${sd}</td>`;
    }).join('');
    const seeds = group.map((r) => r.seed ?? '?').join(', ');
    const modes = [...new Set(group.map((r) => r.mode))].join(', ');
    const backends = [...new Set(group.map((r) => r.backend))].join(', ');
    return `<tr><th>${esc(label)}</th><td>${esc(modes)}</td><td>${group.length} (${esc(seeds)})</td>${cells}<td>${esc(backends)}</td></tr>`;
  });
  return `<div class="scroll"><table class="summary"><thead><tr><th>label</th><th>mode</th><th>runs (seeds)</th>${COLUMNS.map((c) => `<th>${esc(c.head)}</th>`).join('')}<th>backend</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
<p class="note">Final values (the last epoch that has the metric); mean ± sample standard deviation over the runs that share a label. Time is the sum of the epoch times.</p>`;
}

/** Dotted config keys whose values differ between runs (what the comparison varies). */
function differingKeys(runs: LoadedRun[]): string[] {
  const flat = (o: unknown, pre: string, out: Map<string, string>): Map<string, string> => {
    if (o && typeof o === 'object' && !Array.isArray(o)) for (const [k, v] of Object.entries(o)) flat(v, pre ? `${pre}.${k}` : k, out);
    else out.set(pre, JSON.stringify(o));
    return out;
  };
  const maps = runs.map((r) => flat(r.config ?? {}, '', new Map()));
  const keys = new Set(maps.flatMap((m) => [...m.keys()]));
  return [...keys].filter((k) => k !== 'name' && new Set(maps.map((m) => m.get(k))).size > 1).sort();
}

function runTable(runs: LoadedRun[]): string {
  const diff = differingKeys(runs);
  const get = (r: LoadedRun, key: string): string => {
    let v: unknown = r.config;
    for (const p of key.split('.')) v = v && typeof v === 'object' ? (v as Rec)[p] : undefined;
    return v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
  };
  const rows = runs.map((r) => `<tr><th>${esc(r.name)}</th>${diff.map((k) => `<td>${esc(get(r, k))}</td>`).join('')}<td>${r.epochs.length}</td>`
    + `<td>${fmt(lastOf(r, 'test/total'), 2)}</td><td>${fmt(lastOf(r, 'cluster/acc'), 3)}</td><td>${fmt(lastOf(r, 'cluster/nmi'), 3)}</td>`
    + `<td>${fmt(sumOf(r, 'time/epoch'), 1)}</td><td>${esc(r.backend)}</td><td class="path">${esc(r.dir)}${r.badLines ? ` <span class="warn">(${r.badLines} unreadable metrics line(s) skipped)</span>` : ''}</td></tr>`);
  return `<div class="scroll"><table class="runs"><thead><tr><th>run</th>${diff.map((k) => `<th>${esc(k)}</th>`).join('')}<th>epochs</th><th>test nats</th><th>accuracy</th><th>NMI</th><th>time (s)</th><th>backend</th><th>folder</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function imagesSection(runs: LoadedRun[]): string {
  const seen = new Set<string>();
  const parts = runs.filter((r) => r.images.length).map((r) => {
    const first = !seen.has(r.label); seen.add(r.label);
    const figs = r.images.map((im) => {
      const cap = IMAGE_FILES.find((f) => f.file === im.file)!.caption;
      return `<figure><img alt="${esc(im.file)} of ${esc(r.name)}" src="${im.dataUri}" width="${im.width * 2}" height="${im.height * 2}"><figcaption><b>${esc(im.file)}</b>: ${esc(cap)}</figcaption></figure>`;
    }).join('\n');
    return `<details${first ? ' open' : ''}><summary>${esc(r.name)} (${esc(r.mode)})</summary><div class="figs">${figs}</div></details>`;
  });
  return parts.length ? parts.join('\n') : '<p class="note">No image grids in these run folders.</p>';
}

function configSection(runs: LoadedRun[]): string {
  return runs.map((r) => `<details><summary>${esc(r.name)}: config.json</summary><pre>${esc(r.config ? JSON.stringify(r.config, null, 2) : '(no config.json)')}</pre></details>`).join('\n');
}

const CSS = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1400px; padding: 16px 24px; color: #1d1d1f; }
h1 { font-size: 22px; margin: 4px 0; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.note { color: #555; font-size: 12.5px; } .warn { color: #b33; } .path { font-family: ui-monospace, monospace; font-size: 11.5px; color: #555; }
table { border-collapse: collapse; font-size: 12.5px; margin: 6px 0; } th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; white-space: nowrap; }
thead th { background: #f3f3f6; text-align: center; white-space: normal; min-width: 48px; }
.scroll { overflow-x: auto; max-width: 100%; } tbody th { text-align: left; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px 22px; }
.chart h3 { font-size: 13px; margin: 0 0 4px; font-weight: 600; }
.figs { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
figure { margin: 6px 0; max-width: 100%; } figure img { image-rendering: pixelated; max-width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: #444; max-width: 560px; }
details { margin: 6px 0; } summary { cursor: pointer; font-weight: 600; } pre { font-size: 11.5px; background: #f7f7f9; padding: 8px; overflow-x: auto; }
.u-legend { font-size: 11.5px; text-align: left; } .u-legend .u-series > * { padding: 1px 3px; }
`;

/** The page's own script: one uPlot per chart spec, value formatting for the live legend, cursor sync. */
const APP = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  function fmt(v) {
    if (v == null || !isFinite(v)) return '–';
    var a = Math.abs(v);
    return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : +v.toPrecision(5) + '';
  }
  var plots = [];
  data.charts.forEach(function (c) {
    var host = document.getElementById('chart-' + c.id);
    var width = Math.max(360, host.clientWidth || 560);
    var series = [{ label: c.xLabel, value: function (u, v) { return v == null ? '–' : v; } }];
    c.series.forEach(function (s) {
      series.push({ label: s.label, stroke: s.color, dash: s.dash, width: 1.6, spanGaps: true,
        points: { size: 5 }, value: function (u, v) { return fmt(v); } });
    });
    var opts = {
      width: width, height: 300,
      cursor: { sync: { key: c.xLabel }, points: { size: 7 } },
      scales: { x: { time: false }, y: c.log ? { distr: 3 } : {} },
      axes: [
        { label: c.xLabel, values: function (u, ticks) { return ticks.map(function (t) { return Number.isInteger(t) ? t : ''; }); } },
        { label: c.yLabel, size: 64, values: function (u, ticks) { return ticks.map(fmt); } }
      ],
      legend: { live: true },
      series: series,
      // before any hover, the legend shows the last epoch's values
      hooks: { ready: [function (u) { u.setLegend({ idx: u.data[0].length - 1 }); }] }
    };
    var plot = new uPlot(opts, [c.x].concat(c.series.map(function (s) { return s.values; })), host);
    plots.push({ plot: plot, host: host });
  });
  var t = null;
  window.addEventListener('resize', function () {
    clearTimeout(t);
    t = setTimeout(function () { plots.forEach(function (p) { p.plot.setSize({ width: Math.max(360, p.host.clientWidth), height: 300 }); }); }, 150);
  });
  document.body.setAttribute('data-charts-rendered', String(plots.length));
})();
`;

/** JSON that is safe inside a <script> element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

function inlineScript(src: string): string {
  if (/<\/script/i.test(src)) throw new Error('report: an inlined script contains "</script"');
  return src;
}

/** Everything the report page is built from; exported for tests. */
export function loadRuns(runs: ReportRun[]): { runs: LoadedRun[]; charts: ChartSpec[] } {
  const loaded = runs.map(loadRun);
  // names: the label, plus the seed (or an index) where several runs share the label
  const labels = [...new Set(loaded.map((r) => r.label))];
  const styles = new Map<LoadedRun, string>();
  labels.forEach((label, li) => {
    const group = loaded.filter((r) => r.label === label);
    group.forEach((r, si) => {
      if (group.length > 1) r.name = r.seed !== null && new Set(group.map((g) => g.seed)).size === group.length ? `${label} s${r.seed}` : `${label} #${si + 1}`;
      styles.set(r, colour(li, si));
    });
  });
  return { runs: loaded, charts: buildCharts(loaded, styles) };
}

/** Writes one self-contained HTML file (inline JS, CSS and data: URI images; no network) over the runs. */
export function writeReport(opts: ReportOptions): void {
  if (!opts.runs.length) throw new Error('report: no runs given');
  const req = createRequire(import.meta.url);
  const uplotJs = readFileSync(req.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(req.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const { runs, charts } = loadRuns(opts.runs);
  const backends = [...new Set(runs.map((r) => r.backend))].join(', ');
  const chartDivs = charts.map((c) => `<div class="chart"><h3>${esc(c.title)}</h3><div id="chart-${esc(c.id)}"></div></div>`).join('\n');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(opts.title)}</title>
<style>${uplotCss}</style>
<style>${CSS}</style>
</head><body>
<h1>${esc(opts.title)}</h1>
<p class="note">${runs.length} run(s): ${runs.map((r) => esc(r.name)).join(', ')}. Backend: ${esc(backends)}. Generated ${esc(new Date().toISOString())}.
Losses are in nats per example. Hover a chart: its legend shows every series' value at that epoch.</p>
<h2>Summary</h2>
${summaryTable(runs)}
${runTable(runs)}
<h2>Curves</h2>
<div class="charts">
${chartDivs}
</div>
<h2>Image grids</h2>
${imagesSection(runs)}
<h2>Configs</h2>
${configSection(runs)}
<script id="report-data" type="application/json">${scriptJson({ title: opts.title, charts })}</script>
<script>${inlineScript(uplotJs)}</script>
<script>${inlineScript(APP)}</script>
</body></html>
`;
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  const tmp = `${opts.out}.tmp-${process.pid}`;
  writeFileSync(tmp, html);
  renameSync(tmp, opts.out); // a reader (a browser reloading the page) never sees half a file
}
