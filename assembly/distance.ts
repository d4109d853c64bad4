// Nearest-centre assignment, the hot loop of KMeans: score(x, c) = ‖c‖²_w − 2·x·(w∘c), register-blocked 4 points
// × 8 centres over a "centres in lanes" panel (4 centres per v128, one v128 per dimension, groups interleaved in
// pairs so that both panel loads share one pointer). For k > 16 the 4 points are first splatted into a small
// per-thread tile, so the inner loop is 6 plain v128 loads and 16 mul/add (V8 folds constant offsets of plain
// loads into the address, but not of load32_splat). Optional Hamerly bounds (one upper bound to the assigned
// centre, one lower bound to the second closest, per-centre drift) skip the scoring of rows whose label cannot
// change; rows are finished in order with the same arithmetic, so the results equal the brute-force pass bit for
// bit. Never allocates.

import { madd, splatRow } from './simd';

// @ts-ignore: decorator
@inline const INF: f32 = Infinity;
/** Rows per chunk of the bounded pass (decide, score the undecided in blocks of 4, finish in row order). */
// @ts-ignore: decorator
@inline const CHUNK: i32 = 128;

/** Byte offset of (group g, dim 0) in the panel and the per-dim stride: pairs of groups share 32 bytes per dim. */
// @ts-ignore: decorator
@inline export function groupBase(panel: usize, G: i32, d: i32, g: i32): usize {
  const p = g >> 1;
  const full = (p << 1) + 1 < G;
  return panel + <usize>p * (<usize>d << 5) + (full ? (<usize>(g & 1) << 4) : 0);
}
// @ts-ignore: decorator
@inline export function groupStride(G: i32, g: i32): usize {
  return ((g >> 1) << 1) + 1 < G ? 32 : 16;
}

/**
 * Panel entries of centre group g (centres 4g..4g+3): −2·w_j·c_j for every dim j (layout: groups 2p and 2p+1
 * share 32 bytes per dim, an odd last group has 16); cn + g·16 holds ‖c‖²_w for the four. Padding centres (≥ k)
 * get 0 and +∞ so they never win. cent: k×d f32, w: d f32. panel: ceil(k/4)·d·16 bytes, cn: ceil(k/4)·16 bytes.
 */
export function prepareGroup(cent: usize, k: i32, d: i32, w: usize, panel: usize, cn: usize, g: i32): void {
  const G = (k + 3) >> 2;
  const base = groupBase(panel, G, d, g);
  const js = groupStride(G, g);
  for (let lane = 0; lane < 4; lane++) {
    const c = (g << 2) + lane;
    const dst = base + (<usize>lane << 2);
    if (c < k) {
      const row = cent + ((<usize>c * <usize>d) << 2);
      let nrm: f64 = 0;
      for (let j = 0; j < d; j++) {
        const cj = load<f32>(row + (<usize>j << 2));
        const wc = load<f32>(w + (<usize>j << 2)) * cj;
        store<f32>(dst + <usize>j * js, -2 * wc);
        nrm += <f64>wc * <f64>cj;
      }
      store<f32>(cn + (<usize>g << 4) + (<usize>lane << 2), <f32>nrm);
    } else {
      for (let j = 0; j < d; j++) store<f32>(dst + <usize>j * js, 0);
      store<f32>(cn + (<usize>g << 4) + (<usize>lane << 2), INF);
    }
  }
}

/** prepareGroup for every group: call after any change of the centroids. */
export function prepareCentroids(cent: usize, k: i32, d: i32, w: usize, panel: usize, cn: usize): void {
  const G = (k + 3) >> 2;
  for (let g = 0; g < G; g++) prepareGroup(cent, k, d, w, panel, cn, g);
}

/** Weighted squared distance Σ w_j (x_j − c_j)², f32 SIMD with a scalar tail. Two accumulators (dims j mod 8 < 4
 *  and ≥ 4), because a single chain of adds is latency-bound: at d = 64 it was ~1/4 of a k = 10 assignment. */
