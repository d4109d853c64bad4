// Piscina worker: instantiates the compiled kernels against the shared memory posted in workerData and runs
// each protocol Task (pool.ts is the other side). Loaded through tsx's loader when run from TypeScript.
import Piscina from 'piscina';
import { instantiateKernels } from './kernels.js';
import { TaskRunner } from './exec.js';
import type { ResultOf, Task, WorkerInit } from './protocol.js';

const init = Piscina.workerData as WorkerInit;
const runner = new TaskRunner(instantiateKernels(init.module, init.memory), init.layout, init.memory);

export default function handle<T extends Task>(task: T): ResultOf<T> {
  return runner.run(task);
}
