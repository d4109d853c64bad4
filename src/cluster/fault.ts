// Fault injection for the tests, in the clustering pool (next to UVHE_FAULT=nan@N of train/step.ts and the
// run-folder hooks of run-folder.ts):
//   worker@N             the N-th task handed to the pool's workers (counted over the process, from 1) has every
//                        worker thread terminated under it; the pool re-runs it on the replacements (worker-pool.ts)
//   pause@relabel[:n]    the n-th relabel of training (default the 1st) first blocks a worker for 60 s, as a long
//                        pass over the store does, so a test can send a signal while the trainer waits on it
//   pause@final          the final re-clustering does the same

const FAULT = process.env.UVHE_FAULT ?? '';
const WORKER = /^worker@(\d+)$/.exec(FAULT);
const PAUSE = /^pause@(relabel|final)(?::(\d+))?$/.exec(FAULT);
/** How long a held phase blocks its worker, ms. */
const HOLD_MS = 60_000;
let tasksSeen = 0;
const holdsSeen = { relabel: 0, final: 0 };

/** worker@N: true for the N-th pool task of this process. */
export function workerFaultDue(): boolean {
  if (!WORKER) return false;
  tasksSeen++;
  return tasksSeen === Number(WORKER[1]);
}

/** pause@<phase>[:n]: the ms the next task of this phase should block its worker (0: none). */
export function faultHoldMs(phase: 'relabel' | 'final'): number {
  if (!PAUSE || PAUSE[1] !== phase) return 0;
  holdsSeen[phase]++;
  if (holdsSeen[phase] !== Number(PAUSE[2] ?? 1)) return 0;
  process.stderr.write(`fault: holding a pool worker in the ${phase === 'final' ? 'final re-clustering' : 'relabel'}\n`);
  return HOLD_MS;
}