// @ts-ignore: decorator
@inline export function wdist(x: usize, c: usize, w: usize, d: i32): f32 {
  let acc = f32x4.splat(0);
  let acc2 = acc;
  let j = 0;
  for (; j + 8 <= d; j += 8) {
    const o = <usize>j << 2;
    const e = f32x4.sub(v128.load(x + o), v128.load(c + o));
    const e2 = f32x4.sub(v128.load(x + o, 16), v128.load(c + o, 16));
    acc = f32x4.add(acc, f32x4.mul(v128.load(w + o), f32x4.mul(e, e)));
    acc2 = f32x4.add(acc2, f32x4.mul(v128.load(w + o, 16), f32x4.mul(e2, e2)));
  }
  if (j + 4 <= d) {
    const o = <usize>j << 2;
    const e = f32x4.sub(v128.load(x + o), v128.load(c + o));
    acc = f32x4.add(acc, f32x4.mul(v128.load(w + o), f32x4.mul(e, e)));
    j += 4;
  }
  acc = f32x4.add(acc, acc2);
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

/** Σ w_j x_j² in f64 (the row's own norm, for its lower bound). */
// @ts-ignore: decorator
@inline function wnorm2(x: usize, w: usize, d: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < d; j++) {
    const v = <f64>load<f32>(x + (<usize>j << 2));
    s += <f64>load<f32>(w + (<usize>j << 2)) * v * v;
  }
  return s;
}

/** Lowest index among the lanes holding the minimum (ties → lowest centre index), branch-free. */
// @ts-ignore: decorator
@inline function reduceBest(bv: v128, bi: v128): i32 {
  let m = f32x4.pmin(bv, v128.shuffle<f32>(bv, bv, 2, 3, 0, 1));
  m = f32x4.pmin(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2));
  let ix = v128.bitselect(bi, i32x4.splat(0x7fffffff), f32x4.eq(bv, m));
  ix = i32x4.min_s(ix, v128.shuffle<i32>(ix, ix, 2, 3, 0, 1));
  ix = i32x4.min_s(ix, v128.shuffle<i32>(ix, ix, 1, 0, 3, 2));
  return i32x4.extract_lane(ix, 0);
}

/** Smallest score other than the winner's: min of the per-lane seconds and the other lanes' bests. */
// @ts-ignore: decorator
@inline function reduceSecond(bv: v128, bi: v128, sv: v128, best: i32): f32 {
  const other = v128.bitselect(f32x4.splat(INF), bv, i32x4.eq(bi, i32x4.splat(best)));
  let m = f32x4.pmin(sv, other);
  m = f32x4.pmin(m, v128.shuffle<f32>(m, m, 2, 3, 0, 1));
  m = f32x4.pmin(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2));
  return f32x4.extract_lane(m, 0);
}

let gInertia: f64 = 0;
let gChanged: i32 = 0;
let gScored: i32 = 0;

/** Record the winner of row i with its exact weighted distance dd: label (counting changes), optional f64 sums/counts. */
// @ts-ignore: decorator
@inline function finishRowD(i: i32, x: usize, best: i32, dd: f32, d: i32, labels: usize, dist: usize, sums: usize, counts: usize): void {
  const lp = labels + (<usize>i << 2);
  if (load<i32>(lp) != best) gChanged++;
  store<i32>(lp, best);
  store<f32>(dist + (<usize>i << 2), dd);
  gInertia += <f64>dd;
  if (sums != 0) accumulateRow(x, best, d, sums, counts);
}

