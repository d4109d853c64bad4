// Approximate K nearest neighbours over an inverted file (IVF): the base rows are bucketed by their nearest of
// `cells` coarse centres (a KMeans of the base, src/cluster/ivf-exec.ts) and stored again in cell order
// (members[p] = the base row at position p), as a weighted "centre" panel (prepareCentroids over the sorted rows:
// 4 rows per v128 lane group). A query scores every centre, keeps the `probe` nearest cells, and scores the rows of
// those cells only, 4 at a time: score = ‖y‖²_w − 2·x·(w∘y), one splat and one fused multiply-add per dimension
// per 4 rows (the weighted squared distance is score + ‖x‖²_w). Lists are ordered by (score, row), so a result
// does not depend on the order the cells are scanned in; with every cell probed it is the exact one. Never
// allocates.
import { groupBase, groupStride } from './distance';
import { madd } from './simd';

/** Scratch bytes one thread needs: the index header, the probe list, the K-list and the vote tallies. */
export function ivfScratchBytes(probe: i32, K: i32, k: i32): i32 {
  return 64 + (probe << 3) + (K << 3) + (k << 3);
}

/** Insert (s, j) into the list of K at lst (K f32 scores, then K i32 ids) ordered by (score, id), if it beats the
 *  last entry and is not in the list yet (a group of 4 rows on the border of two probed cells is scored twice, and
 *  a row scores the same both times). */
// @ts-ignore: decorator
@inline function offer(lst: usize, K: i32, s: f32, j: i32): void {
  const ids = lst + (<usize>K << 2);
  let p = K - 1;
  const ws = load<f32>(lst + (<usize>p << 2));
  if (!(s < ws || (s == ws && j < load<i32>(ids + (<usize>p << 2))))) return;
  while (p > 0) {
    const ps = load<f32>(lst + (<usize>(p - 1) << 2));
    if (ps < s) break;
    const pj = load<i32>(ids + (<usize>(p - 1) << 2));
    if (ps == s && pj <= j) { if (pj == j) return; break; }
    p--;
  }
  // p is the place of (s, j): shift the tail down by one
  for (let q = K - 1; q > p; q--) {
    store<f32>(lst + (<usize>q << 2), load<f32>(lst + (<usize>(q - 1) << 2)));
    store<i32>(ids + (<usize>q << 2), load<i32>(ids + (<usize>(q - 1) << 2)));
  }
  store<f32>(lst + (<usize>p << 2), s);
  store<i32>(ids + (<usize>p << 2), j);
}

// @ts-ignore: decorator
@inline function clearList(lst: usize, K: i32): void {
  for (let q = 0; q < K; q++) {
    store<f32>(lst + (<usize>q << 2), Infinity);
    store<i32>(lst + (<usize>(K + q) << 2), 0x7fffffff);
  }
}

/** One lane: position p = 4g + lane of a panel of `rows` rows; id members[p] (or p when members is 0). */
// @ts-ignore: decorator
@inline function offerLane(lst: usize, K: i32, s: f32, p: i32, rows: i32, members: usize, self: i32): void {
  if (p >= rows) return;
  const j = members != 0 ? load<i32>(members + (<usize>p << 2)) : p;
  if (j != self) offer(lst, K, s, j);
}

/**
 * Score query x (d f32) against the rows of panel groups [g0, g1) (G groups in the panel, `rows` rows, norms cn)
 * and offer each row other than `self` to lst. Two accumulators, so the multiply-adds of even and odd dimensions
 * do not wait on each other.
 */
