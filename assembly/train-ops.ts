// Elementwise kernels of the CPU trainer (feature-major [rows, cols] f32 matrices, byte offsets into the shared
// memory), each over a row or element range so that threads can split them; a row's outputs never depend on
// other rows, so any split gives the same bits. Never allocates.

import { exp4, hsum, laneMask, loadN, storeN, tanh4 } from './simd-math';

/**
 * A batch's pixels, rows lo..hi of out [P, cols]: out[p, b] = lut[images[idx[b]·P + p]], images n×P bytes
 * (one image per row), idx [cols] i32, lut 256 f32 (byte → [0, 1]). Column b of out is image idx[b].
 */
export function gatherPixels(images: usize, idx: usize, cols: i32, P: i32, lut: usize, out: usize, lo: i32, hi: i32): void {
  for (let p = lo; p < hi; p++) {
    const dst = out + ((<usize>p * <usize>cols) << 2), src = images + <usize>p;
    for (let b = 0; b < cols; b++) {
      const px = load<u8>(src + <usize>load<i32>(idx + (<usize>b << 2)) * <usize>P);
      store<f32>(dst + (<usize>b << 2), load<f32>(lut + (<usize>px << 2)));
    }
  }
}

/**
 * The rows of x [rows, cols] (row stride cols) holding any value other than ±0, as ascending i32 row indices into
 * out [rows]; returns their count. The products that read x skip the other rows (gemm.ts index lists).
 */
export function liveRows(x: usize, rows: i32, cols: i32, out: usize): i32 {
  const magnitude = i32x4.splat(0x7fffffff);
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const row = x + ((<usize>r * <usize>cols) << 2);
    let live = false, c = 0;
    for (; c + 4 <= cols && !live; c += 4) live = v128.any_true(v128.and(v128.load(row + (<usize>c << 2)), magnitude));
    for (; c < cols && !live; c++) live = (load<u32>(row + (<usize>c << 2)) & 0x7fffffff) != 0;
    if (live) { store<i32>(out + (<usize>n << 2), r); n++; }
  }
  return n;
}

/**
 * What follows a product C = op(A)·op(B) (or +=), on rows lo..hi of C [·, N] while they are still in cache, in this
 * order: + bias[r] (bias ≠ 0), max(·, 0) (relu ≠ 0), zero where mask[r, c] ≤ 0 (mask ≠ 0: a ReLU's output with
 * C's stride, its backward), rowsum[r] = Σ_c C[r, c] (rowsum ≠ 0: a bias gradient), and flag = 1 when a value is
 * NaN or ±Inf (flag ≠ 0: a weight gradient; the step skips Adam then).
 */
export function rowEpilogue(C: usize, ldc: i32, N: i32, lo: i32, hi: i32, bias: usize, relu: i32, mask: usize, rowsum: usize, flag: usize): void {
  const zero = f32x4.splat(0);
  let chk = zero;
  for (let r = lo; r < hi; r++) {
    const row = C + ((<usize>r * <usize>ldc) << 2), mrow = mask + ((<usize>r * <usize>ldc) << 2);
    const bs = bias != 0 ? f32x4.splat(load<f32>(bias + (<usize>r << 2))) : zero;
    let acc = zero;
    for (let c = 0; c < N; c += 4) {
      const n = min(4, N - c), o = <usize>c << 2;
      let v = loadN(row + o, n);
      if (bias != 0) v = f32x4.add(v, bs);
      if (relu != 0) v = f32x4.max(v, zero);
      if (mask != 0) v = v128.and(v, f32x4.gt(loadN(mrow + o, n), zero));
      storeN(row + o, v, n);
      if (rowsum != 0) acc = f32x4.add(acc, v128.and(v, laneMask(n)));
      if (flag != 0) chk = f32x4.add(chk, f32x4.mul(v, zero));
    }
    if (rowsum != 0) store<f32>(rowsum + (<usize>r << 2), hsum(acc));
  }
  if (flag != 0 && hsum(chk) != 0) store<i32>(flag, 1);
}

/**
 * A Gaussian head's outputs, rows lo..hi of d: y [2d, cols] holds the products for the means (rows 0..d) and the
 * raw log-stds (rows d..2d). Adds the bias b [2d], bounds the log-stds into sOut [d, cols]: s = L·tanh(raw/L), and,
 * when out ≠ 0, samples out = μ + e^s·eps (eps [d, cols]).
 */
