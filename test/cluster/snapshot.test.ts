// Engine snapshots (checkpoints): an engine restored from a snapshot continues exactly as the original does.
import { describe, expect, it } from 'vitest';
import { createClusterEngine } from '../../src/cluster/index.js';
import type { ClusterEngine, ClusterEngineOptions } from '../../src/cluster/engine.js';
import { Rng } from '../../src/util/rng.js';

const opts: ClusterEngineOptions = {
  n: 301, dz: 5, dc: 3, k: 7, seed: 11, weights: { z: 1, c: 2 }, iters: 4, batchSize: 64, refit: 'epoch', workers: 2,
};

/** The same sequence of writes, samples and relabels; returns everything observable. */
async function drive(e: ClusterEngine, seed: number): Promise<unknown[]> {
  const r = new Rng(seed);
  const out: unknown[] = [];
  for (let s = 0; s < 3; s++) {
    const rows = Int32Array.from({ length: 40 }, () => r.below(opts.n));
    const codes = Float32Array.from({ length: 40 * 8 }, () => r.normal());
    e.writeCodes(rows, codes);
    const sub = await e.sample(rows, 4, s % 2 === 0, s === 1);
    out.push(Array.from(sub.subsets), Array.from(sub.setSize));
    const rel = await e.relabel();
    out.push(Array.from(rel.labels), rel.inertia);
  }
  return out;
}

describe.each(['reference', 'pool'] as const)('%s engine snapshot/restore', (kind) => {
  it('a restored engine continues exactly like the original', async () => {
    const a = (await createClusterEngine(opts, kind)).engine;
    await drive(a, 1);
    const snap = await a.snapshot();
    const b = (await createClusterEngine({ ...opts, seed: 999 }, kind)).engine; // different seed: restore must overwrite it all
    await b.restore(snap);
    expect(Array.from(await b.labels())).toEqual(Array.from(await a.labels()));
    const [ra, rb] = [await drive(a, 2), await drive(b, 2)];
    expect(rb).toEqual(ra);
    await expect(b.restore({ ...snap, codes: new Float32Array(3) })).rejects.toThrow(/snapshot field codes/);
    await a.close(); await b.close();
  });
});
