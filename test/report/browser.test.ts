// The report in a real browser: Debian's chromium (never a downloaded one), driven by playwright-core, offline.
// Asserts that every chart draws (a canvas of non-zero size), every image decodes (naturalWidth > 0), hover
// fills the legend with values, the cluster maps draw, switch colourings and show an example on hover, the
// confusion table has k rows, the cluster-sample rows are labelled, and the page logs no error; saves
// screenshots under test-output/.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { writeReport } from '../../src/report/html.js';
import { makeRuns, ROOT, type FixtureRun } from './helpers.js';
import { CHROMIUM, launchChromium, watchedPage } from '../helpers/chromium.js';

const OUT = join(ROOT, 'test-output');

/** Non-white pixels of a map's canvas, a checksum of them, and the first one's position in CSS pixels. */
function mapInk(page: Page, id: string): Promise<{ n: number; sum: number; at: [number, number] | null }> {
  return page.$eval(`#${id} .map-canvas`, (c) => {
    // read a copy: repeated reads of the page's own canvas would make Chromium warn about readbacks
    const cv = c as HTMLCanvasElement, copy = document.createElement('canvas');
    copy.width = cv.width; copy.height = cv.height;
    const cx = copy.getContext('2d', { willReadFrequently: true })!;
    cx.drawImage(cv, 0, 0);
    const d = cx.getImageData(0, 0, cv.width, cv.height).data;
    let n = 0, sum = 0, at: [number, number] | null = null;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255) continue;
      n++; sum = (sum * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2] + i) % 1e9;
      if (!at && d[i + 3] > 200 && n > 50) { const p = i / 4; at = [(p % cv.width) * cv.clientWidth / cv.width, Math.floor(p / cv.width) * cv.clientHeight / cv.height]; }
    }
    return { n, sum, at };
  });
}

describe.skipIf(!existsSync(CHROMIUM))(`report.html in chromium (skipped: ${CHROMIUM} is absent; apt-get install chromium)`, () => {
  let report: string;
  let runs: FixtureRun[];
  beforeAll(async () => {
    // refit at every epoch, so that every epoch line has cluster/sizes and cluster/overlap
    runs = await makeRuns([{ mode: 'vae', seed: 1 }, { mode: 'uvhe', seed: 1 }, { mode: 'uvhe', seed: 2 }], 3, ['cluster.refit=epoch']);
    mkdirSync(OUT, { recursive: true });
    report = join(OUT, 'report.html');
    writeReport({ out: report, title: 'browser test: vae vs uvhe', runs: runs.map(({ label, dir }) => ({ label, dir })) });
  });

  it('draws every chart, map and image, shows values on hover, labels the clusters, and logs no error', async () => {
    const browser = await launchChromium();
    try {
      const { page, problems } = await watchedPage(browser, { width: 1400, height: 900 }, 'file:');
      await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
      await page.waitForSelector('body[data-charts-rendered]');
      await page.waitForSelector('body[data-maps-rendered]');

      const nCharts = await page.locator('.chart').count();
      expect(nCharts).toBeGreaterThanOrEqual(12);
      expect(await page.getAttribute('body', 'data-charts-rendered')).toBe(String(nCharts));
      const canvases = await page.$$eval('.chart canvas', (cs) => cs.map((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]));
      expect(canvases.length).toBe(nCharts);
      for (const [w, h] of canvases) { expect(w).toBeGreaterThan(0); expect(h).toBeGreaterThan(0); }
      // the canvas is not blank: some pixels differ from the first one
      const inked = await page.$eval('#chart-loss-total canvas', (c) => {
        const cv = c as HTMLCanvasElement, ctx = cv.getContext('2d')!;
        const d = ctx.getImageData(0, 0, cv.width, cv.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++;
        return n;
      });
      expect(inked).toBeGreaterThan(500);

      await page.$$eval('details', (ds) => ds.forEach((d) => ((d as HTMLDetailsElement).open = true)));
      const imgs = await page.$$eval('img', (is) => is.map((i) => [(i as HTMLImageElement).naturalWidth, (i as HTMLImageElement).naturalHeight]));
      expect(imgs.length).toBe(2 + 2 + 2); // the uvhe runs' cluster-samples.png is drawn as labelled rows
      for (const [w, h] of imgs) { expect(w).toBeGreaterThan(0); expect(h).toBeGreaterThan(0); }

      // hover the middle of the loss chart: the live legend shows numbers
      const over = page.locator('#chart-loss-total .u-over');
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      const values = await page.$$eval('#chart-loss-total .u-legend .u-value', (vs) => vs.map((v) => v.textContent ?? ''));
      expect(values.some((v) => /^\d+(\.\d+)?$/.test(v.trim()) && Number(v) > 10)).toBe(true);

      // the cluster maps: one per run, drawn; map-1 is uvhe s1
      expect(await page.getAttribute('body', 'data-maps-rendered')).toBe('3');
      const id = 'map-1';
      const before = await mapInk(page, id);
      expect(before.n).toBeGreaterThan(200);
      expect(await page.getAttribute(`#${id}`, 'data-colour')).toBe('final');
      await page.check(`#${id} input[value=label]`);
      expect(await page.getAttribute(`#${id}`, 'data-colour')).toBe('label');
      expect((await mapInk(page, id)).sum).not.toBe(before.sum);
      expect(await page.textContent(`#${id} .map-legend`)).toContain('label 0');
      await page.check(`#${id} input[value=pca]`);
      expect(await page.getAttribute(`#${id}`, 'data-layout')).toBe('pca');
      // hover a drawn point: the tip names the example and shows its image
      const ink = await mapInk(page, id), cbox = (await page.locator(`#${id} .map-canvas`).boundingBox())!;
      await page.mouse.move(cbox.x + ink.at![0], cbox.y + ink.at![1]);
      expect(await page.isVisible(`#${id} .map-tip`)).toBe(true);
      expect(await page.textContent(`#${id} .map-tip-text`)).toMatch(/example #\d+.*label \d/s);

      // the final re-clustering's confusion table of uvhe s1: one row per cluster (k = final/k)
      const cf = JSON.parse(readFileSync(join(runs[1].dir, 'clusters.json'), 'utf8'));
      const rows = await page.$$eval('details:nth-of-type(2) table.confusion', (ts) => ts.map((t) => t.querySelectorAll('tbody tr').length));
      expect(rows[0]).toBe(cf.final.k);
      // cluster-sample rows: size, majority label and purity as text
      const labels = await page.$$eval('.cs-label', (ls) => ls.map((l) => l.textContent ?? ''));
      expect(labels.length).toBeGreaterThan(0);
      for (const l of labels) expect(l).toMatch(/^pseudo-class \d+\d* examplesmostly \dpurity \d\.\d\d$/);

      await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
      await page.locator(`#${id}`).screenshot({ path: join(OUT, 'report-map.png') });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