/** Lloyd accumulate: sums[best] += x (f64), counts[best] += 1. */
// @ts-ignore: decorator
@inline function accumulateRow(x: usize, best: i32, d: i32, sums: usize, counts: usize): void {
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

/** Scratch bytes per thread for assignRange (tile, block results, chunk state). */
export function assignScratchBytes(d: i32): i32 {
  return (d << 6) + 256 + CHUNK * 12;
}

// @ts-ignore: decorator
@inline function upd(a: v128, b: v128, ib: v128, ia: v128): v128 {
  return v128.bitselect(ia, ib, f32x4.lt(a, b));
}

/**
 * Score 4 rows (x0..x3, may repeat) against all G groups of centres. Writes to res: best score per lane for each
 * row (4 × v128 at 0), its centre index (4 × v128 at 64) and, with SECOND, the per-lane second best (at 128).
 * Per (row, centre) the arithmetic is always acc = ‖c‖²; acc += x_j·p_j in order j = 0..d−1 (mul, then add; one
 * fused multiply-add in the relaxed build).
 */
// @ts-ignore: decorator
@inline function scoreBlock(x0: usize, x1: usize, x2: usize, x3: usize, d: i32, panel: usize, cn: usize, G: i32, tile: usize, res: usize, useTile: bool, SECOND: bool): void {
  const P = G >> 1;
  const lanes = i32x4(0, 1, 2, 3);
  const four = i32x4.splat(4);
  const rowEnd = <usize>d << 2;
  const te = tile + (<usize>d << 6);
  if (useTile) {
    splatRow(x0, d, tile); splatRow(x1, d, tile + 16); splatRow(x2, d, tile + 32); splatRow(x3, d, tile + 48);
  }
  let b0 = f32x4.splat(INF), b1 = b0, b2 = b0, b3 = b0;
  let s0 = b0, s1 = b0, s2 = b0, s3 = b0;
  let i0 = i32x4.splat(0), i1 = i0, i2 = i0, i3 = i0;
  let pp = panel;
  for (let p = 0; p < P; p++) {
    const g = p << 1;
    const na = v128.load(cn + (<usize>g << 4));
    const nb = v128.load(cn + (<usize>g << 4), 16);
    let a0 = na, a1 = na, a2 = na, a3 = na;
    let c0 = nb, c1 = nb, c2 = nb, c3 = nb;
    if (useTile) {
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
    } else {
      for (let j: usize = 0; j < rowEnd; j += 4) {
        const va = v128.load(pp);
        const vb = v128.load(pp, 16);
        pp += 32;
        let s = v128.load32_splat(x0 + j);
        a0 = madd(s, va, a0); c0 = madd(s, vb, c0);
        s = v128.load32_splat(x1 + j);
        a1 = madd(s, va, a1); c1 = madd(s, vb, c1);
        s = v128.load32_splat(x2 + j);
        a2 = madd(s, va, a2); c2 = madd(s, vb, c2);
        s = v128.load32_splat(x3 + j);
        a3 = madd(s, va, a3); c3 = madd(s, vb, c3);
      }
    }
    const ia = i32x4.add(i32x4.splat(g << 2), lanes);
    const ib = i32x4.add(ia, four);
    if (SECOND) {
      s0 = f32x4.pmin(s0, f32x4.pmax(a0, b0)); s1 = f32x4.pmin(s1, f32x4.pmax(a1, b1));
      s2 = f32x4.pmin(s2, f32x4.pmax(a2, b2)); s3 = f32x4.pmin(s3, f32x4.pmax(a3, b3));
    }
    i0 = upd(a0, b0, i0, ia); b0 = f32x4.pmin(b0, a0);
    i1 = upd(a1, b1, i1, ia); b1 = f32x4.pmin(b1, a1);
    i2 = upd(a2, b2, i2, ia); b2 = f32x4.pmin(b2, a2);
    i3 = upd(a3, b3, i3, ia); b3 = f32x4.pmin(b3, a3);
    if (SECOND) {
      s0 = f32x4.pmin(s0, f32x4.pmax(c0, b0)); s1 = f32x4.pmin(s1, f32x4.pmax(c1, b1));
      s2 = f32x4.pmin(s2, f32x4.pmax(c2, b2)); s3 = f32x4.pmin(s3, f32x4.pmax(c3, b3));
    }
    i0 = upd(c0, b0, i0, ib); b0 = f32x4.pmin(b0, c0);
    i1 = upd(c1, b1, i1, ib); b1 = f32x4.pmin(b1, c1);
    i2 = upd(c2, b2, i2, ib); b2 = f32x4.pmin(b2, c2);
    i3 = upd(c3, b3, i3, ib); b3 = f32x4.pmin(b3, c3);
  }
  if ((P << 1) < G) {
    const g = P << 1;
    const na = v128.load(cn + (<usize>g << 4));
    let a0 = na, a1 = na, a2 = na, a3 = na;
    if (useTile) {
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
    } else {
      for (let j: usize = 0; j < rowEnd; j += 4) {
        const va = v128.load(pp);
        pp += 16;
        a0 = madd(v128.load32_splat(x0 + j), va, a0);
        a1 = madd(v128.load32_splat(x1 + j), va, a1);
        a2 = madd(v128.load32_splat(x2 + j), va, a2);
        a3 = madd(v128.load32_splat(x3 + j), va, a3);
      }
    }
    const ia = i32x4.add(i32x4.splat(g << 2), lanes);
    if (SECOND) {
      s0 = f32x4.pmin(s0, f32x4.pmax(a0, b0)); s1 = f32x4.pmin(s1, f32x4.pmax(a1, b1));
      s2 = f32x4.pmin(s2, f32x4.pmax(a2, b2)); s3 = f32x4.pmin(s3, f32x4.pmax(a3, b3));
    }
    i0 = upd(a0, b0, i0, ia); b0 = f32x4.pmin(b0, a0);
    i1 = upd(a1, b1, i1, ia); b1 = f32x4.pmin(b1, a1);
    i2 = upd(a2, b2, i2, ia); b2 = f32x4.pmin(b2, a2);
    i3 = upd(a3, b3, i3, ia); b3 = f32x4.pmin(b3, a3);
  }
  v128.store(res, b0); v128.store(res, b1, 16); v128.store(res, b2, 32); v128.store(res, b3, 48);
  v128.store(res, i0, 64); v128.store(res, i1, 80); v128.store(res, i2, 96); v128.store(res, i3, 112);
  if (SECOND) { v128.store(res, s0, 128); v128.store(res, s1, 144); v128.store(res, s2, 160); v128.store(res, s3, 176); }
}

/**
 * scoreBlock for exactly three groups (k = 9..12, e.g. k = 10) and 3 rows, in one sweep over the dimensions: 9
 * accumulators + 3 panel loads + 3 splats fill the 15 vector registers V8 allocates, where two sweeps (pair, then
 * the last group) reloaded every splat. Same per-(row, centre) arithmetic as scoreBlock, so the same labels.
 * Plain pass only (no second best). Writes rows 0..2 of res in scoreBlock's layout.
 */
// @ts-ignore: decorator
@inline function scoreBlock3(x0: usize, x1: usize, x2: usize, d: i32, panel: usize, cn: usize, res: usize): void {
  const na = v128.load(cn), nb = v128.load(cn, 16), nc = v128.load(cn, 32);
  let a0 = na, a1 = na, a2 = na;
  let b0 = nb, b1 = nb, b2 = nb;
  let c0 = nc, c1 = nc, c2 = nc;
  const rowEnd = <usize>d << 2;
  let pp = panel;
  let pq = panel + (<usize>d << 5); // group 2 is the unpaired last group: 16 bytes per dim after the pair
  for (let j: usize = 0; j < rowEnd; j += 4) {
    const va = v128.load(pp);
    const vb = v128.load(pp, 16);
    const vc = v128.load(pq);
    pp += 32;
    pq += 16;
    let s = v128.load32_splat(x0 + j);
    a0 = madd(s, va, a0); b0 = madd(s, vb, b0); c0 = madd(s, vc, c0);
    s = v128.load32_splat(x1 + j);
    a1 = madd(s, va, a1); b1 = madd(s, vb, b1); c1 = madd(s, vc, c1);
    s = v128.load32_splat(x2 + j);
    a2 = madd(s, va, a2); b2 = madd(s, vb, b2); c2 = madd(s, vc, c2);
  }
  // per row: lanes of group 0, then 1, then 2, keeping the first (lowest centre) on ties, as scoreBlock does
  const ia = i32x4(0, 1, 2, 3), ib = i32x4(4, 5, 6, 7), ic = i32x4(8, 9, 10, 11);
  let i0 = upd(b0, a0, ia, ib); a0 = f32x4.pmin(a0, b0); i0 = upd(c0, a0, i0, ic); a0 = f32x4.pmin(a0, c0);
  let i1 = upd(b1, a1, ia, ib); a1 = f32x4.pmin(a1, b1); i1 = upd(c1, a1, i1, ic); a1 = f32x4.pmin(a1, c1);
  let i2 = upd(b2, a2, ia, ib); a2 = f32x4.pmin(a2, b2); i2 = upd(c2, a2, i2, ic); a2 = f32x4.pmin(a2, c2);
  v128.store(res, a0); v128.store(res, a1, 16); v128.store(res, a2, 32);
  v128.store(res, i0, 64); v128.store(res, i1, 80); v128.store(res, i2, 96);
}

/** f32 not below x (x >= 0). */
// @ts-ignore: decorator
@inline function roundUp(x: f64): f32 {
  return <f32>(x * (1 + 1e-6) + 1e-30);
}
/** f32 not above x. */
// @ts-ignore: decorator
@inline function roundDown(x: f64): f32 {
  return <f32>(x * (1 - 1e-6));
}

/**
 * Assign rows [lo, hi) of codes (row-major, d f32 per row) to their nearest centre.
 * panel/cn: from prepareCentroids; cent: k×d f32 (unweighted, for the exact distance of the winner); w: d f32.
 * Writes labels[i] (i32) and dist[i] (f32, exact weighted sq. distance) for i in [lo, hi).
 * If sums != 0: adds each row (f64) into sums (k×d f64) and counts (k i32) of its winner (Lloyd accumulate).
 * scratch: assignScratchBytes(d) bytes private to this thread.
 * mode 0: plain. mode 1: also record Hamerly bounds: upper[i] ≥ distance to the winner, lower[i] ≤ distance to
 * every other centre (n f32 each, unsquared, weighted). mode 2: use and refresh them; drift from boundsDrift.
 * Labels and distances never depend on the mode. stats: i32[0] = labels changed, i32[1] = rows scored.
 * Returns the inertia of the range (f64).
 */
export function assignRange(
  codes: usize, d: i32, lo: i32, hi: i32, panel: usize, cn: usize, k: i32, cent: usize, w: usize,
  labels: usize, dist: usize, sums: usize, counts: usize, stats: usize, scratch: usize,
  mode: i32, upper: usize, lower: usize, drift: usize,
): f64 {
  const G = (k + 3) >> 2;
  const rowBytes = <usize>d << 2;
  const tile = scratch;
  const res = scratch + (<usize>d << 6);
  gInertia = 0;
  gChanged = 0;
  gScored = 0;
  if (mode == 0) {
    // k ≤ 16: splat straight from the rows; k > 16: splat once into the tile (two copies of the loop, no branch inside)
    if (ASC_FEATURE_RELAXED_SIMD && G == 3) plainPass3(codes, d, lo, hi, panel, cn, cent, w, labels, dist, sums, counts, res);
    else if (G > 4) plainPass(codes, d, lo, hi, panel, cn, G, cent, w, labels, dist, sums, counts, tile, res, true);
    else plainPass(codes, d, lo, hi, panel, cn, G, cent, w, labels, dist, sums, counts, tile, res, false);
    gScored = hi - lo;
  } else {
    assignBounded(codes, d, lo, hi, panel, cn, k, G, cent, w, labels, dist, sums, counts, tile, res, mode, upper, lower, drift);
  }
  store<i32>(stats, gChanged);
  store<i32>(stats, gScored, 4);
  return gInertia;
}

// @ts-ignore: decorator
@inline function plainPass(
  codes: usize, d: i32, lo: i32, hi: i32, panel: usize, cn: usize, G: i32, cent: usize, w: usize,
  labels: usize, dist: usize, sums: usize, counts: usize, tile: usize, res: usize, useTile: bool,
): void {
  const rowBytes = <usize>d << 2;
  for (let i = lo; i < hi; i += 4) {
    const nr = min(4, hi - i);
    const x0 = codes + <usize>i * rowBytes;
    const x1 = nr > 1 ? x0 + rowBytes : x0;
    const x2 = nr > 2 ? x0 + 2 * rowBytes : x0;
    const x3 = nr > 3 ? x0 + 3 * rowBytes : x0;
    scoreBlock(x0, x1, x2, x3, d, panel, cn, G, tile, res, useTile, false);
    for (let r = 0; r < nr; r++) {
      const x = x0 + <usize>r * rowBytes;
      const best = reduceBest(v128.load(res + (<usize>r << 4)), v128.load(res + (<usize>r << 4), 64));
      finishRowD(i + r, x, best, wdist(x, cent + ((<usize>best * <usize>d) << 2), w, d), d, labels, dist, sums, counts);
    }
  }
}

/** plainPass for three groups of centres, 3 rows at a time (scoreBlock3). */
// @ts-ignore: decorator
@inline function plainPass3(
  codes: usize, d: i32, lo: i32, hi: i32, panel: usize, cn: usize, cent: usize, w: usize,
  labels: usize, dist: usize, sums: usize, counts: usize, res: usize,
): void {
  const rowBytes = <usize>d << 2;
  let inertia: f64 = 0;
  let changed = 0;
  for (let i = lo; i < hi; i += 3) {
    const nr = min(3, hi - i);
    const x0 = codes + <usize>i * rowBytes;
    const x1 = nr > 1 ? x0 + rowBytes : x0;
    const x2 = nr > 2 ? x0 + 2 * rowBytes : x0;
    scoreBlock3(x0, x1, x2, d, panel, cn, res);
    for (let r = 0; r < nr; r++) {
      // finishRowD with the inertia and the change count in locals (globals cost a load and a store per row)
      const x = x0 + <usize>r * rowBytes;
      const best = reduceBest(v128.load(res + (<usize>r << 4)), v128.load(res + (<usize>r << 4), 64));
      const dd = wdist(x, cent + ((<usize>best * <usize>d) << 2), w, d);
      const o = <usize>(i + r) << 2;
      changed += i32(load<i32>(labels + o) != best);
      store<i32>(labels + o, best);
      store<f32>(dist + o, dd);
      inertia += <f64>dd;
      if (sums != 0) accumulateRow(x, best, d, sums, counts);
    }
  }
  gInertia += inertia;
  gChanged += changed;
}

/**
 * The bounded pass, chunk by chunk: (A) rows whose bounds prove the label (after drift) keep it; (B) the others are
 * scored in blocks of 4 and get fresh bounds; (C) every row of the chunk is finished in row order, exactly as the
 * plain pass would (same labels, distances, f64 sums in the same order). A skip needs l² − u² to exceed twice the
 * worst rounding error of the f32 scores, so the brute-force pass could not pick another centre either.
 */
// @ts-ignore: decorator
@inline function assignBounded(
  codes: usize, d: i32, lo: i32, hi: i32, panel: usize, cn: usize, k: i32, G: i32, cent: usize, w: usize,
  labels: usize, dist: usize, sums: usize, counts: usize, tile: usize, res: usize,
  mode: i32, upper: usize, lower: usize, drift: usize,
): void {
  const rowBytes = <usize>d << 2;
  const clab = res + 192;
  const cdd = clab + (<usize>CHUNK << 2);
  const pend = cdd + (<usize>CHUNK << 2);
  // rounding: |score error| ≤ γ·(‖x‖_w + ‖c‖_w)² per centre (d+1 f32 adds, rounded products, rounded panel), ×2 spare
  const gamma: f64 = 2.0 * <f64>(d + 8) * 5.960464477539063e-8;
  const restD = <f64>load<f32>(drift);
  const T = load<i32>(drift, 4);
  const cmax = <f64>load<f32>(drift, 12);
  for (let c0 = lo; c0 < hi; c0 += CHUNK) {
    const c1 = min(hi, c0 + CHUNK);
    let np = 0;
    // (A) decide
    for (let i = c0; i < c1; i++) {
      const r = <usize>(i - c0) << 2;
      const b = load<i32>(labels + (<usize>i << 2));
      const up = load<f32>(upper + (<usize>i << 2));
      if (mode == 2 && b >= 0 && b < k && up < INF) {
        const x = codes + <usize>i * rowBytes;
        const dd = wdist(x, cent + ((<usize>b * <usize>d) << 2), w, d);
        const u = Math.sqrt(<f64>dd * (1 + gamma)) * (1 + 1e-9) + 1e-30;
        let l = <f64>load<f32>(lower + (<usize>i << 2)) - restD;
        // the T centres that moved most (a re-seeded one jumps far): their distances, instead of their drift
        for (let q = 0; q < T; q++) {
          const a = load<i32>(drift + 16 + (<usize>q << 2));
          if (a == b) continue;
          const da = Math.sqrt(<f64>wdist(x, cent + ((<usize>a * <usize>d) << 2), w, d) * (1 - gamma)) * (1 - 1e-9);
          if (da < l) l = da;
        }
        const e = u + 2 * cmax;
        if (l > u && (l - u) * (l + u) > 2 * gamma * e * e) {
          store<i32>(clab + r, b);
          store<f32>(cdd + r, dd);
          store<f32>(upper + (<usize>i << 2), roundUp(u));
          store<f32>(lower + (<usize>i << 2), roundDown(l));
          continue;
        }
      }
      store<i32>(pend + (<usize>np << 2), i);
      np++;
    }
    gScored += np;
    // (B) score the undecided rows, 4 at a time
    for (let q = 0; q < np; q += 4) {
      const nr = min(4, np - q);
      const r0 = load<i32>(pend + (<usize>q << 2));
      const r1 = nr > 1 ? load<i32>(pend + (<usize>(q + 1) << 2)) : r0;
      const r2 = nr > 2 ? load<i32>(pend + (<usize>(q + 2) << 2)) : r0;
      const r3 = nr > 3 ? load<i32>(pend + (<usize>(q + 3) << 2)) : r0;
      const x0 = codes + <usize>r0 * rowBytes, x1 = codes + <usize>r1 * rowBytes;
      const x2 = codes + <usize>r2 * rowBytes, x3 = codes + <usize>r3 * rowBytes;
      if (G > 4) scoreBlock(x0, x1, x2, x3, d, panel, cn, G, tile, res, true, true);
      else scoreBlock(x0, x1, x2, x3, d, panel, cn, G, tile, res, false, true);
      for (let t = 0; t < nr; t++) {
        const i = load<i32>(pend + (<usize>(q + t) << 2));
        const x = codes + <usize>i * rowBytes;
        const o = <usize>t << 4;
        const bv = v128.load(res + o), bi = v128.load(res + o, 64);
        const best = reduceBest(bv, bi);
        const s2 = <f64>reduceSecond(bv, bi, v128.load(res + o, 128), best);
        const dd = wdist(x, cent + ((<usize>best * <usize>d) << 2), w, d);
        const r = <usize>(i - c0) << 2;
        store<i32>(clab + r, best);
        store<f32>(cdd + r, dd);
        store<f32>(upper + (<usize>i << 2), roundUp(Math.sqrt(<f64>dd * (1 + gamma)) * (1 + 1e-9)));
        const xn = wnorm2(x, w, d);
        const e = Math.sqrt(xn) + cmax;
        const l2 = <f64>s2 + xn - gamma * e * e;
        store<f32>(lower + (<usize>i << 2), l2 > 0 ? roundDown(Math.sqrt(l2)) : 0);
      }
    }
    // (C) finish in row order
    for (let i = c0; i < c1; i++) {
      const r = <usize>(i - c0) << 2;
      finishRowD(i, codes + <usize>i * rowBytes, load<i32>(clab + r), load<f32>(cdd + r), d, labels, dist, sums, counts);
    }
  }
}

/**
 * Before a bounded pass: the drift ‖cent_c − bcent_c‖_w of every centre (rounded up), then bcent ← cent. drift
 * layout: f32 the largest drift outside the top T, i32 T (= min(4, k/8)), f32 unused, f32 max ‖c‖_w (from cn, i.e.
 * after prepare); i32[4] the T centres that moved most (rows take their distances instead of their drift).
 */
export function boundsDrift(cent: usize, bcent: usize, k: i32, d: i32, w: usize, cn: usize, drift: usize): void {
  const T = min(4, k >> 3);
  const top = drift + 16;
  let topD0: f64 = -1, topD1: f64 = -1, topD2: f64 = -1, topD3: f64 = -1, rest: f64 = 0, cm: f64 = 0;
  let t0 = -1, t1 = -1, t2 = -1, t3 = -1;
  for (let c = 0; c < k; c++) {
    const o = (<usize>c * <usize>d) << 2;
    let s: f64 = 0;
    for (let j = 0; j < d; j++) {
      const e = <f64>load<f32>(cent + o + (<usize>j << 2)) - <f64>load<f32>(bcent + o + (<usize>j << 2));
      s += <f64>load<f32>(w + (<usize>j << 2)) * e * e;
    }
    let v = <f64>roundUp(Math.sqrt(s) * (1 + 1e-9));
    let vc = c;
    // insert into the sorted top T; what falls out goes to rest
    if (T > 0 && v > topD0) { const tv = topD0, tc = t0; topD0 = v; t0 = vc; v = tv; vc = tc; }
    if (T > 1 && v > topD1) { const tv = topD1, tc = t1; topD1 = v; t1 = vc; v = tv; vc = tc; }
    if (T > 2 && v > topD2) { const tv = topD2, tc = t2; topD2 = v; t2 = vc; v = tv; vc = tc; }
    if (T > 3 && v > topD3) { const tv = topD3, tc = t3; topD3 = v; t3 = vc; v = tv; vc = tc; }
    if (v > rest) rest = v;
    const nc = <f64>load<f32>(cn + (<usize>c << 2));
    if (nc > cm) cm = nc;
  }
  store<f32>(drift, <f32>rest);
  store<i32>(drift, T, 4);
  store<f32>(drift, roundUp(Math.sqrt(cm) * (1 + 1e-6)), 12);
  store<i32>(top, t0); store<i32>(top, t1, 4); store<i32>(top, t2, 8); store<i32>(top, t3, 12);
  memory.copy(bcent, cent, (<usize>k * <usize>d) << 2);
}
