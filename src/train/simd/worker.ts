// A CPU-trainer thread: instantiates the kernels on the trainer's shared memory and runs chunks of whatever
// operation the main thread publishes (protocol.ts), until asked to quit.
import { workerData } from 'node:worker_threads';
import { instantiateTrainKernels } from './kernels.js';
import { CTL, claimChunks, type TeamWorkerInit } from './protocol.js';

const init = workerData as TeamWorkerInit;
const kernels = instantiateTrainKernels(init.module, init.memory);
const ctl = new Int32Array(init.memory.buffer, init.ctl, 32);
const ctlF = new Float32Array(init.memory.buffer, init.ctl, 32);
/** Polls before sleeping: an operation follows the last one within microseconds during a step, and a futex
 *  wake-up costs more than that; between steps the thread sleeps. */
const SPIN = 20000;

let seen = Atomics.load(ctl, CTL.gen);
Atomics.add(ctl, CTL.ready, 1);
Atomics.notify(ctl, CTL.ready);
for (;;) {
  let g = Atomics.load(ctl, CTL.gen);
  for (let s = 0; g === seen && s < SPIN; s++) g = Atomics.load(ctl, CTL.gen);
  if (g === seen) { Atomics.wait(ctl, CTL.gen, seen); g = Atomics.load(ctl, CTL.gen); }
  if (Atomics.load(ctl, CTL.quit)) break;
  seen = g;
  claimChunks(kernels, ctl, ctlF, g, init.tile);
}
