// watchPhase: a long phase is announced after a few seconds and beats every 10 s; a stop keeps a phase that ends
// within the grace, and otherwise aborts it and throws StopRequested naming it.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StopRequested, watchPhase } from '../../src/train/stop.js';

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

const after = <T>(ms: number, v: T): Promise<T> => new Promise((r) => setTimeout(() => r(v), ms));

describe('watchPhase', () => {
  it('says "running" after 3 s and the elapsed seconds every 10 s, and nothing for a short phase', async () => {
    const lines: string[] = [];
    const long = watchPhase(after(25_000, 7), 'relabel of epoch 2', { say: (l) => lines.push(l) }, async () => undefined);
    await vi.advanceTimersByTimeAsync(25_000);
    expect(await long).toBe(7);
    expect(lines).toEqual(['relabel of epoch 2: running …', 'relabel of epoch 2: 10 s …', 'relabel of epoch 2: 20 s …']);
    lines.length = 0;
    const short = watchPhase(after(1000, 1), 'relabel of epoch 3', { say: (l) => lines.push(l) }, async () => undefined);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(await short).toBe(1);
    expect(lines).toEqual([]);
  });

  it('a stop aborts a phase that does not end within the grace and throws StopRequested', async () => {
    let stop!: () => void;
    const abort = vi.fn(async () => undefined);
    const p = watchPhase(after(60_000, 1), 'final re-clustering', { stop: new Promise<void>((r) => { stop = r; }) }, abort);
    const caught = p.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(2000);
    stop();
    await vi.advanceTimersByTimeAsync(600);
    const e = await caught;
    expect(e).toBeInstanceOf(StopRequested);
    expect((e as StopRequested).skipped).toBe('the final re-clustering');
    expect(abort).toHaveBeenCalledOnce();
  });

  it('a phase that ends within the grace after a stop is kept', async () => {
    let stop!: () => void;
    const abort = vi.fn(async () => undefined);
    const p = watchPhase(after(2200, 5), 'relabel of epoch 1', { stop: new Promise<void>((r) => { stop = r; }) }, abort);
    await vi.advanceTimersByTimeAsync(2000);
    stop();
    await vi.advanceTimersByTimeAsync(500);
    expect(await p).toBe(5);
    expect(abort).not.toHaveBeenCalled();
  });
});
