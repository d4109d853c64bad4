// The Piscina pool of kernel workers behind the pool engine: starts them on the shared memory, runs typed protocol
// tasks on them, and re-runs a task whose worker died on its replacement.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Piscina } from 'piscina';
import { workerFaultDue } from './fault.js';
import type { ResultOf, Task, WorkerInit } from './protocol.js';

/** Worker deaths one engine survives before it gives up (a worker that dies this often is not a passing fault). */
const MAX_WORKER_RESTARTS = 16;

/** Where the worker module is and how Node must load it (tsx's loader for a .ts file). */
function workerSpec(): { filename: string; execArgv: string[] } {
  const url = new URL('./worker.ts', import.meta.url);
  const req = createRequire(import.meta.url);
  return { filename: url.href, execArgv: ['--import', pathToFileURL(req.resolve('tsx')).href] };
}

export class WorkerPool {
  /** the Piscina pool itself (tests reach in to kill its threads) */
  readonly piscina: Piscina;
  /** times a worker died and its task was re-run */
  restarts = 0;
  private closing = false;
  /** an error Piscina reported outside any task; the next run() rejects with it */
  private failure: Error | null = null;

  /** `workers` threads, each instantiating the kernels of init.module against init.memory once. */
  constructor(init: WorkerInit, readonly workers: number) {
    const spec = workerSpec();
    this.piscina = new Piscina({
      filename: spec.filename, execArgv: spec.execArgv, workerData: init,
      minThreads: workers, maxThreads: workers, idleTimeout: 2 ** 31 - 1, concurrentTasksPerWorker: 1,
    });
    // Piscina emits 'error' for a worker's answer to a task it no longer tracks: after a failed run tears the pool
    // down mid-task, that answer is expected and dropped. Unheard, the event would crash the process with a stack
    // trace and hide the run's own error.
    this.piscina.on('error', (e: Error) => { if (!this.closing) this.failure ??= e; });
  }

  /** Run a task on a worker. If the worker dies under it, Piscina starts a replacement (minThreads) and the task
   *  runs again there: everything lives in the shared memory, which outlives any worker, and every task is safe to
   *  repeat (assign re-zeroes its partial sums; bounds only loosen; writes and the index are overwritten; a
   *  repeated sample draws afresh). */
  async run<T extends Task>(task: T): Promise<ResultOf<T>> {
    if (this.failure) throw this.failure;
    for (;;) {
      try {
        const p = this.piscina.run(task) as Promise<ResultOf<T>>;
        // UVHE_FAULT=worker@N (fault.ts): the threads die under this task, as a crashed worker's would
        if (workerFaultDue()) for (const w of this.piscina.threads) void w.terminate();
        return await p;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        if (this.closing || !/worker exited|terminat/i.test(msg)) throw err;
        this.restarts++;
        if (this.restarts > MAX_WORKER_RESTARTS) {
          throw new Error(`cluster: a pool worker died ${this.restarts} times (last: ${msg}); giving up`);
        }
      }
    }
  }

  /** From now on a task whose worker dies fails instead of re-running (the engine is closing). */
  stopRestarts(): void {
    this.closing = true;
  }

  /** Stop every worker; tasks still running fail. */
  async destroy(): Promise<void> {
    this.closing = true;
    await this.piscina.destroy();
  }
}
