// report.html over real run folders: self-contained (no network references), every run's label and the charts'
// data inside, mean ± sd per label; and tolerant of missing keys, nulls and a torn metrics line.
import { appendFileSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRuns, meanSd, writeReport } from '../../src/report/html.js';
import { makeRuns, type FixtureRun } from './helpers.js';

function chartData(html: string): { charts: Array<{ id: string; x: number[]; series: Array<{ label: string; values: Array<number | null> }> }> } {
  const m = /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]);
}

describe('writeReport', () => {
  let runs: FixtureRun[];
  let html: string;
  beforeAll(async () => {
    runs = await makeRuns([{ mode: 'vae', seed: 1 }, { mode: 'vae', seed: 2 }, { mode: 'uvhe', seed: 1 }, { mode: 'uvhe', seed: 2 }]);
    const out = join(mkdtempSync(join(tmpdir(), 'uvhe-html-')), 'report.html');
    writeReport({ out, title: 'vae <vs> uvhe', runs: runs.map(({ label, dir }) => ({ label, dir })) });
    html = readFileSync(out, 'utf8');
  });

  it('is self-contained: inline scripts and styles, images as data: URIs, no http(s) src/href', () => {
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+stylesheet/i);
    expect(html).toContain('uPlot'); // the chart library is inlined
    const imgs = [...html.matchAll(/<img [^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(imgs.length).toBe(2 * 2 + 2 * 2); // vae: reconstructions + samples; uvhe: + few-shot, its samples cut into labelled rows
    for (const s of imgs) expect(s.startsWith('data:image/png;base64,')).toBe(true);
    expect(html).toContain('<title>vae &lt;vs&gt; uvhe</title>'); // escaped
  });

  it('names every run and holds the charts\' data, from metrics.jsonl', () => {
    for (const n of ['vae s1', 'vae s2', 'uvhe s1', 'uvhe s2']) expect(html).toContain(n);
    const { charts } = chartData(html);
    const ids = charts.map((c) => c.id);
    for (const id of ['loss-total', 'loss-bce', 'loss-klZ', 'loss-klC', 'loss-klCWeighted', 'grad-norms', 'grad-ratio',
      'cluster-acc', 'cluster-nmi', 'sizes-2', 'sizes-3', 'time-epoch', 'speed', 'steps-loss']) expect(ids).toContain(id);
    const loss = charts.find((c) => c.id === 'loss-total')!;
    expect(loss.x).toEqual([1, 2, 3]);
    const metrics = readFileSync(join(runs[2].dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.kind === 'epoch');
    expect(loss.series.find((s) => s.label === 'uvhe s1 train total')!.values).toEqual(metrics.map((r) => r['loss/total']));
    expect(loss.series.find((s) => s.label === 'uvhe s1 test total')!.values).toEqual(metrics.map((r) => r['test/total']));
    // vae has no c: no ‖∂L/∂c‖ series for it, and no clustering series
    const grads = charts.find((c) => c.id === 'grad-norms')!.series.map((s) => s.label);
    expect(grads).toContain('vae s1 ‖∂L/∂z‖');
    expect(grads).not.toContain('vae s1 ‖∂L/∂c‖');
    expect(grads).toContain('uvhe s2 ‖∂L/∂c‖');
    expect(charts.find((c) => c.id === 'cluster-acc')!.series.every((s) => s.label.startsWith('uvhe'))).toBe(true);
    const sizes = charts.find((c) => c.id === 'sizes-2')!;
    expect(sizes.series.filter((s) => s.label.startsWith('cluster ')).length).toBe(4);
    expect(html).toContain('wasm'); // the backend
  });

  it('clusters: a map per run, the confusion matrices, cluster-sample rows labelled from clusters.json', () => {
    const data = JSON.parse(/<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html)![1]);
    expect(data.maps.length).toBe(4); // vae: its final re-clustering's map too
    const live = runs.slice(2).map((r) => JSON.parse(readFileSync(join(r.dir, 'clusters.json'), 'utf8')).pseudo.sizes.filter((s: number) => s > 0).length);
    expect(html.match(/class="cs-row"/g)!.length).toBe(live[0] + live[1]); // one per non-empty pseudo-class of uvhe s1 and s2
    expect(html).toMatch(/<div class="cs-label"><span class="sw"[^>]*><\/span><b>pseudo-class \d+<\/b><br>\d+ examples<br>mostly \d<br>purity \d\.\d\d<\/div>/);
    expect(html.match(/<table class="confusion">/g)!.length).toBe(2 + 2 * 2); // vae: final; uvhe: final + pseudo-labels
    expect(html).toContain('final re-clustering of the training codes');
    expect(html).toContain('training pseudo-labels');
    expect(html).toContain('UMAP + GMM on z');
  });

  it('summary: mean ± sd of the final test nats per label', () => {
    const finals = runs.map((r) => {
      const recs = readFileSync(join(r.dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.kind === 'epoch');
      return recs[recs.length - 1]['test/total'] as number;
    });
    const vae = meanSd(finals.slice(0, 2))!;
    expect(html).toContain(`${vae.mean.toFixed(2)} ± ${vae.sd.toFixed(2)}`);
    const uvhe = meanSd(finals.slice(2))!;
    expect(html).toContain(`${uvhe.mean.toFixed(2)} ± ${uvhe.sd.toFixed(2)}`);
  });
});

describe('report inputs', () => {
  it('meanSd: sample sd; nulls ignored', () => {
    expect(meanSd([1, 2, 3, null])).toEqual({ mean: 2, sd: 1, n: 3 });
    expect(meanSd([5])).toEqual({ mean: 5, sd: 0, n: 1 });
    expect(meanSd([null])).toBeNull();
  });

  it('tolerates missing config, missing keys, nulls, a torn last line and no images', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-syn-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'metrics.jsonl'), [
      { kind: 'epoch', epoch: 1, 'loss/total': 10, 'grad/c': null, 'grad/ratio': null },
      { kind: 'epoch', epoch: 2, 'loss/total': 8, 'test/total': 9, 'grad/z': 0 },
    ].map((r) => JSON.stringify(r)).join('\n') + '\n');
    appendFileSync(join(dir, 'metrics.jsonl'), '{"kind":"epoch","epo');
    const { runs, charts } = loadRuns([{ label: 'synthetic', dir }]);
    expect(runs[0].badLines).toBe(1);
    expect(charts.map((c) => c.id).sort()).toEqual(['loss-total']);
    expect(charts[0].series.map((s) => s.values)).toEqual([[10, 8], [null, 9]]);
    const out = join(dir, 'report.html');
    writeReport({ out, title: 't', runs: [{ label: 'synthetic', dir }] });
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('No image grids');
    expect(html).toContain('1 unreadable metrics line');
  });
});
