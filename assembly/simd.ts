// Small SIMD helpers shared by the kernels (not exported from the module: they take and return v128).

/**
 * acc + a·b. The "relaxed" build (ASC_FEATURE_RELAXED_SIMD, build/uvhe-relaxed.wasm) uses f32x4.relaxed_madd,
 * a fused multiply-add where the CPU has one: the scoring loop is bound by how many SIMD instructions V8 can issue
 * (6 loads + 16 mul/add per 64 flops), and fusing cuts that to 6 + 8 (about 1.35× at k = 1000, see
 * bench/cluster-kernel.ts). The "strict" build rounds the product first, bit for bit like the TypeScript oracle.
 */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

/** tile[(j·4 + r)·16] = splat(x_r[j]). */
// @ts-ignore: decorator
@inline export function splatRow(x: usize, d: i32, tp: usize): void {
  for (let j = 0; j < d; j++) {
    v128.store(tp, v128.load32_splat(x + (<usize>j << 2)));
    tp += 64;
  }
}
