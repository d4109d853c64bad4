// The register-only 128-bit mul+add probe (assembly/probe.ts) that the benchmarks report kernel GFLOP/s against.
import { compileKernels, createSharedMemory, instantiateKernels } from '../src/cluster/kernels.js';

/** Flops of one probe iteration: 6 mul and 6 add chains of 4 lanes (more chains spill the 16 vector
 *  registers of x86-64 and measure the spills). */
const FLOPS_PER_ITER = 48;
const ITERS = 1e7;

/** GFLOP/s of the probe on this thread, the best of `tries`: on a shared machine any one try may land on a busy
 *  core. */
export async function probePeak(tries = 6): Promise<number> {
  const k = instantiateKernels(await compileKernels('strict'), createSharedMemory(1)) as unknown as { peakProbe(iters: number, seed: number): number };
  let best = 0;
  for (let r = 0; r < tries; r++) {
    const t0 = performance.now();
    k.peakProbe(ITERS, 1.0000001);
    best = Math.max(best, (ITERS * FLOPS_PER_ITER) / (performance.now() - t0) / 1e6);
  }
  return best;
}