export function headOut(y: usize, b: usize, sOut: usize, eps: usize, out: usize, d: i32, cols: i32, lo: i32, hi: i32, bound: f32): void {
  const Lb = f32x4.splat(bound), half = (<usize>d * <usize>cols) << 2;
  for (let j = lo; j < hi; j++) {
    const off = (<usize>j * <usize>cols) << 2;
    const bm = f32x4.splat(load<f32>(b + (<usize>j << 2))), bs = f32x4.splat(load<f32>(b + (<usize>(d + j) << 2)));
    for (let c = 0; c < cols; c += 4) {
      const n = min(4, cols - c), o = off + (<usize>c << 2);
      const mu = f32x4.add(loadN(y + o, n), bm);
      const raw = f32x4.add(loadN(y + half + o, n), bs);
      storeN(y + o, mu, n);
      storeN(y + half + o, raw, n);
      const s = f32x4.mul(Lb, tanh4(f32x4.div(raw, Lb)));
      storeN(sOut + o, s, n);
      if (out != 0) storeN(out + o, f32x4.add(mu, f32x4.mul(exp4(s), loadN(eps + o, n))), n);
    }
  }
}

/**
 * A Gaussian head's backward, rows lo..hi of d: dy [2d, cols] holds dμ (rows 0..d) and ds (rows d..2d) from the
 * loss. A sample's gradient dOut (≠ 0) flows into dμ (+dOut) and ds (+dOut·e^s·eps); then through the bound,
 * d raw = ds·(1 − (s/L)²). db [2d] gets the rows' sums (the head bias's gradient).
 */
export function sampleBack(dOut: usize, s: usize, eps: usize, dy: usize, db: usize, d: i32, cols: i32, lo: i32, hi: i32, bound: f32): void {
  const Lb = f32x4.splat(bound), one = f32x4.splat(1), half = (<usize>d * <usize>cols) << 2;
  for (let j = lo; j < hi; j++) {
    const off = (<usize>j * <usize>cols) << 2;
    let am = f32x4.splat(0), as = am;
    for (let c = 0; c < cols; c += 4) {
      const n = min(4, cols - c), o = off + (<usize>c << 2);
      const sv = loadN(s + o, n);
      let gm = loadN(dy + o, n), ds = loadN(dy + half + o, n);
      if (dOut != 0) {
        const go = loadN(dOut + o, n);
        gm = f32x4.add(gm, go);
        storeN(dy + o, gm, n);
        ds = f32x4.add(ds, f32x4.mul(f32x4.mul(go, exp4(sv)), loadN(eps + o, n)));
      }
      const t = f32x4.div(sv, Lb);
      const dr = f32x4.mul(ds, f32x4.sub(one, f32x4.mul(t, t)));
      storeN(dy + half + o, dr, n);
      const keep = laneMask(n);
      am = f32x4.add(am, v128.and(gm, keep));
      as = f32x4.add(as, v128.and(dr, keep));
    }
    store<f32>(db + (<usize>j << 2), hsum(am));
    store<f32>(db + (<usize>(d + j) << 2), hsum(as));
  }
}

/**
 * The mean over each D as a gather, rows lo..hi: hbar[r, b] = w·Σ_j hu[r, idx[b·m + j]] for hu [·, U] (the encoded
 * distinct subset rows), idx [B, m] (i32: each D's members as columns of hu), w = 1/m; hbar [·, B]. The dense
 * product with the [U, B] averaging matrix would cost U/m times more.
 */
export function mixGather(hu: usize, U: i32, idx: usize, m: i32, w: f32, hbar: usize, B: i32, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const src = hu + ((<usize>r * <usize>U) << 2), dst = hbar + ((<usize>r * <usize>B) << 2);
    for (let b = 0; b < B; b++) {
      const ib = idx + ((<usize>b * <usize>m) << 2);
      let s: f32 = 0;
      for (let j = 0; j < m; j++) s += load<f32>(src + (<usize>load<i32>(ib + (<usize>j << 2)) << 2));
      store<f32>(dst + (<usize>b << 2), s * w);
    }
  }
}

/**
 * mixGather's backward, rows lo..hi: dhu[r, ·] = scatter of w·dhbar[r, b] onto the columns idx[b·m + j] (in b, j
 * order), then zero where hu ≤ 0 (the encoder's ReLU) and rowsum[r] = Σ_u dhu[r, u] (its bias gradient).
 */
export function mixScatter(dhbar: usize, B: i32, idx: usize, m: i32, w: f32, dhu: usize, hu: usize, U: i32, rowsum: usize, lo: i32, hi: i32): void {
  for (let r = lo; r < hi; r++) {
    const src = dhbar + ((<usize>r * <usize>B) << 2), dst = dhu + ((<usize>r * <usize>U) << 2);
    memory.fill(dst, 0, <usize>U << 2);
    for (let b = 0; b < B; b++) {
      const ib = idx + ((<usize>b * <usize>m) << 2);
      const g = w * load<f32>(src + (<usize>b << 2));
      for (let j = 0; j < m; j++) {
        const p = dst + (<usize>load<i32>(ib + (<usize>j << 2)) << 2);
        store<f32>(p, load<f32>(p) + g);
      }
    }
  }
  rowEpilogue(dhu, U, U, lo, hi, 0, 0, hu, rowsum, 0);
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
