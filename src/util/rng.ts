// A small seedable PRNG for everything the trainer draws in JS (init, shuffles, noise), so that one root seed
// fixes a run on every backend and its state can be checkpointed. sfc32 (Chris Doty-Humphrey's small fast
// counter), seeded through splitmix32.
export class Rng {
  private a: number; private b: number; private c: number; private d: number;
  private spare = NaN; // second Box–Muller normal

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let t = s ^ (s >>> 16); t = Math.imul(t, 0x21f0aaad);
      t ^= t >>> 15; t = Math.imul(t, 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.a = mix(); this.b = mix(); this.c = mix(); this.d = mix();
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** uniform in [0, 1) */
  next(): number { return this.nextU32() / 4294967296; }

  /** uniform integer in [0, n) */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** standard normal (Box–Muller) */
  normal(): number {
    if (!Number.isNaN(this.spare)) { const v = this.spare; this.spare = NaN; return v; }
    let u = 0; while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Fisher–Yates in place */
  shuffle(a: Int32Array): Int32Array {
    for (let i = a.length - 1; i > 0; i--) { const j = this.int(i + 1); const t = a[i]; a[i] = a[j]; a[j] = t; }
    return a;
  }

  /** state for checkpoints */
  /** JSON-safe state for checkpoints (the cached Box–Muller normal is null when there is none). */
  getState(): Array<number | null> { return [this.a, this.b, this.c, this.d, Number.isNaN(this.spare) ? null : this.spare]; }
  setState(s: Array<number | null>): void {
    [this.a, this.b, this.c, this.d] = s.slice(0, 4) as number[];
    this.spare = s[4] ?? NaN;
  }
}

/** Derive an independent seed for a named stream from the root seed (tf init, shuffles, workers, ...). */
export function deriveSeed(root: number, stream: string): number {
  let h = 2166136261 ^ (root >>> 0);
  for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 16777619);
  h ^= h >>> 13; h = Math.imul(h, 0x5bd1e995); h ^= h >>> 15;
  return h >>> 0;
}
