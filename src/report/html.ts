// report.html: one self-contained, offline page over one or more run folders: the summary (final re-clustering
// next to the training pseudo-labels), curves, the clusters (map, confusion matrix, labelled sample rows), image
// grids and configs; across runs, overlaid curves and a mean ± sd summary per label. Rewritten after every epoch.
//
// Charts: uPlot (MIT, ~50 kB minified, no dependencies), inlined from node_modules. Why uPlot rather than
// Chart.js (~200 kB) or hand-written SVG: it is small enough to inline into every report, it draws our
// shape of data (a shared x = epoch, many series, gaps as null) directly, and its live legend shows every
// series' value under the cursor (hover) with cursors synced across charts; it is well kept and widely used.
// The cluster map is a plain canvas (page-script.ts): a scatter of 3,000 points needs no chart library.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { buildCharts, runColour, type ChartSpec } from './charts.js';
import { clusterSection, labelledSampleRows, type MapData } from './cluster-views.js';
import { APP, CSS } from './page-script.js';
import { IMAGE_FILES, loadRun, type LoadedRun, type ReportRun } from './runs.js';
import { configSection, esc, runTable, summaryTable } from './tables.js';

export type { ChartSpec } from './charts.js';
export type { ReportRun } from './runs.js';
export { IMAGE_FILES } from './runs.js';
export { meanSd } from './tables.js';

export interface ReportOptions {
  /** path of the HTML file to write */
  out: string;
  title: string;
  runs: ReportRun[];
}

/** The image grids of each run; a uvhe/vhe run's cluster-samples.png is cut into labelled rows where it can be. */
function imagesSection(runs: LoadedRun[]): { html: string; css: string } {
  const seen = new Set<string>();
  const css: string[] = [];
  const parts = runs.filter((r) => r.images.length).map((r, ri) => {
    const first = !seen.has(r.label); seen.add(r.label);
    const figs = r.images.map((im) => {
      const cap = IMAGE_FILES.find((f) => f.file === im.file)!.caption;
      const rows = im.file === 'cluster-samples.png' ? labelledSampleRows(r, im, `cs-${ri}`) : null;
      if (rows) {
        css.push(`.cs-${ri} { background-image: url("${im.dataUri}"); }`);
        return `<figure class="cluster-samples">${rows}<figcaption><b>${esc(im.file)}</b>, one row per training pseudo-class, labelled with its size, `
          + `its most common true label and that label's share (purity): ${esc(cap)}</figcaption></figure>`;
      }
      return `<figure><img alt="${esc(im.file)} of ${esc(r.name)}" src="${im.dataUri}" width="${im.width * 2}" height="${im.height * 2}"><figcaption><b>${esc(im.file)}</b>: ${esc(cap)}</figcaption></figure>`;
    }).join('\n');
    return `<details${first ? ' open' : ''}><summary>${esc(r.name)} (${esc(r.mode)})</summary><div class="figs">${figs}</div></details>`;
  });
  return { html: parts.length ? parts.join('\n') : '<p class="note">No image grids in these run folders.</p>', css: css.join('\n') };
}

/** The clusters of every run that has them (vae runs without a final re-clustering have none). */
function clustersSection(runs: LoadedRun[]): { html: string; maps: MapData[] } {
  const maps: MapData[] = [];
  const parts = runs.filter((r) => r.clusters || r.mode === 'uvhe').map((r, i) => {
    const s = clusterSection(r, i);
    if (s.map) maps.push(s.map);
    return runs.length > 1 ? `<details${i === 0 ? ' open' : ''}><summary>${esc(r.name)}</summary>${s.html}</details>` : s.html;
  });
  return { html: parts.length ? parts.join('\n') : '<p class="note">No clusters in these run folders.</p>', maps };
}

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
      styles.set(r, runColour(li, si));
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
  const clusters = clustersSection(runs), images = imagesSection(runs);
  const lastEpoch = Math.max(0, ...runs.map((r) => Number(r.epochs.at(-1)?.epoch ?? 0)));
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${esc(opts.title)}</title>
<style>${uplotCss}</style>
<style>${CSS}
${images.css}</style>
</head><body>
<h1>${esc(opts.title)}</h1>
<p class="note">${runs.length} run(s): ${runs.map((r) => esc(r.name)).join(', ')}. Backend: ${esc(backends)}. Generated ${esc(new Date().toISOString())}
after epoch ${lastEpoch}; during a run the page is rewritten after every epoch: reload it. Losses are in nats per example.
Hover a chart: its legend shows every series' value at that epoch.</p>
<h2>Summary</h2>
${summaryTable(runs)}
${runTable(runs)}
<h2>Clusters</h2>
${clusters.html}
<h2>Curves</h2>
<div class="charts">
${chartDivs}
</div>
<h2>Image grids</h2>
${images.html}
<h2>Configs</h2>
${configSection(runs)}
<script id="report-data" type="application/json">${scriptJson({ title: opts.title, charts, maps: clusters.maps })}</script>
<script>${inlineScript(uplotJs)}</script>
<script>${inlineScript(APP)}</script>
</body></html>
`;
  mkdirSync(dirname(resolve(opts.out)), { recursive: true });
  const tmp = `${opts.out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, opts.out); // a reader (a browser reloading the page) never sees half a file
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** A run folder's own report.html (title: the folder's name); returns the error's first line instead of throwing,
 *  so that a report that cannot be written never stops the run that writes it. */
export function writeRunReport(dir: string, label: string): string | null {
  try {
    writeReport({ out: join(dir, 'report.html'), title: basename(dir), runs: [{ label, dir }] });
    return null;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}
