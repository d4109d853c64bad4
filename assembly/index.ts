// placeholder: replaced by the SIMD kernels
export function version(): i32 { return 1; }
