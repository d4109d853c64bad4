// Loading the AssemblyScript kernels: compile build/uvhe.wasm once, instantiate it against a shared
// WebAssembly.Memory in any thread, and type its exports (raw bindings: numbers in, numbers out).
import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import { fileURLToPath } from 'node:url';

/** Bump together with version() in assembly/index.ts. */
export const KERNEL_VERSION = 6;

/** Every export of assembly/index.ts; pointers are byte offsets into the shared memory. */
export interface Kernels {
  heapBase(): number;
  version(): number;
  rngFill(statePtr: number, range: number, out: number, count: number): void;
  prepareGroup(cent: number, k: number, d: number, w: number, panel: number, cn: number, g: number): void;
  prepareCentroids(cent: number, k: number, d: number, w: number, panel: number, cn: number): void;
  weightedSqDist(x: number, c: number, w: number, d: number): number;
  assignScratchBytes(d: number): number;
  /** mode: 0 plain, 1 record Hamerly bounds, 2 use them (see assembly/distance.ts) */
  assignRange(codes: number, d: number, lo: number, hi: number, panel: number, cn: number, k: number, cent: number, w: number,
    labels: number, dist: number, sums: number, counts: number, stats: number, scratch: number,
    mode: number, upper: number, lower: number, drift: number): number;
  boundsDrift(cent: number, bcent: number, k: number, d: number, w: number, cn: number, drift: number): void;
  reseedEmpty(codes: number, n: number, d: number, cent: number, k: number, labels: number, dist: number, counts: number, sums: number, upper: number): number;
  lloydFinish(parts: number, sums0: number, sumsStride: number, counts0: number, countsStride: number,
    codes: number, n: number, d: number, cent: number, k: number, labels: number, dist: number, counts: number, upper: number): number;
  zero(ptr: number, bytes: number): void;
  countLabels(labels: number, n: number, k: number, counts: number): void;
  sumDist(dist: number, n: number): number;
  miniBatchUpdate(src: number, B: number, d: number, panel: number, cn: number, k: number, cent: number, w: number,
    counts: number, rows: number, labels: number, dist: number, blabels: number, bdist: number, stats: number,
    scratch: number, upper: number): number;
  kmeansPlusPlus(codes: number, n: number, d: number, k: number, w: number, rngState: number, d2: number, cent: number): void;
  writeRows(storePtr: number, d: number, rows: number, B: number, src: number, w: number, lower: number): void;
  peakProbe(iters: number, seed: number): number;
  knnScratchBytes(d: number, K: number): number;
  knnRange(codes: number, d: number, n: number, lo: number, hi: number, panel: number, cn: number, w: number, K: number,
    outIdx: number, outDist: number, scratch: number): void;
  ivfScratchBytes(probe: number, K: number, k: number): number;
  ivfGraphRange(sorted: number, rows: number, d: number, w: number, panel: number, cn: number, members: number,
    cells: number, cpanel: number, ccn: number, offsets: number, lo: number, hi: number, K: number, probe: number,
    outIdx: number, outDist: number, scratch: number): void;
  ivfVoteRange(codes: number, d: number, lo: number, hi: number, rows: number, panel: number, cn: number,
    members: number, cells: number, cpanel: number, ccn: number, offsets: number, K: number, probe: number,
    baseLabels: number, k: number, outLabels: number, scratch: number): void;
  ivfGather(base: number, d: number, rows: number, members: number, sorted: number): void;
  buildIndex(labels: number, n: number, k: number, offsets: number, members: number, cursor: number): void;
  sampleSubsets(rows: number, B: number, labels: number, offsets: number, members: number, k: number, m: number,
    includeSelf: number, shareD: number, rngState: number, outSub: number, outSize: number, outCluster: number,
    seen: number, chosen: number): void;
}

/** Which build of the kernels: "strict" rounds every product (bit for bit like the TypeScript oracle), "relaxed"
 *  scores with fused multiply-adds (f32x4.relaxed_madd), "auto" takes relaxed where the runtime supports it. */
export type KernelVariant = 'auto' | 'relaxed' | 'strict';

