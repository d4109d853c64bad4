// Elementwise and reduction kernels of the CPU trainer (feature-major [rows, cols] f32 matrices, byte offsets
// into the shared memory), each over a row or element range so that threads can split them. Never allocates.

/** y[r, c] += b[r] for rows lo..hi of a [rows, cols] matrix, then max(·, 0) when relu ≠ 0. */
export function biasAct(y: usize, b: usize, cols: i32, lo: i32, hi: i32, relu: i32): void {
  const zero = f32x4.splat(0);
  for (let r = lo; r < hi; r++) {
    const row = y + ((<usize>r * <usize>cols) << 2);
    const bs = f32x4.splat(load<f32>(b + (<usize>r << 2)));
    let c = 0;
    if (relu != 0) {
      for (; c + 4 <= cols; c += 4) { const p = row + (<usize>c << 2); v128.store(p, f32x4.max(f32x4.add(v128.load(p), bs), zero)); }
      for (; c < cols; c++) { const p = row + (<usize>c << 2); store<f32>(p, max<f32>(load<f32>(p) + f32x4.extract_lane(bs, 0), 0)); }
    } else {
      for (; c + 4 <= cols; c += 4) { const p = row + (<usize>c << 2); v128.store(p, f32x4.add(v128.load(p), bs)); }
      for (; c < cols; c++) { const p = row + (<usize>c << 2); store<f32>(p, load<f32>(p) + f32x4.extract_lane(bs, 0)); }
    }
  }
}

/** ReLU backward over elements lo..hi: d[i] = 0 where h[i] ≤ 0 (h is the ReLU's output). */
export function reluBackward(d: usize, h: usize, lo: i32, hi: i32): void {
  const zero = f32x4.splat(0);
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const o = <usize>i << 2;
    v128.store(d + o, v128.and(v128.load(d + o), f32x4.gt(v128.load(h + o), zero)));
  }
  for (; i < hi; i++) { const o = <usize>i << 2; if (!(load<f32>(h + o) > 0)) store<f32>(d + o, 0); }
}

/** out[r] = Σ_c x[r, c] for rows lo..hi of a [rows, cols] matrix (a bias gradient), in column order. */
export function rowSums(x: usize, cols: i32, lo: i32, hi: i32, out: usize): void {
  for (let r = lo; r < hi; r++) {
    const row = x + ((<usize>r * <usize>cols) << 2);
    let s: f32 = 0;
    for (let c = 0; c < cols; c++) s += load<f32>(row + (<usize>c << 2));
    store<f32>(out + (<usize>r << 2), s);
  }
}

/** 1 when x[lo..hi) holds a NaN or ±Inf, else 0 (x·0 is 0 only for finite x). */
export function anyNonFinite(x: usize, lo: i32, hi: i32): i32 {
  let acc = f32x4.splat(0);
  const zero = acc;
  let i = lo;
  for (; i + 4 <= hi; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(x + (<usize>i << 2)), zero));
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (; i < hi; i++) s += load<f32>(x + (<usize>i << 2)) * 0;
  return s != 0 ? 1 : 0;
}

/**
 * Adam (PyTorch's form) over elements lo..hi of the flat weights w, gradients g and moments m, v:
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², w ← w − a·m / (√(v·cb2) + ε), where a = lr/(1−β1^t) and
 * cb2 = 1/(1−β2^t) fold in the bias corrections.
 */
export function adamRange(w: usize, g: usize, m: usize, v: usize, lo: i32, hi: i32, b1: f32, b2: f32, a: f32, cb2: f32, eps: f32): void {
  const B1 = f32x4.splat(b1), B2 = f32x4.splat(b2), C1 = f32x4.splat(1 - b1), C2 = f32x4.splat(1 - b2);
  const A = f32x4.splat(a), CB2 = f32x4.splat(cb2), E = f32x4.splat(eps);
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const o = <usize>i << 2;
    const gi = v128.load(g + o);
    const mi = f32x4.add(f32x4.mul(B1, v128.load(m + o)), f32x4.mul(C1, gi));
    const vi = f32x4.add(f32x4.mul(B2, v128.load(v + o)), f32x4.mul(C2, f32x4.mul(gi, gi)));
    v128.store(m + o, mi); v128.store(v + o, vi);
    const den = f32x4.add(f32x4.sqrt(f32x4.mul(vi, CB2)), E);
    v128.store(w + o, f32x4.sub(v128.load(w + o), f32x4.div(f32x4.mul(A, mi), den)));
  }
  for (; i < hi; i++) {
    const o = <usize>i << 2;
    const gi = load<f32>(g + o);
    const mi = b1 * load<f32>(m + o) + (1 - b1) * gi;
    const vi = b2 * load<f32>(v + o) + (1 - b2) * (gi * gi);
    store<f32>(m + o, mi); store<f32>(v + o, vi);
    store<f32>(w + o, load<f32>(w + o) - (a * mi) / (Mathf.sqrt(vi * cb2) + eps));
  }
}
