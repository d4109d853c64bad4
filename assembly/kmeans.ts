// KMeans steps over the shared store: Lloyd finish (reduce per-worker f64 sums, re-seed empties, means),
// empty-cluster re-seeding, the Sculley mini-batch update, and k-means++ seeding. Same rules as src/cluster/kmeans.ts.
import { assignRange, prepareGroup, wdist } from './distance';
import { rngBelow, rngFloat, rngLoad, rngStore } from './rng';

/**
 * Re-seed empty clusters (ascending): move the row farthest from its own centre (among rows whose cluster has
 * more than one member; ties → lowest row) into the empty cluster and put the centre on it.
 * Updates labels (n i32), dist (n f32), counts (k i32), cent (k×d f32); if sums != 0 also the f64 sums (k×d)
 * so that a following mean step sees the move; if upper != 0 marks the moved row's bounds invalid (+∞).
 * Returns the number of re-seeded clusters.
 */
export function reseedEmpty(codes: usize, n: i32, d: i32, cent: usize, k: i32, labels: usize, dist: usize, counts: usize, sums: usize, upper: usize): i32 {
  let reseeded = 0;
  const rowBytes = <usize>d << 2;
  for (let c = 0; c < k; c++) {
    if (load<i32>(counts + (<usize>c << 2)) != 0) continue;
    let best: f32 = -1;
    let bi = -1;
    for (let i = 0; i < n; i++) {
      const di = load<f32>(dist + (<usize>i << 2));
      if (di > best && load<i32>(counts + (<usize>load<i32>(labels + (<usize>i << 2)) << 2)) > 1) { best = di; bi = i; }
    }
    if (bi < 0) break;
    const old = load<i32>(labels + (<usize>bi << 2));
    const op = counts + (<usize>old << 2);
    store<i32>(op, load<i32>(op) - 1);
    store<i32>(labels + (<usize>bi << 2), c);
    store<i32>(counts + (<usize>c << 2), 1);
    store<f32>(dist + (<usize>bi << 2), 0);
    if (upper != 0) store<f32>(upper + (<usize>bi << 2), Infinity);
    const x = codes + <usize>bi * rowBytes;
    memory.copy(cent + <usize>c * rowBytes, x, rowBytes);
    if (sums != 0) {
      const so = sums + ((<usize>old * <usize>d) << 3);
      const sc = sums + ((<usize>c * <usize>d) << 3);
      for (let j = 0; j < d; j++) {
        const v = <f64>load<f32>(x + (<usize>j << 2));
        store<f64>(so + (<usize>j << 3), load<f64>(so + (<usize>j << 3)) - v);
        store<f64>(sc + (<usize>j << 3), v);
      }
    }
    reseeded++;
  }
  return reseeded;
}

/**
 * Finish one Lloyd step after every worker ran assignRange with accumulation on its own partial sums:
 * partial p lives at sums0 + p·sumsStride (k×d f64) and counts0 + p·countsStride (k i32), p in [0, parts).
 * Reduces into partial 0 and counts (k i32, the totals), re-seeds empty clusters, then sets every non-empty
 * centre to its mean. upper: as in reseedEmpty. Returns the number of re-seeded clusters.
 */
export function lloydFinish(
  parts: i32, sums0: usize, sumsStride: usize, counts0: usize, countsStride: usize,
  codes: usize, n: i32, d: i32, cent: usize, k: i32, labels: usize, dist: usize, counts: usize, upper: usize,
): i32 {
  const kd = k * d;
  for (let p = 1; p < parts; p++) {
    const sp = sums0 + <usize>p * sumsStride;
    let t = 0;
    for (; t + 2 <= kd; t += 2) {
      const o = <usize>t << 3;
      v128.store(sums0 + o, f64x2.add(v128.load(sums0 + o), v128.load(sp + o)));
    }
    for (; t < kd; t++) store<f64>(sums0 + (<usize>t << 3), load<f64>(sums0 + (<usize>t << 3)) + load<f64>(sp + (<usize>t << 3)));
  }
  for (let c = 0; c < k; c++) {
    let s = 0;
    for (let p = 0; p < parts; p++) s += load<i32>(counts0 + <usize>p * countsStride + (<usize>c << 2));
    store<i32>(counts + (<usize>c << 2), s);
  }
  const reseeded = reseedEmpty(codes, n, d, cent, k, labels, dist, counts, sums0, upper);
  for (let c = 0; c < k; c++) {
    const cnt = load<i32>(counts + (<usize>c << 2));
    if (cnt == 0) continue;
    const inv = <f64>cnt;
    const so = sums0 + ((<usize>c * <usize>d) << 3);
    const co = cent + ((<usize>c * <usize>d) << 2);
    for (let j = 0; j < d; j++) store<f32>(co + (<usize>j << 2), <f32>(load<f64>(so + (<usize>j << 3)) / inv));
  }
  return reseeded;
}

