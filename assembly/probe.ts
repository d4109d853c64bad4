// Calibration for the benchmarks: what this core does in register-only 128-bit mul+add right now (other
// processes share the machine, so kernel GFLOP/s are reported next to it).

/** 6 independent mul chains and 6 add chains from registers, iters × 48 flops. Returns a checksum. */
export function peakProbe(iters: i32, seed: f32): f32 {
  const m = f32x4.splat(seed), q = f32x4.splat(seed * 0.5);
  let a0 = m, a1 = q, a2 = m, a3 = q, a4 = m, a5 = q;
  let c0 = m, c1 = q, c2 = m, c3 = q, c4 = m, c5 = q;
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.mul(a0, m); a1 = f32x4.mul(a1, m); a2 = f32x4.mul(a2, m); a3 = f32x4.mul(a3, m);
    a4 = f32x4.mul(a4, m); a5 = f32x4.mul(a5, m);
    c0 = f32x4.add(c0, q); c1 = f32x4.add(c1, q); c2 = f32x4.add(c2, q); c3 = f32x4.add(c3, q);
    c4 = f32x4.add(c4, q); c5 = f32x4.add(c5, q);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(a4, a5));
  const t = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(c4, c5));
  return f32x4.extract_lane(f32x4.add(s, t), 0);
}
