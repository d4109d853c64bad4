// Types for the untyped npm peer used by bench/cluster.bench.ts.
declare module 'skmeans' {
  interface SkmeansResult { it: number; k: number; idxs: number[]; centroids: number[][] }
  function skmeans(data: number[][], k: number, centroids?: number[][] | 'kmrand' | 'kmpp' | null, iterations?: number): SkmeansResult;
  export default skmeans;
}