/** Paths of the release builds (npm run build:wasm). */
export const WASM_FILE = fileURLToPath(new URL(process.env.UVHE_WASM === 'debug' ? '../../build/uvhe.debug.wasm' : '../../build/uvhe.wasm', import.meta.url));
export const WASM_RELAXED_FILE = fileURLToPath(new URL('../../build/uvhe-relaxed.wasm', import.meta.url));

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const RELAXED_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0,
  10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
]);

let relaxedChecked: boolean | undefined;

/** WebAssembly relaxed SIMD usable here? Node 20 (V8 11.3) ships it behind --experimental-wasm-relaxed-simd; the
 *  flag is process-wide and may be set before the first compile, so worker threads see it too. Newer runtimes
 *  validate the probe without it. */
export function relaxedSimdAvailable(): boolean {
  if (relaxedChecked !== undefined) return relaxedChecked;
  relaxedChecked = false;
  try {
    if (!WebAssembly.validate(RELAXED_PROBE)) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    relaxedChecked = WebAssembly.validate(RELAXED_PROBE);
  } catch {
    relaxedChecked = false;
  }
  return relaxedChecked;
}

/** The concrete build for a requested variant ("auto" → relaxed when available). "relaxed" where it is
 *  unavailable is an error naming the reason. */
export function resolveKernelVariant(v: KernelVariant): 'relaxed' | 'strict' {
  if (v === 'strict') return 'strict';
  if (relaxedSimdAvailable()) return 'relaxed';
  if (v === 'relaxed') throw new Error('cluster.simd: "relaxed" needs WebAssembly relaxed SIMD, which this runtime does not support (use "auto" or "strict")');
  return 'strict';
}

const compiled = new Map<'relaxed' | 'strict', Promise<WebAssembly.Module>>();

/** Compile one build of the kernels once per thread (a WebAssembly.Module can also be posted to workers). */
export function compileKernels(variant: KernelVariant = 'strict'): Promise<WebAssembly.Module> {
  const v = resolveKernelVariant(variant);
  const file = v === 'relaxed' ? WASM_RELAXED_FILE : WASM_FILE;
  let p = compiled.get(v);
  if (!p) {
    p = readFile(file).then(
      (bytes) => WebAssembly.compile(bytes),
      (err: unknown) => {
        compiled.delete(v);
        throw new Error(`cluster: cannot read ${file} (run \`npm run build:wasm\`): ${String(err)}`);
      },
    );
    compiled.set(v, p);
  }
  return p;
}

/** Instantiate synchronously against a shared memory (each worker and the main thread do this once). */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: (_msg: number, _file: number, line: number, col: number) => {
        throw new Error(`wasm abort at ${line}:${col}`);
      },
    },
  });
  const k = instance.exports as unknown as Kernels;
  if (k.version() !== KERNEL_VERSION) throw new Error(`cluster: build/uvhe.wasm is version ${k.version()}, expected ${KERNEL_VERSION}; run npm run build:wasm`);
  return k;
}

/** A shared memory of `pages` 64 KiB pages (fixed size: never grown, so views stay valid). */
export function createSharedMemory(pages: number): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
}

/** WebAssembly SIMD + SharedArrayBuffer + shared memory present? Returns null if yes, else why not.
 *  UVHE_NO_SIMD=1 makes it answer as a runtime without SIMD would (the fallback tests). */
export function simdUnavailableReason(): string | null {
  if (process.env.UVHE_NO_SIMD === '1') return 'WebAssembly SIMD is not supported (UVHE_NO_SIMD=1)';
  if (typeof SharedArrayBuffer === 'undefined') return 'SharedArrayBuffer is not available';
  if (typeof WebAssembly === 'undefined') return 'WebAssembly is not available';
  // (module (func (result v128) v128.const i32x4 0 0 0 0)) — validates only with SIMD
  const simd = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
  if (!WebAssembly.validate(simd)) return 'WebAssembly SIMD is not supported';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return 'shared WebAssembly.Memory is not supported';
  }
  return null;
}
