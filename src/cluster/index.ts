// Entry point of the clustering stage: picks the SIMD worker pool when the runtime supports it, else the
// plain TypeScript engine, and says which and why.
import type { ClusterEngine, ClusterEngineOptions } from './engine.js';
import { simdUnavailableReason } from './kernels.js';
import { PoolEngine, type PoolOptions } from './pool.js';
import { createReferenceEngine } from './reference-engine.js';

export type { ClusterEngine, ClusterEngineOptions, RelabelResult, SubsetBatch } from './engine.js';
export { PoolEngine, type PoolOptions } from './pool.js';
export { ReferenceEngine, createReferenceEngine } from './reference-engine.js';

export interface CreatedEngine {
  engine: ClusterEngine;
  /** "wasm-simd-pool" or "reference" */
  kind: string;
  /** one line for the log: what was chosen and why */
  note: string;
}

/**
 * Create the clustering engine. prefer: "auto" (pool when WebAssembly SIMD + SharedArrayBuffer work and the
 * kernels load, else reference), "pool" (fail instead of falling back) or "reference".
 */
export async function createClusterEngine(
  opts: ClusterEngineOptions, prefer: 'auto' | 'pool' | 'reference' = 'auto', poolOptions?: PoolOptions,
): Promise<CreatedEngine> {
  if (prefer === 'reference') {
    const engine = await createReferenceEngine(opts);
    return { engine, kind: engine.kind, note: 'reference engine (plain TypeScript) as requested' };
  }
  const why = simdUnavailableReason();
  if (why === null) {
    try {
      const engine = await PoolEngine.create(opts, poolOptions);
      return { engine, kind: engine.kind, note: `wasm SIMD pool (${engine.simd === 'relaxed' ? 'relaxed SIMD, fused multiply-add' : 'strict SIMD'}) with ${engine.workers} worker(s), shared memory ${(engine.layout.bytes / 2 ** 20).toFixed(1)} MiB` };
    } catch (err) {
      if (prefer === 'pool') throw err;
      const engine = await createReferenceEngine(opts);
      return { engine, kind: engine.kind, note: `reference engine: the wasm pool failed to start (${err instanceof Error ? err.message : String(err)})` };
    }
  }
  if (prefer === 'pool') throw new Error(`cluster: the wasm SIMD pool is unavailable: ${why}`);
  const engine = await createReferenceEngine(opts);
  return { engine, kind: engine.kind, note: `reference engine: ${why}` };
}
