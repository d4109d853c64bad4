// The exported networks load with the standard tf.loadLayersModel (over HTTP, as in a browser) and compute
// what the trained ones compute.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../src/backend.js';
import { createParams, decode, encodeZ, priorZ, type ModelShape } from '../../src/model/vhe.js';
import { exportModels } from '../../src/model/export.js';
import type { Tensor2D } from '@tensorflow/tfjs-core';

let server: Server, base = '', dir = '';
beforeAll(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'uvhe-export-'));
  server = createServer((req, res) => {
    try { res.end(readFileSync(join(dir, decodeURIComponent(req.url!.slice(1))))); } catch { res.statusCode = 404; res.end(); }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => server?.close());

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];

describe('model export (TensorFlow.js layers format)', () => {
  // vhe's q(z|c,x) and p(x|z,c) read c; uvhe's q(z|x) and p(x|z) do not
  it.each(['vhe', 'uvhe'] as const)('%s: decoder, encoder and prior load with tf.loadLayersModel and match the trained networks', async (mode) => {
    const s: ModelShape = { mode, pixels: 12, hidden: 8, zDim: 3, cDim: 2, logStdBound: 5 };
    const p = createParams(s, 4);
    const paths = await exportModels(join(dir, mode), s, p);
    const readC = mode === 'vhe';
    expect(paths.map((x) => x.split('/').slice(-2)[0]).sort()).toEqual(['decoder', 'encoderCHeads', 'encoderCMember', 'encoderZ', 'priorZ']);
    const json = JSON.parse(readFileSync(join(dir, mode, 'decoder/model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);

    const B = 5;
    const z = tf.randomNormal([B, s.zDim], 0, 1, 'float32', 1) as Tensor2D;
    const c = tf.randomNormal([B, s.cDim], 0, 1, 'float32', 2) as Tensor2D;
    const x = tf.randomUniform([B, s.pixels], 0, 1, 'float32', 3) as Tensor2D;
    // ours: feature-major [features, B]
    const zT = tf.transpose(z) as Tensor2D, cT = tf.transpose(c) as Tensor2D, xT = tf.transpose(x) as Tensor2D;

    const dec = await tf.loadLayersModel(`${base}/${mode}/decoder/model.json`);
    expect(dec.inputs[0]!.shape[1]).toBe(readC ? s.zDim + s.cDim : s.zDim);
    const got = dec.predict(readC ? tf.concat([z, c], 1) : z) as tf.Tensor;
    const want = tf.transpose(tf.sigmoid(decode(p, zT, cT)));
    expect(got.shape).toEqual([B, s.pixels]);
    expect(maxDiff(got, want)).toBeLessThan(1e-5);

    const encZ = await tf.loadLayersModel(`${base}/${mode}/encoderZ/model.json`);
    expect(encZ.inputs.length).toBe(readC ? 2 : 1);
    const [mu, ls] = encZ.predict(readC ? [x, c] : x) as tf.Tensor[];
    const q = encodeZ(s, p, xT, cT);
    expect(maxDiff(mu, tf.transpose(q.mu))).toBeLessThan(1e-5);
    expect(maxDiff(ls, tf.transpose(q.s))).toBeLessThan(1e-5);

    const prior = await tf.loadLayersModel(`${base}/${mode}/priorZ/model.json`);
    const [pm, ps] = prior.predict(c) as tf.Tensor[];
    const pz = priorZ(s, p, cT);
    expect(maxDiff(pm, tf.transpose(pz.mu))).toBeLessThan(1e-5);
    expect(maxDiff(ps, tf.transpose(pz.s))).toBeLessThan(1e-5);
  });
});
