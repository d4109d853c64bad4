// Code-store row writes: scatter B fresh rows (B×d f32, [z‖c], unweighted) into the n×d store. The z/c weights
// are applied where distances are taken (the prepared centroid panel), so the store keeps the true codes and
// readCodes needs no division (and a zero weight loses nothing).

/**
 * store[rows[b]] ← src[b] for b in [0, B). If lower != 0 the row's Hamerly lower bound drops by how far the row
 * moved, ‖new − old‖_w (w: d f32; rounded up), so the bounds stay valid; upper bounds are recomputed anyway.
 */
export function writeRows(storePtr: usize, d: i32, rows: usize, B: i32, src: usize, w: usize, lower: usize): void {
  const rowBytes = <usize>d << 2;
  for (let b = 0; b < B; b++) {
    const r = <usize>load<i32>(rows + (<usize>b << 2));
    if (lower != 0) {
      const o = storePtr + r * rowBytes, nw = src + <usize>b * rowBytes;
      let s: f64 = 0;
      for (let j = 0; j < d; j++) {
        const e = <f64>load<f32>(nw + (<usize>j << 2)) - <f64>load<f32>(o + (<usize>j << 2));
        s += <f64>load<f32>(w + (<usize>j << 2)) * e * e;
      }
      const lp = lower + (r << 2);
      const v = <f64>load<f32>(lp) - (Math.sqrt(s) * (1 + 1e-6) + 1e-30);
      store<f32>(lp, <f32>(v >= 0 ? v * (1 - 1e-6) : v * (1 + 1e-6)));
    }
    memory.copy(storePtr + r * rowBytes, src + <usize>b * rowBytes, rowBytes);
  }
}
