// Nearest-centre assignment, the hot loop of KMeans: score(x, c) = ‖c‖²_w − 2·x·(w∘c), register-blocked
// 4 points × 8 centres over a "centres in lanes" panel (4 centres per v128, one v128 per dimension), so any d
// works without a dimension tail and points are read straight from the row-major store. Never allocates.

// @ts-ignore: decorator
@inline const INF: f32 = Infinity;

/**
 * Panel for centre group g (centres 4g..4g+3): one v128 per dim j at panel + (g·d + j)·16 holding −2·w_j·c_j;
 * cn + g·16 holds ‖c‖²_w for the four. Padding centres (≥ k) get 0 and +∞ so they never win.
 * cent: k×d f32, w: d f32. panel: ceil(k/4)·d·16 bytes, cn: ceil(k/4)·16 bytes.
 */
export function prepareGroup(cent: usize, k: i32, d: i32, w: usize, panel: usize, cn: usize, g: i32): void {
  const base = panel + ((<usize>g * <usize>d) << 4);
  for (let lane = 0; lane < 4; lane++) {
    const c = (g << 2) + lane;
    const dst = base + (<usize>lane << 2);
    if (c < k) {
      const row = cent + ((<usize>c * <usize>d) << 2);
      let nrm: f64 = 0;
      for (let j = 0; j < d; j++) {
        const cj = load<f32>(row + (<usize>j << 2));
        const wc = load<f32>(w + (<usize>j << 2)) * cj;
        store<f32>(dst + (<usize>j << 4), -2 * wc);
        nrm += <f64>wc * <f64>cj;
      }
      store<f32>(cn + (<usize>g << 4) + (<usize>lane << 2), <f32>nrm);
    } else {
      for (let j = 0; j < d; j++) store<f32>(dst + (<usize>j << 4), 0);
      store<f32>(cn + (<usize>g << 4) + (<usize>lane << 2), INF);
    }
  }
}

/** prepareGroup for every group: call after any change of the centroids. */
export function prepareCentroids(cent: usize, k: i32, d: i32, w: usize, panel: usize, cn: usize): void {
  const G = (k + 3) >> 2;
  for (let g = 0; g < G; g++) prepareGroup(cent, k, d, w, panel, cn, g);
}

/** Weighted squared distance Σ w_j (x_j − c_j)², f32 SIMD with a scalar tail. */
// @ts-ignore: decorator
@inline export function wdist(x: usize, c: usize, w: usize, d: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const o = <usize>j << 2;
    const e = f32x4.sub(v128.load(x + o), v128.load(c + o));
    acc = f32x4.add(acc, f32x4.mul(v128.load(w + o), f32x4.mul(e, e)));
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  for (; j < d; j++) {
    const o = <usize>j << 2;
    const e = load<f32>(x + o) - load<f32>(c + o);
    s += load<f32>(w + o) * e * e;
  }
  return s;
}

/** Exported wdist (tests). */
export function weightedSqDist(x: usize, c: usize, w: usize, d: i32): f32 {
  return wdist(x, c, w, d);
}

/** Lowest index among the lanes holding the minimum (ties → lowest centre index). */
// @ts-ignore: decorator
@inline function reduceBest(bv: v128, bi: v128): i32 {
  let v = f32x4.extract_lane(bv, 0);
  let i = i32x4.extract_lane(bi, 0);
  let v1 = f32x4.extract_lane(bv, 1), i1 = i32x4.extract_lane(bi, 1);
  if (v1 < v || (v1 == v && i1 < i)) { v = v1; i = i1; }
  v1 = f32x4.extract_lane(bv, 2); i1 = i32x4.extract_lane(bi, 2);
  if (v1 < v || (v1 == v && i1 < i)) { v = v1; i = i1; }
  v1 = f32x4.extract_lane(bv, 3); i1 = i32x4.extract_lane(bi, 3);
  if (v1 < v || (v1 == v && i1 < i)) { v = v1; i = i1; }
  return i;
}

let gInertia: f64 = 0;
let gChanged: i32 = 0;

