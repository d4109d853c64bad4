// The report in a real browser: Debian's chromium (never a downloaded one), driven by playwright-core, offline.
// Asserts that every chart draws (a canvas of non-zero size), every image decodes (naturalWidth > 0), hover
// fills the legend with values, and the page logs no error; saves a screenshot under test-output/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/html.js';
import { makeRuns, ROOT } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OUT = join(ROOT, 'test-output');

describe.skipIf(!existsSync(CHROMIUM))(`report.html in chromium (skipped: ${CHROMIUM} is absent; apt-get install chromium)`, () => {
  let report: string;
  beforeAll(async () => {
    const runs = await makeRuns([{ mode: 'vae', seed: 1 }, { mode: 'uvhe', seed: 1 }, { mode: 'uvhe', seed: 2 }], 2);
    mkdirSync(OUT, { recursive: true });
    report = join(OUT, 'report.html');
    writeReport({ out: report, title: 'browser test: vae vs uvhe', runs: runs.map(({ label, dir }) => ({ label, dir })) });
  });

  it('draws every chart and image, shows values on hover, and logs no error', async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      // offline: any request that is not the file itself or a data: URI fails the test
      page.on('request', (r) => { const u = r.url(); if (!u.startsWith('file:') && !u.startsWith('data:')) problems.push(`network: ${u}`); });
      await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
      await page.waitForSelector('body[data-charts-rendered]');

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
      expect(imgs.length).toBe(2 + 3 + 3);
      for (const [w, h] of imgs) { expect(w).toBeGreaterThan(0); expect(h).toBeGreaterThan(0); }

      // hover the middle of the loss chart: the live legend shows numbers
      const over = page.locator('#chart-loss-total .u-over');
      const box = (await over.boundingBox())!;
      await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.5);
      const values = await page.$$eval('#chart-loss-total .u-legend .u-value', (vs) => vs.map((v) => v.textContent ?? ''));
      expect(values.some((v) => /^\d+(\.\d+)?$/.test(v.trim()) && Number(v) > 10)).toBe(true);

      await page.screenshot({ path: join(OUT, 'report.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
