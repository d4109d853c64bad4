// Writes of fresh codes into the pool engine's store through the ring of batch slots: each write is copied into a
// free slot at once (or, while the ring is full, once one frees) and applied by a worker in issue order.
import type { BackgroundOverlay, PendingWrite } from './background.js';
import type { CallQueue } from './call-queue.js';
import type { Layout } from './layout.js';
import type { WorkerPool } from './worker-pool.js';

export class WriteRing {
  private readonly free: number[];

  constructor(
    private readonly layout: Layout, private readonly memory: WebAssembly.Memory, private readonly queue: CallQueue,
    private readonly pool: WorkerPool, private readonly background: BackgroundOverlay,
  ) {
    this.free = layout.writeSlots.map((_, i) => i);
  }

  /** Queue one write of B <= batchCap rows and their B×d codes (copied now); online: the Sculley update and the
   *  relabel of those rows too. A failure surfaces through the queue (CallQueue.throwIfFailed). */
  write(rows: Int32Array, codes: Float32Array, online: boolean): void {
    const B = rows.length, d = this.layout.params.d;
    // the background overlay keeps the copy until the write lands, for reads that do not queue
    const entry: PendingWrite = { rows: rows.slice(), codes: codes.slice() };
    this.background.issue(entry);
    let slot = this.free.pop();
    const fill = (s: number): void => {
      const ws = this.layout.writeSlots[s];
      new Int32Array(this.memory.buffer, ws.rows, B).set(entry.rows);
      new Float32Array(this.memory.buffer, ws.codes, B * d).set(entry.codes);
    };
    if (slot !== undefined) fill(slot);
    this.queue.fireAndForget(async () => {
      if (slot === undefined) {
        slot = this.free.pop()!; // the queue is serial, so a slot is free by now
        fill(slot);
      }
      try {
        await this.pool.run({ op: 'write', slot, B, online });
      } finally {
        this.free.push(slot);
        this.background.landed(entry);
      }
    });
  }
}
