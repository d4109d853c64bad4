// The project's one PRNG: xoshiro128** seeded through splitmix32. Everything random draws from it (weight init,
// shuffles, noise, data splits, initial codes, KMeans seeding, subset sampling), so one root seed fixes a run on
// every backend and its state can be checkpointed. The wasm sampler (assembly/rng.ts) follows it draw for draw.

/** splitmix32 step: a good 32-bit mixer used to expand one u32 seed into generator states. */
export function splitmix32(a: number): number {
  a = (a + 0x9e3779b9) | 0;
  let t = a ^ (a >>> 16);
  t = Math.imul(t, 0x21f0aaad);
  t ^= t >>> 15;
  t = Math.imul(t, 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
}

/** Derive an independent u32 seed for a stream (a number, or a name such as "init" or "eval") from a root seed. */
export function deriveSeed(root: number, stream: number | string): number {
  let id: number;
  if (typeof stream === 'number') id = stream;
  else { id = 2166136261; for (let i = 0; i < stream.length; i++) id = Math.imul(id ^ stream.charCodeAt(i), 16777619) >>> 0; }
  return splitmix32((splitmix32(root >>> 0) ^ Math.imul(id + 1, 0x632be5ab)) >>> 0);
}

/**
 * xoshiro128** over a 4×u32 state. The state may be a view into shared memory so that the wasm sampler
 * (assembly/rng.ts, the same algorithm) and this class continue one stream.
 */
export class Rng {
  readonly s: Uint32Array;
  private spare = NaN;

  /** seed: a u32 seed (expanded by splitmix32), or an existing 4×u32 state that is used in place. */
  constructor(seed: number | Uint32Array) {
    if (typeof seed === 'number') {
      this.s = new Uint32Array(4);
      Rng.seedState(this.s, seed);
    } else {
      if (seed.length !== 4) throw new Error('Rng state must be a Uint32Array of length 4');
      this.s = seed;
    }
  }

  /** Fill a 4×u32 state from a u32 seed (never all zero). */
  static seedState(s: Uint32Array, seed: number): void {
    let a = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      a = (a + 0x9e3779b9) >>> 0;
      s[i] = splitmix32(a);
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  }

  /** Next u32 in [0, 2^32). */
  nextU32(): number {
    const s = this.s;
    const s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    const m5 = Math.imul(s1, 5);
    const r = Math.imul((m5 << 7) | (m5 >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = (n3 << 11) | (n3 >>> 21);
    return r;
  }

  /** Uniform integer in [0, range), range in [1, 2^31): floor(u32·range / 2^32), computed exactly. */
  below(range: number): number {
    const r = this.nextU32();
    const hi = r >>> 16;
    const lo = r & 0xffff;
    return Math.floor((hi * range + Math.floor((lo * range) / 65536)) / 65536);
  }

  /** Uniform double in [0, 1) with 32 random bits: u32 · 2^-32. */
  nextFloat(): number {
    return this.nextU32() * 2.3283064365386963e-10;
  }

  /** Standard normal draw (Box–Muller, pairs cached). */
  normal(): number {
    if (this.spare === this.spare) {
      const v = this.spare;
      this.spare = NaN;
      return v;
    }
    const u1 = (this.nextU32() + 1) * 2.3283064365386963e-10; // (0, 1]
    const u2 = this.nextU32() * 2.3283064365386963e-10;
    const r = Math.sqrt(-2 * Math.log(u1));
    const a = 2 * Math.PI * u2;
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** Uniform double in [0, 1) (alias of nextFloat). */
  next(): number { return this.nextFloat(); }

  /** Uniform integer in [0, n) (alias of below). */
  int(n: number): number { return this.below(n); }

  /** Fill out with N(0, 1) draws; returns out. */
  fillNormal(out: Float32Array): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Fisher–Yates in place, from the end: a[i] ↔ a[below(i + 1)] for i = n−1 … 1. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) { const j = this.below(i + 1); const t = a[i]; a[i] = a[j]; a[j] = t; }
    return a;
  }

  /** JSON-safe state for checkpoints: the 4 state words and the cached Box–Muller normal (null if none). */
  getState(): Array<number | null> { return [...this.s, Number.isNaN(this.spare) ? null : this.spare]; }
  setState(st: Array<number | null>): void {
    for (let i = 0; i < 4; i++) this.s[i] = st[i] as number;
    this.spare = st[4] ?? NaN;
  }
}

/** Fill out with N(0,1) draws (the seed's rule for initial codes). */
export function fillNormal(rng: Rng, out: Float32Array): void {
  rng.fillNormal(out);
}
