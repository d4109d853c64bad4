// The report's cluster views of one run, from clusters.json: the map of the codes (data for the page's canvas
// script), the confusion matrix of clusters against true labels, and the rows of cluster-samples.png labelled
// with each cluster's size, majority label and purity.
import type { ClusteringPart } from './cluster-map.js';
import { clusterColour } from './charts.js';
import { pseudoIds, type LoadedImage, type LoadedRun } from './runs.js';
import { esc } from './tables.js';

/** One cluster's summary: its size, its most common true label and that label's share of it (purity). */
export interface ClusterStat { cluster: number; size: number; majority: number | null; purity: number | null }

/** Per cluster, from the k×classes confusion counts (majority and purity null without labels or members). */
export function clusterStats(p: ClusteringPart): ClusterStat[] {
  return p.sizes.map((size, c) => {
    const row = p.confusion?.[c];
    if (!row || size === 0) return { cluster: c, size, majority: null, purity: null };
    let best = 0;
    row.forEach((v, y) => { if (v > row[best]) best = y; });
    return { cluster: c, size, majority: best, purity: row[best] / size };
  });
}

const int = (v: number): string => v.toLocaleString('en-US');
const pct = (v: number): string => (v === 0 || v === 1 ? `${100 * v}%` : `${(100 * v).toFixed(v > 0.995 || v < 0.1 ? 1 : 0)}%`);
const swatch = (colour: string): string => `<span class="sw" style="background:${colour}"></span>`;

/** "mostly 7 (purity 0.97)", or "" without labels. */
function majorityText(s: ClusterStat): string {
  return s.majority === null ? '' : `mostly ${s.majority} (purity ${s.purity!.toFixed(2)})`;
}

/**
 * The confusion matrix as an HTML table: one row per cluster (all k, sorted by majority label, then size; empty
 * ones last) named by its majority label and purity, one column per true label, each cell shaded by its share of
 * the cluster; footers with the examples per label and how many clusters each label is the majority of.
 */
export function confusionTable(p: ClusteringPart, name: (c: number) => string, colour: (c: number) => string, caption: string): string {
  if (!p.confusion) return '';
  const stats = clusterStats(p), C = p.confusion[0]?.length ?? 0;
  const order = [...stats].sort((a, b) => (a.size === 0 ? 1 : 0) - (b.size === 0 ? 1 : 0) || (a.majority ?? C) - (b.majority ?? C) || b.size - a.size);
  const totals = Array.from({ length: C }, (_, y) => p.confusion!.reduce((a, row) => a + row[y], 0));
  const held = Array.from({ length: C }, (_, y) => stats.filter((s) => s.majority === y).length);
  const rows = order.map((s) => {
    const row = p.confusion![s.cluster];
    const cells = row.map((v, y) => {
      const share = s.size ? v / s.size : 0;
      const style = v ? ` style="background:rgba(78,121,167,${Math.max(0.06, share).toFixed(3)})${share > 0.5 ? ';color:#fff' : ''}"` : '';
      const title = `${name(s.cluster)}, label ${y}: ${int(v)} (${pct(share)} of the cluster, ${totals[y] ? pct(v / totals[y]) : '–'} of label ${y})`;
      return `<td${style} title="${esc(title)}">${v ? int(v) : ''}</td>`;
    }).join('');
    return `<tr data-cluster="${s.cluster}"><th>${swatch(colour(s.cluster))}${esc(name(s.cluster))}</th><td>${int(s.size)}</td>`
      + `<td>${s.majority ?? '–'}</td><td>${s.purity === null ? '–' : s.purity.toFixed(3)}</td>${cells}</tr>`;
  }).join('\n');
  const orphans = held.map((h, y) => ({ h, y })).filter((o) => o.h === 0 && totals[o.y] > 0).map(({ y }) => {
    const where = stats.map((s) => ({ s, v: p.confusion![s.cluster][y] })).filter((w) => w.v > 0).sort((a, b) => b.v - a.v).slice(0, 3);
    return `label ${y} (${where.map((w) => `${pct(w.v / totals[y])} in ${esc(name(w.s.cluster))}, ${esc(majorityText(w.s) || 'no majority')}`).join('; ')})`;
  });
  return `<div class="scroll"><table class="confusion"><caption>${esc(caption)}</caption>
<thead><tr><th>cluster</th><th>size</th><th>majority label</th><th>purity</th>${Array.from({ length: C }, (_, y) => `<th>${y}</th>`).join('')}</tr></thead>
<tbody>${rows}</tbody>
<tfoot><tr><th>examples per label</th><td>${int(p.labels.length)}</td><td></td><td></td>${totals.map((t) => `<td>${int(t)}</td>`).join('')}</tr>
<tr><th>clusters it is the majority of</th><td></td><td></td><td></td>${held.map((h) => `<td${h === 0 ? ' class="warn"' : ''}>${h}</td>`).join('')}</tr></tfoot>
</table></div>
<p class="note">Rows: clusters, columns: true labels; a cell's shade is its share of the cluster's examples (hover a cell for both shares).
${orphans.length ? `<span class="warn">No cluster has as its majority: ${orphans.join('; ')}.</span>` : 'Every label is the majority of at least one cluster.'}</p>`;
}