/** Record the winner of row i: label (counting changes), exact weighted distance, optional f64 sums/counts. */
// @ts-ignore: decorator
@inline function finishRow(i: i32, x: usize, best: i32, d: i32, cent: usize, w: usize, labels: usize, dist: usize, sums: usize, counts: usize): void {
  const lp = labels + (<usize>i << 2);
  if (load<i32>(lp) != best) gChanged++;
  store<i32>(lp, best);
  const dd = wdist(x, cent + ((<usize>best * <usize>d) << 2), w, d);
  store<f32>(dist + (<usize>i << 2), dd);
  gInertia += <f64>dd;
  if (sums != 0) {
    const s = sums + ((<usize>best * <usize>d) << 3);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      const so = s + (<usize>j << 3);
      v128.store(so, f64x2.add(v128.load(so), f64x2.promote_low_f32x4(v)));
      v128.store(so, f64x2.add(v128.load(so, 16), f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1))), 16);
    }
    for (; j < d; j++) {
      const so = s + (<usize>j << 3);
      store<f64>(so, load<f64>(so) + <f64>load<f32>(x + (<usize>j << 2)));
    }
    const cp = counts + (<usize>best << 2);
    store<i32>(cp, load<i32>(cp) + 1);
  }
}

/**
 * Assign rows [lo, hi) of codes (row-major, d f32 per row) to their nearest centre.
 * panel/cn: from prepareCentroids; cent: k×d f32 (unweighted, for the exact distance of the winner); w: d f32.
 * Writes labels[i] (i32) and dist[i] (f32, exact weighted sq. distance) for i in [lo, hi).
 * If sums != 0: adds each row (f64) into sums (k×d f64) and counts (k i32) of its winner (Lloyd accumulate).
 * stats: i32[0] = labels changed. Returns the inertia of the range (f64).
 */
