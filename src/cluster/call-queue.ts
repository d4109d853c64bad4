// The pool engine's serial call queue: calls run in issue order (so a sample sees every earlier write), a failure
// rejects only its own call, and the time a caller spends awaiting a call can be measured.

export class CallQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private failure: unknown = null;

  /** Queue fn after every earlier call; failures reject fn's promise and do not stop the queue. */
  enqueue<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Queue a call nobody awaits (a write); its failure is kept and thrown by the next throwIfFailed(). */
  fireAndForget(fn: () => Promise<void>): void {
    void this.enqueue(fn).catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  /** Throw (once) the failure of an unawaited call, if there was one. */
  throwIfFailed(): void {
    if (this.failure === null) return;
    const f = this.failure;
    this.failure = null;
    throw f instanceof Error ? f : new Error(String(f));
  }

  /** Resolves once every call queued so far has settled. */
  async drain(): Promise<void> {
    await this.tail;
  }
}

/** p, adding to `sink` the time (ms) between the first await/then on it and its settlement. */
export function trackWait<T>(p: Promise<T>, sink: (ms: number) => void): Promise<T> {
  let settled = false;
  let waitingSince = -1;
  const done = (): void => {
    settled = true;
    if (waitingSince >= 0) sink(performance.now() - waitingSince);
  };
  p.then(done, done);
  const origThen = p.then.bind(p);
  // `await p` on a native promise skips an own `then`; hiding `constructor` makes await go through it.
  void Object.defineProperty(p, 'constructor', { value: undefined });
  void Object.defineProperty(p, 'then', {
    value: (a?: (v: T) => unknown, b?: (e: unknown) => unknown) => {
      if (!settled && waitingSince < 0) waitingSince = performance.now();
      return origThen(a, b);
    },
  });
  return p;
}