/** The map's data for the page script: layouts and colourings over its m points, the thumbnails. */
export interface MapData {
  id: string;
  index: number[];
  layouts: Array<{ key: string; name: string; x: number[]; y: number[] }>;
  colourings: Array<{ key: string; name: string; values: number[]; names: string[]; colours: string[] }>;
  thumbs: { uri: string; cols: number; w: number; h: number } | null;
}

/** Names and colours of one clustering's clusters (pseudo-classes under their stable ids). */
function naming(r: LoadedRun, which: 'final' | 'pseudo'): { name: (c: number) => string; colour: (c: number) => string } {
  if (which === 'final') return { name: (c) => `cluster ${c}`, colour: clusterColour };
  const ids = pseudoIds(r) ?? [];
  const word = r.mode === 'vhe' ? 'class' : 'pseudo-class';
  return { name: (c) => `${word} ${ids[c] ?? c}`, colour: (c) => clusterColour(ids[c] ?? c) };
}

export function mapData(r: LoadedRun, id: string): MapData | null {
  const f = r.clusters, m = f?.map;
  if (!f || !m) return null;
  const colourings: MapData['colourings'] = [];
  for (const which of ['final', 'pseudo'] as const) {
    const part = f[which], values = m[which];
    if (!part || !values) continue;
    const { name, colour } = naming(r, which), stats = clusterStats(part);
    colourings.push({
      key: which, name: which === 'final' ? `final clusters (${f.final!.rule})` : r.mode === 'vhe' ? 'training classes' : 'training pseudo-labels',
      values, names: stats.map((s) => `${name(s.cluster)}${s.majority === null ? '' : ` (mostly ${s.majority}, ${pct(s.purity!)})`}`),
      colours: stats.map((s) => colour(s.cluster)),
    });
  }
  if (m.label) {
    colourings.push({ key: 'label', name: 'true labels', values: m.label, names: Array.from({ length: f.classes }, (_, y) => `label ${y}`),
      colours: Array.from({ length: f.classes }, (_, y) => clusterColour(y)) });
  }
  const layouts = [...(m.umap ? [{ key: 'umap', name: 'UMAP-style layout', ...m.umap }] : []), { key: 'pca', name: `top two principal components (${pct(m.pca.explained)} of the variance)`, x: m.pca.x, y: m.pca.y }];
  const t = r.thumbs;
  return { id, index: m.index, layouts, colourings, thumbs: t ? { uri: t.dataUri, cols: m.thumbs.cols, w: f.image.cols, h: f.image.rows } : null };
}