export function assignRange(
  codes: usize, d: i32, lo: i32, hi: i32, panel: usize, cn: usize, k: i32, cent: usize, w: usize,
  labels: usize, dist: usize, sums: usize, counts: usize, stats: usize,
): f64 {
  const G = (k + 3) >> 2;
  const rowBytes = <usize>d << 2;
  const gBytes = <usize>d << 4;
  const lanes = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  gInertia = 0;
  gChanged = 0;
  let i = lo;
  for (; i + 4 <= hi; i += 4) {
    const x0 = codes + <usize>i * rowBytes;
    const x1 = x0 + rowBytes;
    const x2 = x1 + rowBytes;
    const x3 = x2 + rowBytes;
    let b0 = f32x4.splat(INF), b1 = b0, b2 = b0, b3 = b0;
    let i0 = i32x4.splat(0), i1 = i0, i2 = i0, i3 = i0;
    let g = 0;
    for (; g + 2 <= G; g += 2) {
      let pa = panel + <usize>g * gBytes;
      let pb = pa + gBytes;
      const na = v128.load(cn + (<usize>g << 4));
      const nb = v128.load(cn + (<usize>g << 4), 16);
      let a0 = na, a1 = na, a2 = na, a3 = na;
      let c0 = nb, c1 = nb, c2 = nb, c3 = nb;
      for (let j: usize = 0; j < rowBytes; j += 4) {
        const va = v128.load(pa);
        const vb = v128.load(pb);
        pa += 16;
        pb += 16;
        let s = v128.load32_splat(x0 + j);
        a0 = f32x4.add(a0, f32x4.mul(s, va));
        c0 = f32x4.add(c0, f32x4.mul(s, vb));
        s = v128.load32_splat(x1 + j);
        a1 = f32x4.add(a1, f32x4.mul(s, va));
        c1 = f32x4.add(c1, f32x4.mul(s, vb));
        s = v128.load32_splat(x2 + j);
        a2 = f32x4.add(a2, f32x4.mul(s, va));
        c2 = f32x4.add(c2, f32x4.mul(s, vb));
        s = v128.load32_splat(x3 + j);
        a3 = f32x4.add(a3, f32x4.mul(s, va));
        c3 = f32x4.add(c3, f32x4.mul(s, vb));
      }
      const ia = i32x4.add(i32x4.splat(g << 2), lanes);
      const ib = i32x4.add(ia, four);
      let m = f32x4.lt(a0, b0); b0 = v128.bitselect(a0, b0, m); i0 = v128.bitselect(ia, i0, m);
      m = f32x4.lt(c0, b0); b0 = v128.bitselect(c0, b0, m); i0 = v128.bitselect(ib, i0, m);
      m = f32x4.lt(a1, b1); b1 = v128.bitselect(a1, b1, m); i1 = v128.bitselect(ia, i1, m);
      m = f32x4.lt(c1, b1); b1 = v128.bitselect(c1, b1, m); i1 = v128.bitselect(ib, i1, m);
      m = f32x4.lt(a2, b2); b2 = v128.bitselect(a2, b2, m); i2 = v128.bitselect(ia, i2, m);
      m = f32x4.lt(c2, b2); b2 = v128.bitselect(c2, b2, m); i2 = v128.bitselect(ib, i2, m);
      m = f32x4.lt(a3, b3); b3 = v128.bitselect(a3, b3, m); i3 = v128.bitselect(ia, i3, m);
      m = f32x4.lt(c3, b3); b3 = v128.bitselect(c3, b3, m); i3 = v128.bitselect(ib, i3, m);
    }
    if (g < G) {
      let pa = panel + <usize>g * gBytes;
      const na = v128.load(cn + (<usize>g << 4));
      let a0 = na, a1 = na, a2 = na, a3 = na;
      for (let j: usize = 0; j < rowBytes; j += 4) {
        const va = v128.load(pa);
        pa += 16;
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(x0 + j), va));
        a1 = f32x4.add(a1, f32x4.mul(v128.load32_splat(x1 + j), va));
        a2 = f32x4.add(a2, f32x4.mul(v128.load32_splat(x2 + j), va));
        a3 = f32x4.add(a3, f32x4.mul(v128.load32_splat(x3 + j), va));
      }
      const ia = i32x4.add(i32x4.splat(g << 2), lanes);
      let m = f32x4.lt(a0, b0); b0 = v128.bitselect(a0, b0, m); i0 = v128.bitselect(ia, i0, m);
      m = f32x4.lt(a1, b1); b1 = v128.bitselect(a1, b1, m); i1 = v128.bitselect(ia, i1, m);
      m = f32x4.lt(a2, b2); b2 = v128.bitselect(a2, b2, m); i2 = v128.bitselect(ia, i2, m);
      m = f32x4.lt(a3, b3); b3 = v128.bitselect(a3, b3, m); i3 = v128.bitselect(ia, i3, m);
    }
    finishRow(i, x0, reduceBest(b0, i0), d, cent, w, labels, dist, sums, counts);
    finishRow(i + 1, x1, reduceBest(b1, i1), d, cent, w, labels, dist, sums, counts);
    finishRow(i + 2, x2, reduceBest(b2, i2), d, cent, w, labels, dist, sums, counts);
    finishRow(i + 3, x3, reduceBest(b3, i3), d, cent, w, labels, dist, sums, counts);
  }
  // row tail: one point at a time
  for (; i < hi; i++) {
    const x0 = codes + <usize>i * rowBytes;
    let b0 = f32x4.splat(INF);
    let i0 = i32x4.splat(0);
    for (let g = 0; g < G; g++) {
      let pa = panel + <usize>g * gBytes;
      let a0 = v128.load(cn + (<usize>g << 4));
      for (let j: usize = 0; j < rowBytes; j += 4) {
        a0 = f32x4.add(a0, f32x4.mul(v128.load32_splat(x0 + j), v128.load(pa)));
        pa += 16;
      }
      const ia = i32x4.add(i32x4.splat(g << 2), lanes);
      const m = f32x4.lt(a0, b0); b0 = v128.bitselect(a0, b0, m); i0 = v128.bitselect(ia, i0, m);
    }
    finishRow(i, x0, reduceBest(b0, i0), d, cent, w, labels, dist, sums, counts);
  }
  store<i32>(stats, gChanged);
  return gInertia;
}
