// The browser demo end to end: the real CLI trains a tiny run on the IDX fixture, `npm run demo`'s script builds the
// page, a node:http server serves it on 127.0.0.1, and Debian's chromium (never a downloaded one, driven by
// playwright-core, offline) draws a stroke and loads a PNG: the page shows a cluster and confidence, a reconstruction,
// the cluster's training images and few-shot samples, logs no error and asks nothing of any other host; its own
// preprocessing (deskew port), encoding and vote place the fixture's test images as the API's assign does.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, ROOT, tinyArgs } from '../failsafe/helpers.js';
import { serveFolder, subsampleReference, type DemoData } from '../../src/demo/build.js';
import { readIdxImages } from '../../src/data/idx.js';
import type { ClusterState } from '../../src/assign.js';
import { loadRun } from '../../src/apply/run-model.js';
import { CHROMIUM, launchChromium, watchedPage } from '../helpers/chromium.js';


function node(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('subsampleReference', () => {
  it('keeps each cluster\'s share and the rows\' codes', () => {
    const n = 100, d = 2, labels = Int32Array.from({ length: n }, (_, i) => (i < 70 ? 0 : i < 95 ? 1 : 2));
    const codes = Float32Array.from({ length: n * d }, (_, i) => Math.floor(i / d));
    const s: ClusterState = { n, d, k: 3, codes, labels, weights: new Float32Array(d).fill(1), K: 5, labelSource: 'final', space: 'z', clusterToLabel: null };
    const sub = subsampleReference(s, 20);
    expect(sub.n).toBe(20);
    expect([0, 1, 2].map((l) => sub.labels.filter((x) => x === l).length)).toEqual([14, 5, 1]);
    for (let i = 0; i < sub.n; i++) expect(labels[sub.codes[i * d]!]).toBe(sub.labels[i]); // code row r holds r
    expect(subsampleReference(s, 100)).toBe(s);
  });
});

const out = mkdtempSync(join(tmpdir(), 'uvhe-demo-'));
const site = join(out, 'site');
let server: Server | undefined;
let base = '';

beforeAll(async () => {
  const t = node([join(ROOT, 'src/cli.ts'), ...tinyArgs(out, 'run', ['train.epochs=1', 'model.hidden=32', 'eval.embed=none', 'data.deskew=on'])]);
  expect(t.code, t.stderr).toBe(0);
  const b = node([join(ROOT, 'src/demo/build.ts'), join(out, 'run'), '--out', site]);
  expect(b.code, b.stderr).toBe(0);
  expect(b.stdout).toMatch(/^demo of run written to .*: 10 clusters, vote over 60 training codes$/m);
  server = await serveFolder(site);
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/`;
}, 240_000);

afterAll(() => new Promise<void>((ok) => (server ? server.close(() => ok()) : ok())));

describe('npm run demo', () => {
  it('writes the page, tfjs, the networks, the clustering state and examples of every cluster', () => {
    for (const f of ['index.html', 'demo.js', 'tf.min.js', 'data.json', 'model/uvhe.json', 'model/clusters.json', 'model/clusters.bin',
      ...['decoder', 'encoderZ', 'encoderCMember', 'encoderCHeads', 'priorZ'].flatMap((n) => [`model/${n}/model.json`, `model/${n}/weights.bin`])]) {
      expect(existsSync(join(site, f)), f).toBe(true);
    }
    const data = JSON.parse(readFileSync(join(site, 'data.json'), 'utf8')) as DemoData;
    expect(data.reference).toEqual({ n: 60, of: 60, subsampled: false });
    // the run deskews: the page's port of the deskew is checked against the API below
    expect(JSON.parse(readFileSync(join(site, 'model/uvhe.json'), 'utf8')).preprocess.deskew).toBe(true);
    expect(data.clusters.reduce((s, c) => s + c.size, 0)).toBe(60);
    for (const c of data.clusters) {
      expect(c.indices.length).toBe(Math.min(8, c.size));
      expect(Buffer.from(c.pixels, 'base64').length).toBe(c.indices.length * 784);
    }
  });
});

describe.skipIf(!existsSync(CHROMIUM))(`the demo page in chromium (skipped: ${CHROMIUM} is absent; apt-get install chromium)`, () => {
  it('draws, assigns, reconstructs, shows examples and few-shot samples, offline and without errors', async () => {
    const browser = await launchChromium();
    try {
      const { page, problems } = await watchedPage(browser, { width: 1400, height: 800 }, base);
      await page.goto(base, { waitUntil: 'load' });
      await page.waitForSelector('body[data-ready]', { timeout: 60_000 });
      expect(await page.textContent('#run')).toBe('run');

      // a stroke: a "7"-like polyline across the drawing canvas
      const box = (await page.locator('#draw').boundingBox())!;
      const at = (fx: number, fy: number) => [box.x + fx * box.width, box.y + fy * box.height] as const;
      await page.mouse.move(...at(0.3, 0.25));
      await page.mouse.down();
      for (const [fx, fy] of [[0.5, 0.25], [0.7, 0.25], [0.6, 0.5], [0.5, 0.75]] as const) await page.mouse.move(...at(fx, fy), { steps: 6 });
      await page.mouse.up();
      await page.waitForSelector('body[data-updates="1"]');

      const id = Number(await page.textContent('#clusterId'));
      const conf = Number(await page.textContent('#confidence'));
      expect(Number.isInteger(id) && id >= 0 && id < 10).toBe(true);
      expect(conf).toBeGreaterThan(0);
      expect(conf).toBeLessThanOrEqual(1);
      const inked = (sel: string) => page.$eval(sel, (c) => {
        const cv = c as HTMLCanvasElement, d = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i]! > 40) n++;
        return n;
      });
      expect(await inked('#input')).toBeGreaterThan(100);
      expect(await inked('#recon')).toBeGreaterThan(50);
      expect(await inked('#fewshot')).toBeGreaterThan(50);
      const data = JSON.parse(readFileSync(join(site, 'data.json'), 'utf8')) as DemoData;
      const thumbs = await page.locator('#examples canvas').count();
      expect(thumbs).toBe(data.clusters[id]!.indices.length);
      expect(thumbs).toBeGreaterThan(0);
      expect(await inked('#examples canvas')).toBeGreaterThan(20);
      mkdirSync(join(ROOT, 'test-output'), { recursive: true });
      await page.screenshot({ path: join(ROOT, 'test-output', 'demo.png'), fullPage: true });

      // new samples, then clear: the outputs go back to black
      await page.click('#resample');
      expect(await inked('#fewshot')).toBeGreaterThan(50);
      await page.click('#clear');
      await page.waitForSelector('body[data-updates="2"]');
      expect(await inked('#recon')).toBe(0);
      expect(await page.textContent('#cluster')).toBe('draw something');

      // a PNG of a test image through the file input
      const img = readIdxImages(join(FIXTURE, 't10k-images-idx3-ubyte.gz'));
      const png = new PNG({ width: 28, height: 28 });
      for (let p = 0; p < 784; p++) { const v = img.pixels[p]!; png.data.set([v, v, v, 255], 4 * p); }
      const file = join(out, 'digit.png');
      writeFileSync(file, PNG.sync.write(png));
      await page.setInputFiles('#file', file);
      await page.waitForSelector('body[data-updates="3"]');
      expect(await page.locator('#clusterId').count()).toBe(1);
      expect(await inked('#recon')).toBeGreaterThan(50);
      expect(await page.isHidden('#error')).toBe(true);

      // the page's preprocessing (its deskew port), networks and vote agree with the API's assign on the test split
      const api = await loadRun(join(out, 'run'), { backend: 'wasm' });
      try {
        const test = readIdxImages(join(FIXTURE, 't10k-images-idx3-ubyte.gz')), ref = api.assign(test.pixels);
        const mine = await page.evaluate((px) => {
          const w = window as unknown as { uvheDemo: { assign(b: number[]): { cluster: number; confidence: number } } };
          return Array.from({ length: px.length / 784 }, (_, i) => w.uvheDemo.assign(px.slice(i * 784, (i + 1) * 784)));
        }, Array.from(test.pixels));
        expect(mine.map((v) => v.cluster)).toEqual(Array.from(ref.cluster));
        mine.forEach((v, i) => expect(v.confidence).toBeCloseTo(ref.confidence[i]!, 5));
      } finally {
        api.dispose();
      }
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