function mapHtml(r: LoadedRun, d: MapData): string {
  const m = r.clusters!.map!;
  const radios = (kind: string, items: Array<{ key: string; name: string }>): string => items.map((it, i) =>
    `<label><input type="radio" name="${d.id}-${kind}" value="${it.key}"${i === 0 ? ' checked' : ''}> ${esc(it.name)}</label>`).join(' ');
  return `<div class="map" id="${d.id}">
<div class="map-controls"><div><b>colour by</b> ${radios('colour', d.colourings)}</div><div><b>layout</b> ${radios('layout', d.layouts)}</div></div>
<div class="map-body"><canvas class="map-canvas"></canvas><div class="map-legend"></div><div class="map-tip" hidden><canvas width="84" height="84"></canvas><div class="map-tip-text"></div></div></div>
<p class="note">${int(d.index.length)} of the ${int(r.clusters!.n)} training examples (a seeded uniform sample), epoch ${r.clusters!.epoch}: the ${esc(m.codes)}
(${m.d} dimensions) laid out in 2-D. The UMAP-style layout keeps each code next to its nearest neighbours (distances between islands mean little);
the principal components are a linear projection (distances only shrink). Hover a point for its image, index, clusters and label; click a legend
entry to pick out one cluster.</p></div>`;
}

/** cluster-samples.png cut into its rows, each labelled with its cluster's size, majority label and purity;
 *  null where the image's rows cannot be matched to the clusters (then the image is shown whole). */
export function labelledSampleRows(r: LoadedRun, img: LoadedImage, cls: string): string | null {
  const p = r.clusters?.pseudo, h = r.clusters?.image.rows;
  if (!p || !h || r.mode === 'vae') return null;
  // one row per non-empty cluster, in id order; rows·h + (rows + 1)·pad pixels high
  const live = clusterStats(p).filter((s) => s.size > 0), R = live.length;
  const pad = (img.height - R * h) / (R + 1);
  if (!R || !Number.isInteger(pad) || pad < 0) return null;
  const { name, colour } = naming(r, 'pseudo'), S = 2;
  const rows = live.map((s, j) => {
    const style = `width:${img.width * S}px;height:${(h + 2 * pad) * S}px;background-position:0 ${-j * (h + pad) * S}px;background-size:${img.width * S}px ${img.height * S}px`;
    return `<div class="cs-row"><div class="cs-label">${swatch(colour(s.cluster))}<b>${esc(name(s.cluster))}</b><br>${int(s.size)} examples`
      + `${s.majority === null ? '' : `<br>mostly ${s.majority}<br>purity ${s.purity!.toFixed(2)}`}</div><div class="cs-img ${cls}" style="${style}"></div></div>`;
  });
  return `<div class="cs-rows">${rows.join('\n')}</div>`;
}

/** The "Clusters" part of one run: map, confusion matrices; returns the maps' data for the page script. */
export function clusterSection(r: LoadedRun, idx: number): { html: string; map: MapData | null } {
  const f = r.clusters;
  if (!f) return { html: `<p class="note">${esc(r.name)}: no clusters.json (it is written at the end of a run: reload then).</p>`, map: null };
  const map = mapData(r, `map-${idx}`);
  const parts = [map ? mapHtml(r, map) : '<p class="note">No map: this run has no codes to lay out.</p>'];
  if (f.final) parts.push(confusionTable(f.final, naming(r, 'final').name, clusterColour, `Final re-clustering (${f.final.rule}, k = ${f.final.k}) against the true labels`));
  if (f.pseudo) {
    const n = naming(r, 'pseudo');
    const t = confusionTable(f.pseudo, n.name, n.colour, `Training pseudo-labels (k = ${f.pseudo.k}) against the true labels`);
    if (t) parts.push(f.final ? `<details><summary>Training pseudo-labels against the true labels</summary>${t}</details>` : t);
  }
  if (!f.final?.confusion && !f.pseudo?.confusion) parts.push('<p class="note">No confusion matrix: the training data has no labels.</p>');
  return { html: parts.join('\n'), map };
}
