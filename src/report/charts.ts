// The report's line charts as data for uPlot: a shared x axis (epoch or step) and series of the same length
// (null = gap), one per run × metric; plus the per-run cluster-size chart whose clusters keep their ids across
// relabels (cluster-match.ts).
import { num, type LoadedRun } from './runs.js';

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

const HUES = [212, 4, 130, 275, 32, 185, 320, 55];
const DASHES: number[][] = [[], [7, 4], [2, 3], [9, 3, 2, 3]];
/** A run's colour: a hue per label, a lightness per seed. */
export function runColour(labelIndex: number, seedIndex: number): string {
  return `hsl(${HUES[labelIndex % HUES.length]}, 70%, ${Math.min(70, 38 + 12 * seedIndex)}%)`;
}

/** Twenty distinguishable colours (Tableau 10 and its light twins), then golden-angle hues. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#79706e',
  '#a0cbe8', '#ffbe7d', '#ff9d9a', '#86bcb6', '#8cd17d', '#f1ce63', '#d4a6c8', '#fabfd2', '#d7b5a6', '#bab0ac'];
/** The colour of cluster (or class) id i, the same in every chart, table and map of the page. */
export function clusterColour(i: number): string {
  return i < PALETTE.length ? PALETTE[i] : `hsl(${Math.round((i * 137.508) % 360)}, 60%, 48%)`;
}

type Metric = { key: string; name: string };

/** Series per run × metric over the union of the runs' x values (epochs or steps). */
function chart(id: string, title: string, yLabel: string, runs: LoadedRun[], styles: Map<LoadedRun, string>,
  metrics: Metric[], opts: { log?: boolean; xKey?: 'epoch' | 'step'; source?: 'epochs' | 'steps' } = {}): ChartSpec | null {
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

/** Sizes of a run's clusters per epoch, one series per stable id (a cluster keeps its id and colour across relabels). */
function clusterSizeChart(r: LoadedRun, idx: number): ChartSpec | null {
  if (!r.tracks) return null;
  const { ids, how, count } = r.tracks;
  const x = r.sizeEpochs.map((e) => num(e.epoch)!);
  const series: ChartSpec['series'] = [];
  for (let t = 0; t < count; t++) {
    const values = r.sizeEpochs.map((e, ei) => {
      const c = ids[ei].indexOf(t);
      return c >= 0 ? num((e['cluster/sizes'] as unknown[])[c]) : null;
    });
    series.push({ label: `cluster ${t}`, color: clusterColour(t), dash: [], values });
  }
  const empty = r.sizeEpochs.map((e) => num(e['cluster/empty']));
  if (empty.some((v) => v !== null)) series.push({ label: 'empty clusters', color: '#000', dash: [2, 3], values: empty });
  const bySizes = how.includes('sizes') ? ' (some epochs matched on sizes alone)' : '';
  return {
    id: `sizes-${idx}`, title: `Cluster sizes: ${r.name}; each relabel's clusters matched to the previous epoch's by shared members${bySizes}`,
    xLabel: 'epoch (after its relabel)', yLabel: 'training examples', x, series,
  };
}

export function buildCharts(runs: LoadedRun[], styles: Map<LoadedRun, string>): ChartSpec[] {
  const tt = (term: string, name: string): Metric[] => [{ key: `loss/${term}`, name: `train ${name}` }, { key: `test/${term}`, name: `test ${name}` }];
  const nats = 'nats / example';
  const charts = [
    chart('loss-total', 'Loss (negative ELBO): train solid, test dashed', nats, runs, styles, tt('total', 'total')),
    chart('loss-bce', 'Reconstruction BCE(x, x̂), summed over pixels', nats, runs, styles, tt('bce', 'BCE')),
    chart('loss-klZ', 'KL(q(z|·) ‖ p(z|c)) (vae: against N(0, I))', nats, runs, styles, tt('klZ', 'KL_z')),
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
