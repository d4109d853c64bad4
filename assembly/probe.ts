// Calibration for the benchmarks: what this core does in register-only 128-bit mul+add right now (other
// processes share the machine, so kernel GFLOP/s are reported next to it).

/** 8 independent mul chains and 8 add chains from registers (more than the mul and add pipes' latency × width
 *  needs, so that the pipes, not the chains, limit it), iters × 64 flops. Returns a checksum. */
export function peakProbe(iters: i32, seed: f32): f32 {
  const m = f32x4.splat(seed), q = f32x4.splat(seed * 0.5);
  let a0 = m, a1 = q, a2 = m, a3 = q, a4 = m, a5 = q, a6 = m, a7 = q;
  let c0 = m, c1 = q, c2 = m, c3 = q, c4 = m, c5 = q, c6 = m, c7 = q;
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.mul(a0, m); a1 = f32x4.mul(a1, m); a2 = f32x4.mul(a2, m); a3 = f32x4.mul(a3, m);
    a4 = f32x4.mul(a4, m); a5 = f32x4.mul(a5, m); a6 = f32x4.mul(a6, m); a7 = f32x4.mul(a7, m);
    c0 = f32x4.add(c0, q); c1 = f32x4.add(c1, q); c2 = f32x4.add(c2, q); c3 = f32x4.add(c3, q);
    c4 = f32x4.add(c4, q); c5 = f32x4.add(c5, q); c6 = f32x4.add(c6, q); c7 = f32x4.add(c7, q);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  const t = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(f32x4.add(s, t), 0);
}
