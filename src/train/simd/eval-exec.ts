// Evaluation batches on the CPU trainer (train/evaluate.ts EvalExec): the same batches and noise as the tfjs
// path, run by step.ts evalForward and encodeMeans on the trainer's current weights. Batches hold at most the
// trainer's largest batch.
import { BatchBuilder, gatherColumns } from '../batch.js';
import type { EvalExec } from '../evaluate.js';
import type { Dataset } from '../../data/dataset.js';
import type { ModelShape } from '../../model/vhe.js';
import type { Rng } from '../../util/rng.js';
import type { SimdTrainer } from './trainer.js';

export interface SimdEvalOptions { shape: ModelShape; train: Dataset; test: Dataset; subsetSize: number }

export function simdEvalExec(t: SimdTrainer, o: SimdEvalOptions): EvalExec {
  const { shape, train, test } = o;
  const P = train.rows * train.cols, B = t.maxB, dz = shape.zDim;
  const xb = new BatchBuilder(test.images, test.n, P, B, 1, dz, shape.cDim);
  const db = new BatchBuilder(train.images, train.n, P, B, Math.max(1, o.subsetSize), dz, shape.cDim);
  // x's z noise, drawn at begin (as the tfjs path's buildX) and written back after encodeSelf used the buffers
  const epsZ = new Float32Array(B * dz);
  let rows: Int32Array = new Int32Array(0);
  return {
    batchSize: B,
    begin(r, rng) { rows = r; rng.fillNormal(epsZ.subarray(0, r.length * dz)); },
    encodeSelf(rng) {
      return t.encode((host) => xb.buildHost(rows, rows, 1, new Int32Array(rows.length).fill(1), rng, host), 1);
    },
    score(d, rng) {
      return t.evalBatch((host) => {
        const n = rows.length;
        gatherColumns(test.images, rows, P, host.xT);
        host.epsZ.set(epsZ.subarray(0, n * dz));
        return d ? db.buildHostSubsets(n, d.subsets, d.m, d.setSize, rng, host) : { B: n, U: 0, invSetSize: null };
      }, d?.m ?? 1);
    },
    dispose() {},
  };
}

/** The final rule's z on the trainer: n×dz means of q(z|x) of the builder's first n rows, leaving rng as it was (as
 *  eval/final.ts encodeMeans). A uvhe's q(z|x) does not read c; its set encoder runs on D = {x}, unused here. */
export function simdEncodeMeans(t: SimdTrainer, o: { builder: BatchBuilder; n: number; rng: Rng }): Float32Array {
  const { builder, n, rng } = o;
  const dz = t.shape.zDim, d = dz + t.shape.cDim, B = t.maxB;
  const out = new Float32Array(n * dz);
  const state = rng.getState();
  const ones = new Int32Array(B).fill(1);
  for (let s = 0; s < n; s += B) {
    const rows = Int32Array.from({ length: Math.min(B, n - s) }, (_, i) => s + i);
    const sets = d > dz ? rows : null;
    const codes = t.encode((host) => builder.buildHost(rows, sets, 1, sets && ones, rng, host), 1); // [b, dz+dc]
    for (let b = 0; b < rows.length; b++) out.set(codes.subarray(b * d, b * d + dz), (s + b) * dz);
  }
  rng.setState(state);
  return out;
}
