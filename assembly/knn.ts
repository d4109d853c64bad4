// Exact K nearest neighbours of rows [lo, hi) among all n rows of the code store (cluster.embed = "spectral"
// builds its graph from them). The store itself is the "centre" panel (prepareCentroids over all n rows, weighted),
// so each score is ‖c‖²_w − 2·x·(w∘c) as in the assignment kernel: 4 rows × 8 candidates per block, splatted tile,
// fused multiply-adds in the relaxed build. Per row a sorted list of the K best scores; a block whose 8 scores
// are all above the row's current K-th best costs one vector compare. Never allocates.
import { madd, splatRow } from './simd';

/** Scratch bytes knnRange needs per thread: the tile (d·64) and 4 sorted lists of K (score f32, index i32). */
export function knnScratchBytes(d: i32, K: i32): i32 {
  return (d << 6) + 4 * K * 8;
}

/** Insert (s, j) into the ascending list of K at lst (K f32 scores, then K i32 indices) if s beats its last. */
// @ts-ignore: decorator
@inline function offer(lst: usize, K: i32, s: f32, j: i32): void {
  const idx = lst + (<usize>K << 2);
  let p = K - 1;
  if (!(s < load<f32>(lst + (<usize>p << 2)))) return;
  // strictly smaller only: on a tie the earlier (lower-index) candidate keeps its place
  while (p > 0 && load<f32>(lst + (<usize>(p - 1) << 2)) > s) {
    store<f32>(lst + (<usize>p << 2), load<f32>(lst + (<usize>(p - 1) << 2)));
    store<i32>(idx + (<usize>p << 2), load<i32>(idx + (<usize>(p - 1) << 2)));
    p--;
  }
  store<f32>(lst + (<usize>p << 2), s);
  store<i32>(idx + (<usize>p << 2), j);
}

/** The 4 lanes of v (candidates j0..j0+3) for row r (index i, list lst), skipping i itself. */
// @ts-ignore: decorator
@inline function offer4(lst: usize, K: i32, v: v128, j0: i32, i: i32): void {
  const worst = f32x4.splat(load<f32>(lst + (<usize>(K - 1) << 2)));
  if (!v128.any_true(f32x4.lt(v, worst))) return;
  if (j0 != i) offer(lst, K, f32x4.extract_lane(v, 0), j0);
  if (j0 + 1 != i) offer(lst, K, f32x4.extract_lane(v, 1), j0 + 1);
  if (j0 + 2 != i) offer(lst, K, f32x4.extract_lane(v, 2), j0 + 2);
  if (j0 + 3 != i) offer(lst, K, f32x4.extract_lane(v, 3), j0 + 3);
}

/**
 * For every row i in [lo, hi): outIdx[i·K ..] = its K nearest other rows (ascending weighted squared distance, ties
 * to the lower index) and outDist[i·K ..] their distances (f32, ‖x‖²_w + score, clamped at 0).
 * codes: n×d f32; w: d f32; panel/cn: prepareCentroids(codes, n, d, w, panel, cn). Needs 1 ≤ K < n.
 */
