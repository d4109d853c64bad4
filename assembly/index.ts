// The wasm module's exports: SIMD clustering kernels over byte offsets into one imported shared memory.
// Layout (which offset holds what) is owned by src/cluster/layout.ts; nothing here allocates.
export * from './rng';
export * from './distance';
export * from './kmeans';
export * from './store';
export * from './cluster-index';
export * from './sample';
export * from './knn';
export * from './ivf';

/** First byte the layout may use (everything below belongs to the module's static data). */
export function heapBase(): usize {
  return __heap_base;
}

/** Bumped whenever an export's signature changes (the loader checks it). */
export function version(): i32 {
  return 6;
}
export * from './probe';
export * from './gemm';
export * from './train-ops';
export * from './train-loss';
export * from './team';