/** Zero a byte range (partial sums/counts before an accumulate pass). */
export function zero(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}

/** Count labels (n i32) into counts (k i32). */
export function countLabels(labels: usize, n: i32, k: i32, counts: usize): void {
  memory.fill(counts, 0, <usize>k << 2);
  for (let i = 0; i < n; i++) {
    const cp = counts + (<usize>load<i32>(labels + (<usize>i << 2)) << 2);
    store<i32>(cp, load<i32>(cp) + 1);
  }
}

/** Sum of dist[0..n) in f64 (inertia after a re-seed). */
export function sumDist(dist: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(dist + (<usize>i << 2));
  return s;
}

/**
 * Sculley mini-batch update with B fresh rows at src (B×d f32) that belong to rows (B i32) of the store:
 * assign all B first (batch labels → blabels, distances → bdist), then in order counts[c] += 1,
 * η = 1/counts[c], c ← c + η·(x − c) in f32 (SIMD, scalar tail), refresh the panel of every touched centre,
 * and record labels[rows[b]] and dist[rows[b]] (if upper != 0, their bounds become invalid: +∞).
 * scratch: assignScratchBytes(d) bytes. Returns the batch inertia.
 */
export function miniBatchUpdate(
  src: usize, B: i32, d: i32, panel: usize, cn: usize, k: i32, cent: usize, w: usize,
  counts: usize, rows: usize, labels: usize, dist: usize, blabels: usize, bdist: usize, stats: usize,
  scratch: usize, upper: usize,
): f64 {
  const inertia = assignRange(src, d, 0, B, panel, cn, k, cent, w, blabels, bdist, 0, 0, stats, scratch, 0, 0, 0, 0);
  const rowBytes = <usize>d << 2;
  for (let b = 0; b < B; b++) {
    const c = load<i32>(blabels + (<usize>b << 2));
    const cp = counts + (<usize>c << 2);
    const cnt = load<i32>(cp) + 1;
    store<i32>(cp, cnt);
    const eta: f32 = <f32>1 / <f32>cnt;
    const ev = f32x4.splat(eta);
    const x = src + <usize>b * rowBytes;
    const co = cent + <usize>c * rowBytes;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      const cv = v128.load(co + o);
      v128.store(co + o, f32x4.add(cv, f32x4.mul(ev, f32x4.sub(v128.load(x + o), cv))));
    }
    for (; j < d; j++) {
      const o = <usize>j << 2;
      const cv = load<f32>(co + o);
      store<f32>(co + o, cv + eta * (load<f32>(x + o) - cv));
    }
  }
  for (let b = 0; b < B; b++) {
    const c = load<i32>(blabels + (<usize>b << 2));
    prepareGroup(cent, k, d, w, panel, cn, c >> 2);
    const r = <usize>load<i32>(rows + (<usize>b << 2));
    store<i32>(labels + (r << 2), c);
    store<f32>(dist + (r << 2), load<f32>(bdist + (<usize>b << 2)));
    if (upper != 0) store<f32>(upper + (r << 2), Infinity);
  }
  return inertia;
}

/**
 * k-means++ seeding (one candidate per step), the same draws as kmeansPlusPlus in src/cluster/kmeans.ts:
 * first = below(n); then r = float()·Σd² and the first row whose running sum exceeds r.
 * d2: n f64 scratch; cent: k×d f32 out; rngState: 4×u32.
 */
export function kmeansPlusPlus(codes: usize, n: i32, d: i32, k: i32, w: usize, rngState: usize, d2: usize, cent: usize): void {
  rngLoad(rngState);
  const rowBytes = <usize>d << 2;
  const first = <i32>rngBelow(<u32>n);
  memory.copy(cent, codes + <usize>first * rowBytes, rowBytes);
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>wdist(codes + <usize>i * rowBytes, cent, w, d);
    store<f64>(d2 + (<usize>i << 3), v);
    total += v;
  }
  for (let c = 1; c < k; c++) {
    let pick: i32;
    if (!(total > 0)) {
      pick = <i32>rngBelow(<u32>n);
    } else {
      const r = rngFloat() * total;
      let acc: f64 = 0;
      pick = n - 1;
      for (let i = 0; i < n; i++) {
        acc += load<f64>(d2 + (<usize>i << 3));
        if (acc > r) { pick = i; break; }
      }
    }
    const co = cent + <usize>c * rowBytes;
    memory.copy(co, codes + <usize>pick * rowBytes, rowBytes);
    total = 0;
    for (let i = 0; i < n; i++) {
      const p = d2 + (<usize>i << 3);
      const v = <f64>wdist(codes + <usize>i * rowBytes, co, w, d);
      let cur = load<f64>(p);
      if (v < cur) { cur = v; store<f64>(p, v); }
      total += cur;
    }
  }
  rngStore(rngState);
}
