// A CPU-trainer thread (src/train/simd/team.ts starts it). Plain JavaScript, so that it starts on bare Node with
// no TypeScript loader: everything it needs comes in workerData (protocol.ts TeamWorkerInit), and the work itself
// (claiming chunks of the published operation and running them) is the wasm module's teamClaim.
import { workerData } from 'node:worker_threads';

const { module, memory, ctl, words, tile, slots, spin } = workerData;
const k = new WebAssembly.Instance(module, {
  env: {
    memory,
    abort: (_msg, _file, line, col) => {
      throw new Error(`wasm abort at ${line}:${col}`);
    },
  },
}).exports;
const c = new Int32Array(memory.buffer, ctl, words);

let seen = Atomics.load(c, slots.gen);
Atomics.add(c, slots.ready, 1);
Atomics.notify(c, slots.ready);
for (;;) {
  // poll before sleeping: within a step the next operation follows in microseconds, less than a futex wake-up
  let g = Atomics.load(c, slots.gen);
  for (let s = 0; g === seen && s < spin; s++) g = Atomics.load(c, slots.gen);
  if (g === seen) {
    Atomics.wait(c, slots.gen, seen);
    g = Atomics.load(c, slots.gen);
  }
  if (Atomics.load(c, slots.quit)) break;
  seen = g;
  k.teamClaim(ctl, g, tile);
}
