// f32x4 transcendental functions for the trainer's loss and sampling kernels (not exported from the module).
// Accurate to a few float32 ulps over the ranges the trainer uses, which keeps the step within the float
// tolerance of the tfjs oracle; every lane is computed independently, so results never depend on how a range
// was split over threads.

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in two (Cody–Waite): n·LN2_HI is exact for |n| ≤ 2^9
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;

/** e^x per lane; x clamped to [−87.3, 88.3] (results stay normal floats: e^−87.3 ≈ 1.2e−38). Cephes expf:
 *  x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, then 2^n through the exponent bits. */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** log(1 + e) per lane for e in [0, 1] (the softplus tail): with s = e/(2+e) ∈ [0, 1/3], log1p(e) = 2·atanh(s),
 *  whose series in s² is truncated where the next term is below 2e−8 relative. No cancellation for small e. */
// @ts-ignore: decorator
@inline export function log1p01(e: v128): v128 {
  const s = f32x4.div(e, f32x4.add(e, f32x4.splat(2)));
  const s2 = f32x4.mul(s, s);
  let p = f32x4.splat(1.0 / 13);
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 11));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 9));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 7));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 5));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1.0 / 3));
  p = f32x4.add(f32x4.mul(p, s2), f32x4.splat(1));
  return f32x4.mul(f32x4.add(s, s), p);
}

/** tanh per lane: an odd Taylor polynomial below |y| = 0.3 (where (1 − e^−2|y|)/(1 + e^−2|y|) would cancel),
 *  that quotient above, with the sign of y. */
// @ts-ignore: decorator
@inline export function tanh4(y: v128): v128 {
  const ay = f32x4.abs(y);
  const y2 = f32x4.mul(y, y);
  let p = f32x4.splat(-1382.0 / 155925);
  p = f32x4.add(f32x4.mul(p, y2), f32x4.splat(62.0 / 2835));
  p = f32x4.add(f32x4.mul(p, y2), f32x4.splat(-17.0 / 315));
  p = f32x4.add(f32x4.mul(p, y2), f32x4.splat(2.0 / 15));
  p = f32x4.add(f32x4.mul(p, y2), f32x4.splat(-1.0 / 3));
  const small = f32x4.add(y, f32x4.mul(f32x4.mul(p, y2), y));
  const e = exp4(f32x4.mul(ay, f32x4.splat(-2)));
  const one = f32x4.splat(1);
  const big = v128.or(f32x4.div(f32x4.sub(one, e), f32x4.add(one, e)), v128.and(y, i32x4.splat(0x80000000)));
  return v128.bitselect(small, big, f32x4.lt(ay, f32x4.splat(0.3)));
}

/** Sum of the four lanes, in lane order. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return ((f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + f32x4.extract_lane(v, 2)) + f32x4.extract_lane(v, 3);
}

/** Lanes 0..n−1 of the 4 floats at p (the rest 0), n in 1..4. */
// @ts-ignore: decorator
@inline export function loadN(p: usize, n: i32): v128 {
  if (n >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

/** Stores lanes 0..n−1 of v at p. */
// @ts-ignore: decorator
@inline export function storeN(p: usize, v: v128, n: i32): void {
  if (n >= 4) { v128.store(p, v); return; }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** All-ones in lanes 0..n−1. */
// @ts-ignore: decorator
@inline export function laneMask(n: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(n));
}