export function knnRange(codes: usize, d: i32, n: i32, lo: i32, hi: i32, panel: usize, cn: usize, w: usize, K: i32,
  outIdx: usize, outDist: usize, scratch: usize): void {
  const G = (n + 3) >> 2;
  const P = G >> 1;
  const rowBytes = <usize>d << 2;
  const tile = scratch;
  const te = tile + (<usize>d << 6);
  const lists = te; // 4 lists × (K scores + K indices)
  const listBytes = <usize>K << 3;
  for (let i = lo; i < hi; i += 4) {
    const nr = min(4, hi - i);
    const x0 = codes + <usize>i * rowBytes;
    const x1 = nr > 1 ? x0 + rowBytes : x0;
    const x2 = nr > 2 ? x0 + 2 * rowBytes : x0;
    const x3 = nr > 3 ? x0 + 3 * rowBytes : x0;
    const i1 = nr > 1 ? i + 1 : i, i2 = nr > 2 ? i + 2 : i, i3 = nr > 3 ? i + 3 : i;
    splatRow(x0, d, tile); splatRow(x1, d, tile + 16); splatRow(x2, d, tile + 32); splatRow(x3, d, tile + 48);
    for (let r = 0; r < 4; r++) {
      const l = lists + <usize>r * listBytes;
      for (let q = 0; q < K; q++) { store<f32>(l + (<usize>q << 2), Infinity); store<i32>(l + (<usize>(K + q) << 2), -1); }
    }
    const l0 = lists, l1 = lists + listBytes, l2 = lists + 2 * listBytes, l3 = lists + 3 * listBytes;
    let pp = panel;
    for (let p = 0; p < P; p++) {
      const g = p << 1;
      const na = v128.load(cn + (<usize>g << 4));
      const nb = v128.load(cn + (<usize>g << 4), 16);
      let a0 = na, a1 = na, a2 = na, a3 = na;
      let c0 = nb, c1 = nb, c2 = nb, c3 = nb;
      // The same 4×8 sweep as scoreBlock in distance.ts, kept as a copy on purpose: its 8 accumulators must stay
      // in registers, and a shared helper would have to hand them over through memory on every pair of groups.
      let t = tile;
      while (t < te) {
        const va = v128.load(pp);
        const vb = v128.load(pp, 16);
        let s = v128.load(t);
        a0 = madd(s, va, a0); c0 = madd(s, vb, c0);
        s = v128.load(t, 16);
        a1 = madd(s, va, a1); c1 = madd(s, vb, c1);
        s = v128.load(t, 32);
        a2 = madd(s, va, a2); c2 = madd(s, vb, c2);
        s = v128.load(t, 48);
        a3 = madd(s, va, a3); c3 = madd(s, vb, c3);
        pp += 32;
        t += 64;
      }
      const j0 = g << 2;
      offer4(l0, K, a0, j0, i); offer4(l0, K, c0, j0 + 4, i);
      if (nr > 1) { offer4(l1, K, a1, j0, i1); offer4(l1, K, c1, j0 + 4, i1); }
      if (nr > 2) { offer4(l2, K, a2, j0, i2); offer4(l2, K, c2, j0 + 4, i2); }
      if (nr > 3) { offer4(l3, K, a3, j0, i3); offer4(l3, K, c3, j0 + 4, i3); }
    }
    if ((P << 1) < G) {
      // the unpaired last group: 16 bytes per dim
      const g = P << 1;
      const na = v128.load(cn + (<usize>g << 4));
      let a0 = na, a1 = na, a2 = na, a3 = na;
      let t = tile;
      while (t < te) {
        const va = v128.load(pp);
        a0 = madd(v128.load(t), va, a0);
        a1 = madd(v128.load(t, 16), va, a1);
        a2 = madd(v128.load(t, 32), va, a2);
        a3 = madd(v128.load(t, 48), va, a3);
        pp += 16;
        t += 64;
      }
      const j0 = g << 2;
      offer4(l0, K, a0, j0, i);
      if (nr > 1) offer4(l1, K, a1, j0, i1);
      if (nr > 2) offer4(l2, K, a2, j0, i2);
      if (nr > 3) offer4(l3, K, a3, j0, i3);
    }
    // distances = ‖x‖²_w + score (f64 norm), clamped: the score is ‖c‖² − 2x·c, a difference of larger numbers
    for (let r = 0; r < nr; r++) {
      const x = x0 + <usize>r * rowBytes;
      let xn: f64 = 0;
      for (let j = 0; j < d; j++) {
        const v = <f64>load<f32>(x + (<usize>j << 2));
        xn += <f64>load<f32>(w + (<usize>j << 2)) * v * v;
      }
      const l = lists + <usize>r * listBytes;
      const o = <usize>(i + r) * <usize>K;
      for (let q = 0; q < K; q++) {
        const s = <f64>load<f32>(l + (<usize>q << 2)) + xn;
        store<f32>(outDist + ((o + <usize>q) << 2), <f32>(s > 0 ? s : 0));
        store<i32>(outIdx + ((o + <usize>q) << 2), load<i32>(l + (<usize>(K + q) << 2)));
      }
    }
  }
}
