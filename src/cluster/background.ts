// What the pool engine answers from while a background relabel holds its queue: the clustering state the relabel
// started from (which the sampler keeps drawing from) and the writes not yet applied to the store.
import type { Rng } from '../util/rng.js';
import type { EngineSnapshot, SubsetBatch } from './engine.js';
import type { LayoutViews } from './layout.js';
import { sampleSubsets } from './sampler.js';

/** The clustering state as a background relabel found it (copies: the relabel rewrites the views in place). */
interface Frozen {
  labels: Int32Array; offsets: Int32Array; members: Int32Array;
  centroids: Float32Array; dist: Float32Array; counts: Int32Array; onlineCounts: Int32Array; rngKmeans: Uint32Array;
}

/** One write issued to the engine: B rows and their B×d codes (copies). */
export interface PendingWrite { rows: Int32Array; codes: Float32Array }

export class BackgroundOverlay {
  private frozen: Frozen | null = null;
  /** Writes issued but not yet applied to the store, oldest first. */
  private readonly unapplied: PendingWrite[] = [];

  constructor(private readonly views: LayoutViews, private readonly d: number, private readonly k: number) {}

  /** A background relabel is running. */
  get active(): boolean {
    return this.frozen !== null;
  }

  /** Before a background relabel: copy what the sampler reads now (the cluster index must be current). False when
   *  one is running already. */
  freeze(): boolean {
    if (this.frozen) return false;
    const v = this.views;
    this.frozen = {
      labels: v.labels.slice(), offsets: v.offsets.slice(), members: v.members.slice(),
      centroids: v.centroids.slice(), dist: v.dist.slice(), counts: v.counts.slice(), onlineCounts: v.onlineCounts.slice(),
      rngKmeans: v.rngKmeans.slice(),
    };
    return true;
  }

  /** The relabel landed (or failed): later calls go through the queue again. */
  thaw(): void {
    this.frozen = null;
  }

  /** Remember a write until it lands (B×d f32 per write; a few per batch ring). */
  issue(w: PendingWrite): void {
    this.unapplied.push(w);
  }

  /** The write landed (writes land in issue order, so this is the oldest one). */
  landed(w: PendingWrite): void {
    const i = this.unapplied.indexOf(w);
    if (i >= 0) this.unapplied.splice(i, 1);
  }

  /** D for each row from the frozen labels, on this thread, with the kernel's algorithm and RNG stream. */
  sample(rows: Int32Array, m: number, includeSelf: boolean, shareD: boolean, rng: Rng): SubsetBatch {
    const f = this.frozen!;
    return sampleSubsets(rows, f.labels, { offsets: f.offsets, members: f.members }, this.k, m, includeSelf, shareD, rng, undefined, this.views.seen);
  }

  /** n×d: the store as every write issued so far leaves it, without queueing (the store, then the writes not yet
   *  applied laid over it in issue order; a write a worker is applying right now is laid over its own rows). */
  latestCodes(): Float32Array {
    const out = this.views.codes.slice();
    const d = this.d;
    for (const w of this.unapplied) {
      for (let i = 0; i < w.rows.length; i++) out.set(w.codes.subarray(i * d, (i + 1) * d), w.rows[i] * d);
    }
    return out;
  }

  /** The state the sampler draws from (the relabel's start) with every code written since. Restored, it is the
   *  engine as if that relabel had not begun. */
  snapshot(): EngineSnapshot {
    const f = this.frozen!;
    const rng = new Uint32Array(8);
    rng.set(this.views.rngSample, 0); rng.set(f.rngKmeans, 4);
    return {
      codes: this.latestCodes(), labels: f.labels.slice(), dist: f.dist.slice(), centroids: f.centroids.slice(),
      counts: f.counts.slice(), onlineCounts: f.onlineCounts.slice(), rng,
    };
  }
}
