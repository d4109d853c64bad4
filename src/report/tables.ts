// The report's tables over runs: the summary per label (final re-clustering next to the training pseudo-labels,
// mean ± sd over seeds), the per-run table of what differs, and the folded configs. Plus the HTML helpers.
import { finalRuleName } from './cluster-map.js';
import { num, type LoadedRun, type Rec } from './runs.js';

export const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
export const fmt = (v: number | null, d: number): string => (v === null ? '–' : v.toFixed(d));

/** The last non-null value of a key over a run's epochs (final/* keys: the last epoch line's). */
export function lastOf(r: LoadedRun, key: string): number | null {
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

/** The final rule in words: the last epoch line's final/rule where a writer records it, else from config.json. */
export function finalRule(r: LoadedRun): string | null {
  if (lastOf(r, 'final/acc') === null) return null;
  const rec = r.epochs.at(-1)?.['final/rule'];
  if (typeof rec === 'string') return rec;
  const ev = (r.config?.eval ?? {}) as Rec;
  return finalRuleName(r.mode, ev.embed ?? 'umap', ev.space ?? 'z');
}

interface Column { group: string; head: string; get: (r: LoadedRun) => number | null; digits: number; text?: (r: LoadedRun) => string | null }
const COLUMNS: Column[] = [
  { group: 'likelihood (nats / example)', head: 'test', get: (r) => lastOf(r, 'test/total'), digits: 2 },
  { group: 'likelihood (nats / example)', head: 'train', get: (r) => lastOf(r, 'loss/total'), digits: 2 },
  { group: 'likelihood (nats / example)', head: 'test BCE', get: (r) => lastOf(r, 'test/bce'), digits: 2 },
  { group: 'likelihood (nats / example)', head: 'test KL_z', get: (r) => lastOf(r, 'test/klZ'), digits: 2 },
  { group: 'likelihood (nats / example)', head: 'test KL_c', get: (r) => lastOf(r, 'test/klC'), digits: 2 },
  { group: 'final re-clustering of the training codes', head: 'accuracy', get: (r) => lastOf(r, 'final/acc'), digits: 3 },
  { group: 'final re-clustering of the training codes', head: 'NMI', get: (r) => lastOf(r, 'final/nmi'), digits: 3 },
  { group: 'final re-clustering of the training codes', head: 'k', get: (r) => lastOf(r, 'final/k'), digits: 0 },
  { group: 'final re-clustering of the training codes', head: 'rule', get: () => null, digits: 0, text: finalRule },
  { group: 'training pseudo-labels', head: 'accuracy', get: (r) => lastOf(r, 'cluster/acc'), digits: 3 },
  { group: 'training pseudo-labels', head: 'NMI', get: (r) => lastOf(r, 'cluster/nmi'), digits: 3 },
  { group: 'test split assigned to them', head: 'accuracy', get: (r) => lastOf(r, 'cluster/testAcc'), digits: 3 },
  { group: 'test split assigned to them', head: 'NMI', get: (r) => lastOf(r, 'cluster/testNmi'), digits: 3 },
  { group: 'speed', head: 'time (s)', get: (r) => sumOf(r, 'time/epoch'), digits: 1 },
  { group: 'speed', head: 'examples/s', get: (r) => meanSd(r.epochs.map((e) => num(e['speed/examplesPerSec'])))?.mean ?? null, digits: 0 },
];

/** Column groups as one header row of colspans. */
function groupRow(): string {
  const cells: Array<{ group: string; span: number }> = [];
  for (const c of COLUMNS) { const last = cells.at(-1); if (last && last.group === c.group) last.span++; else cells.push({ group: c.group, span: 1 }); }
  return cells.map((c) => `<th colspan="${c.span}">${esc(c.group)}</th>`).join('');
}

export function summaryTable(runs: LoadedRun[]): string {
  const labels = [...new Set(runs.map((r) => r.label))];
  const rows = labels.map((label) => {
    const group = runs.filter((r) => r.label === label);
    const cells = COLUMNS.map((c) => {
      if (c.text) return `<td class="text">${esc([...new Set(group.map(c.text).filter((t) => t !== null))].join(', ') || '–')}</td>`;
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
  return `<div class="scroll"><table class="summary"><thead><tr><th rowspan="2">label</th><th rowspan="2">mode</th><th rowspan="2">runs (seeds)</th>${groupRow()}<th rowspan="2">backend</th></tr>
<tr>${COLUMNS.map((c) => `<th>${esc(c.head)}</th>`).join('')}</tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
<p class="note">Final values (the last epoch that has the metric); mean ± sample standard deviation over the runs that share a label.
<b>Final re-clustering</b>: the run's result, the training codes clustered once more after the last epoch at k = the number of
classes by the rule shown, scored against the true labels (Hungarian accuracy). <b>Training pseudo-labels</b>: the clusters training
drew its sets D from, after the last epoch's relabel, at k = cluster.k. <b>Test split</b>: test images assigned to those clusters.
Time is the sum of the epoch times.</p>`;
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

export function runTable(runs: LoadedRun[]): string {
  const diff = differingKeys(runs);
  const get = (r: LoadedRun, key: string): string => {
    let v: unknown = r.config;
    for (const p of key.split('.')) v = v && typeof v === 'object' ? (v as Rec)[p] : undefined;
    return v === undefined ? '–' : typeof v === 'string' ? v : JSON.stringify(v);
  };
  const rows = runs.map((r) => `<tr><th>${esc(r.name)}</th>${diff.map((k) => `<td>${esc(get(r, k))}</td>`).join('')}<td>${r.epochs.length}</td>`
    + `<td>${fmt(lastOf(r, 'test/total'), 2)}</td><td>${fmt(lastOf(r, 'final/acc'), 3)}</td><td>${fmt(lastOf(r, 'cluster/acc'), 3)}</td><td>${fmt(lastOf(r, 'cluster/nmi'), 3)}</td>`
    + `<td>${fmt(sumOf(r, 'time/epoch'), 1)}</td><td>${esc(r.backend)}</td><td class="path">${esc(r.dir)}${r.badLines ? ` <span class="warn">(${r.badLines} unreadable metrics line(s) skipped)</span>` : ''}</td></tr>`);
  return `<div class="scroll"><table class="runs"><thead><tr><th>run</th>${diff.map((k) => `<th>${esc(k)}</th>`).join('')}<th>epochs</th><th>test nats</th><th>final accuracy</th><th>pseudo-label accuracy</th><th>pseudo-label NMI</th><th>time (s)</th><th>backend</th><th>folder</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

export function configSection(runs: LoadedRun[]): string {
  return runs.map((r) => `<details><summary>${esc(r.name)}: config.json</summary><pre>${esc(r.config ? JSON.stringify(r.config, null, 2) : '(no config.json)')}</pre></details>`).join('\n');
}
