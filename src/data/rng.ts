// A tiny seeded PRNG (mulberry32) and a Fisher–Yates shuffle, used for reproducible data splits.

/**
 * mulberry32: a 32-bit state PRNG (Tommy Ettinger). Returns a function giving floats in [0, 1).
 * Small, fast and good enough for shuffling; the same seed always gives the same sequence.
 * `seed` is taken modulo 2^32.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shuffles `a` in place (Fisher–Yates, from the end: for i = n-1..1 swap a[i] with a[floor(rand·(i+1))]).
 * Consumes exactly n-1 draws from `rand`. Returns `a`.
 */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, rand: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  }
  return a;
}
