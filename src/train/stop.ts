// Long phases the main thread only waits for (a relabel on the pool, the final re-clustering): a line when one
// outlasts a few seconds and a heartbeat every ~10 s, and a stop (SIGINT/SIGTERM) that does not wait them out.

/** A stop cut a phase short: `skipped` names what did not finish ("the relabel of epoch 3"). Nothing of that phase
 *  was kept; the last checkpoint written before it stands. */
export class StopRequested extends Error {
  constructor(readonly skipped: string) {
    super(`stopped: skipped ${skipped}`);
  }
}

/** How a waited-for phase is watched. */
export interface PhaseWatch {
  /** resolves when a stop is asked for (absent: never) */
  stop?: Promise<void>;
  /** progress lines */
  say?: (line: string) => void;
}

/** A phase shorter than this prints nothing, ms. */
const ANNOUNCE_MS = 3000;
/** Interval of the heartbeat lines, ms. */
const HEARTBEAT_MS = 10_000;
/** A phase that ends within this long after a stop is asked for is kept (the run then stops at its next check), ms. */
const STOP_GRACE_MS = 500;

/**
 * p, watched: `what` (a noun phrase without article: "relabel of epoch 3") is announced if p is still running after a few seconds,
 * with its elapsed time every ~10 s (announce: false for a phase that printed its own start line). When a stop
 * comes first and p does not settle within a short grace, `abort` runs (it must stop the work: a pool destroyed)
 * and StopRequested is thrown; p's later failure is ignored.
 */
export async function watchPhase<T>(p: Promise<T>, what: string, watch: PhaseWatch, abort: () => Promise<void>, announce = true): Promise<T> {
  const t0 = performance.now();
  const secs = (): number => Math.round((performance.now() - t0) / 1000);
  const timers: NodeJS.Timeout[] = [];
  if (watch.say) {
    const say = watch.say;
    if (announce) timers.push(setTimeout(() => say(`${what}: running …`), ANNOUNCE_MS));
    timers.push(setInterval(() => say(`${what}: ${secs()} s …`), HEARTBEAT_MS));
  }
  const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const settled = p.then(() => 'done' as const, () => 'done' as const);
  const stopped = watch.stop
    ? watch.stop.then(() => Promise.race([settled, delay(STOP_GRACE_MS).then(() => 'stop' as const)]))
    : new Promise<never>(() => undefined);
  let outcome: 'done' | 'stop';
  try {
    outcome = await Promise.race([settled, stopped]);
  } finally {
    for (const t of timers) clearTimeout(t);
  }
  if (outcome === 'done') return p;
  p.catch(() => undefined);
  await abort();
  throw new StopRequested(`the ${what}`);
}