function scanGroups(x: usize, d: i32, panel: usize, cn: usize, G: i32, rows: i32, g0: i32, g1: i32, members: usize,
  self: i32, K: i32, lst: usize): void {
  for (let g = g0; g < g1; g++) {
    let p = groupBase(panel, G, d, g);
    const js = groupStride(G, g);
    let a0 = v128.load(cn + (<usize>g << 4));
    let a1 = f32x4.splat(0);
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      a0 = madd(v128.load32_splat(x + (<usize>j << 2)), v128.load(p), a0);
      a1 = madd(v128.load32_splat(x + (<usize>j << 2), 4), v128.load(p + js), a1);
      p += js << 1;
    }
    if (j < d) a0 = madd(v128.load32_splat(x + (<usize>j << 2)), v128.load(p), a0);
    const s = f32x4.add(a0, a1);
    // most groups hold nothing better than the list's last entry: one compare (≤ keeps a tie on a lower row)
    if (!v128.any_true(f32x4.le(s, f32x4.splat(load<f32>(lst + (<usize>(K - 1) << 2)))))) continue;
    const p0 = g << 2;
    offerLane(lst, K, f32x4.extract_lane(s, 0), p0, rows, members, self);
    offerLane(lst, K, f32x4.extract_lane(s, 1), p0 + 1, rows, members, self);
    offerLane(lst, K, f32x4.extract_lane(s, 2), p0 + 2, rows, members, self);
    offerLane(lst, K, f32x4.extract_lane(s, 3), p0 + 3, rows, members, self);
  }
}

/** The index one search reads: the coarse centres' panel and the base's, with the cells' member ranges. */
@unmanaged class Index {
  cells: i32;
  cpanel: usize;
  ccn: usize;
  offsets: usize;
  members: usize;
  rows: i32;
  panel: usize;
  cn: usize;
}

/**
 * The K nearest base rows of query x (d f32), other than base row `self` (−1: none), into the K-list in scratch
 * (returned; scores without ‖x‖²_w). Probes the `probe` nearest cells, nearest first, so that the list is soon
 * short and most later groups cost one compare; if the probed cells hold at most K rows, every row is scored.
 */
function searchOne(x: usize, self: i32, d: i32, ix: Index, K: i32, probe: i32, scratch: usize): usize {
  const P = min(probe, ix.cells);
  const pl = scratch; // P scores, then P cell ids, nearest first
  const lst = pl + (<usize>probe << 3);
  clearList(pl, P);
  scanGroups(x, d, ix.cpanel, ix.ccn, (ix.cells + 3) >> 2, ix.cells, 0, (ix.cells + 3) >> 2, 0, -1, P, pl);
  let have = 0;
  for (let t = 0; t < P; t++) {
    const c = load<i32>(pl + (<usize>(P + t) << 2));
    have += load<i32>(ix.offsets + (<usize>(c + 1) << 2)) - load<i32>(ix.offsets + (<usize>c << 2));
  }
  const G = (ix.rows + 3) >> 2;
  clearList(lst, K);
  if (have <= K) {
    // a sparse corner of the index: the probed cells cannot fill the list
    scanGroups(x, d, ix.panel, ix.cn, G, ix.rows, 0, G, ix.members, self, K, lst);
    return lst;
  }
  for (let t = 0; t < P; t++) {
    const c = load<i32>(pl + (<usize>(P + t) << 2));
    const g0 = load<i32>(ix.offsets + (<usize>c << 2)) >> 2;
    const g1 = (load<i32>(ix.offsets + (<usize>(c + 1) << 2)) + 3) >> 2;
    scanGroups(x, d, ix.panel, ix.cn, G, ix.rows, g0, g1, ix.members, self, K, lst);
  }
  return lst;
}

/** ‖x‖²_w in f64 (the scores leave it out). */
// @ts-ignore: decorator
@inline function wnorm(x: usize, w: usize, d: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < d; j++) {
    const v = <f64>load<f32>(x + (<usize>j << 2));
    s += <f64>load<f32>(w + (<usize>j << 2)) * v * v;
  }
  return s;
}

function index(cells: i32, cpanel: usize, ccn: usize, offsets: usize, members: usize, rows: i32, panel: usize, cn: usize, at: usize): Index {
  const ix = changetype<Index>(at);
  ix.cells = cells; ix.cpanel = cpanel; ix.ccn = ccn; ix.offsets = offsets; ix.members = members;
  ix.rows = rows; ix.panel = panel; ix.cn = cn;
  return ix;
}

/**
 * The neighbour graph of the base: for cell-order positions p in [lo, hi), base row i = members[p] gets its K
 * nearest other base rows in outIdx[i·K ..] (i32) and their weighted squared distances in outDist[i·K ..] (f32,
 * clamped at 0), ascending. sorted: the base in cell order (rows×d f32); panel/cn: prepareCentroids of it.
 * cpanel/ccn: prepareCentroids of the cells' centres. Queries run in cell order, so consecutive ones probe mostly
 * the same cells (cache reuse).
 */
