// xoshiro128** over a 4×u32 state kept in shared memory: the same generator as Rng in src/util/rng.ts,
// so the wasm sampler and the TypeScript oracle make the same draws. Kernels load the state, draw, store it.

let s0: u32 = 0;
let s1: u32 = 0;
let s2: u32 = 0;
let s3: u32 = 0;

/** Load the generator state from statePtr (4×u32) into this instance's registers. */
// @ts-ignore: decorator
@inline export function rngLoad(statePtr: usize): void {
  s0 = load<u32>(statePtr);
  s1 = load<u32>(statePtr, 4);
  s2 = load<u32>(statePtr, 8);
  s3 = load<u32>(statePtr, 12);
}

/** Store the generator state back to statePtr. */
// @ts-ignore: decorator
@inline export function rngStore(statePtr: usize): void {
  store<u32>(statePtr, s0);
  store<u32>(statePtr, s1, 4);
  store<u32>(statePtr, s2, 8);
  store<u32>(statePtr, s3, 12);
}

/** Next u32. */
// @ts-ignore: decorator
@inline export function rngNext(): u32 {
  const r = rotl<u32>(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl<u32>(s3, 11);
  return r;
}

/** Uniform in [0, range): floor(u32·range / 2^32) (Rng.below in src/util/rng.ts). */
// @ts-ignore: decorator
@inline export function rngBelow(range: u32): u32 {
  return <u32>((<u64>rngNext() * <u64>range) >> 32);
}

/** Uniform f64 in [0,1): u32 · 2^-32 (Rng.nextFloat). */
// @ts-ignore: decorator
@inline export function rngFloat(): f64 {
  return <f64>rngNext() * 2.3283064365386963e-10;
}

/** Test hook: write count draws of below(range) (or raw u32 when range == 0) to out (i32). */
export function rngFill(statePtr: usize, range: u32, out: usize, count: i32): void {
  rngLoad(statePtr);
  for (let i = 0; i < count; i++) {
    store<u32>(out + (<usize>i << 2), range == 0 ? rngNext() : rngBelow(range));
  }
  rngStore(statePtr);
}