export function ivfGraphRange(sorted: usize, rows: i32, d: i32, w: usize, panel: usize, cn: usize, members: usize,
  cells: i32, cpanel: usize, ccn: usize, offsets: usize, lo: i32, hi: i32, K: i32, probe: i32, outIdx: usize,
  outDist: usize, scratch: usize): void {
  const rowBytes = <usize>d << 2;
  const ix = index(cells, cpanel, ccn, offsets, members, rows, panel, cn, scratch);
  const work = scratch + 64;
  for (let p = lo; p < hi; p++) {
    const i = load<i32>(members + (<usize>p << 2));
    const x = sorted + <usize>p * rowBytes;
    const lst = searchOne(x, i, d, ix, K, probe, work);
    const xn = wnorm(x, w, d);
    const o = <usize>i * <usize>K;
    for (let q = 0; q < K; q++) {
      const s = <f64>load<f32>(lst + (<usize>q << 2)) + xn;
      store<f32>(outDist + ((o + <usize>q) << 2), <f32>(s > 0 ? s : 0));
      store<i32>(outIdx + ((o + <usize>q) << 2), load<i32>(lst + (<usize>(K + q) << 2)));
    }
  }
}

/**
 * Labels by a vote of the K nearest base rows: for store rows i in [lo, hi) of codes (n×d f32), outLabels[i] = the
 * label (baseLabels, k values) most of its K nearest base rows carry; a tied vote goes to the tied label whose
 * nearest voter is nearer (the rule of knnAssign in src/assign.ts). Index arguments as in ivfGraphRange.
 */
export function ivfVoteRange(codes: usize, d: i32, lo: i32, hi: i32, rows: i32, panel: usize, cn: usize,
  members: usize, cells: i32, cpanel: usize, ccn: usize, offsets: usize, K: i32, probe: i32, baseLabels: usize,
  k: i32, outLabels: usize, scratch: usize): void {
  const rowBytes = <usize>d << 2;
  const ix = index(cells, cpanel, ccn, offsets, members, rows, panel, cn, scratch);
  const work = scratch + 64;
  const votes = work + (<usize>probe << 3) + (<usize>K << 3);
  const near = votes + (<usize>k << 2);
  for (let i = lo; i < hi; i++) {
    const lst = searchOne(codes + <usize>i * rowBytes, -1, d, ix, K, probe, work);
    for (let c = 0; c < k; c++) { store<i32>(votes + (<usize>c << 2), 0); store<f32>(near + (<usize>c << 2), Infinity); }
    for (let q = 0; q < K; q++) {
      const j = load<i32>(lst + (<usize>(K + q) << 2));
      if (j == 0x7fffffff) break;
      const l = load<i32>(baseLabels + (<usize>j << 2));
      store<i32>(votes + (<usize>l << 2), load<i32>(votes + (<usize>l << 2)) + 1);
      const s = load<f32>(lst + (<usize>q << 2));
      if (s < load<f32>(near + (<usize>l << 2))) store<f32>(near + (<usize>l << 2), s);
    }
    let best = 0;
    for (let c = 1; c < k; c++) {
      const vc = load<i32>(votes + (<usize>c << 2)), vb = load<i32>(votes + (<usize>best << 2));
      if (vc > vb || (vc == vb && load<f32>(near + (<usize>c << 2)) < load<f32>(near + (<usize>best << 2)))) best = c;
    }
    store<i32>(outLabels + (<usize>i << 2), best);
  }
}

/** sorted[p] = base row members[p] (d f32 each), p in [0, rows): the base in cell order. */
export function ivfGather(base: usize, d: i32, rows: i32, members: usize, sorted: usize): void {
  const rowBytes = <usize>d << 2;
  for (let p = 0; p < rows; p++) {
    memory.copy(sorted + <usize>p * rowBytes, base + <usize>load<i32>(members + (<usize>p << 2)) * rowBytes, rowBytes);
  }
}
