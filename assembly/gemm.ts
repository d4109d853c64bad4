// Dense f32 matrix product for the CPU trainer: C[rows lo..hi, 0..N) (+)= op(A)·op(B), all row-major, over byte
// offsets into the shared memory. op(A) is [M, K]: A itself (lda ≥ K) or, transA, the transpose of a stored
// [K, M] (lda ≥ M). op(B) is [K, N]: B itself (ldb ≥ N) or, transB, the transpose of a stored [N, K].
// Blocked like the distance kernel: op(B) is first packed (gemmPack, once per product, shareable by all threads)
// into K-blocks of KC rows, each holding panels of 8 columns ([kc, 8] contiguous, zero-padded); then gemmPacked
// splats each group of 4 rows of op(A) into a per-thread tile (one v128 per (k, row)), so the inner loop is 6 plain
// v128 loads and 8 multiply-adds into 8 accumulators (4 rows × 8 columns). Each C element sums its products
// block by block in order k = 0..K−1 whatever the row range, so splitting rows over threads gives the same bits as
// one thread. Never allocates.
// Index lists (i32, ascending, 0 = none) let a product skip work whose terms are known to be 0 (the all-zero pixel
// rows of a batch): kIdx keeps only the listed k (op(B)'s rows and op(A)'s columns, read in place), nIdx only the
// listed columns of op(B) and of C. The K-blocks still follow the full index range (a block holds the listed k of
// [256b, 256b+256)), so each C element adds the same partial sums in the same order as the dense product; a
// skipped term w·0 (w finite) is ±0, and adding ±0 never changes a sum that starts at +0 (nor a block's sum to C),
// so the result has the same bits.

import { madd } from './simd';

// @ts-ignore: decorator
@inline const KC: i32 = 256;

/** Bytes of op(B) [K, N] packed: K rows of ceil(N/8) panels of 32 bytes. */
export function gemmPackedBytes(K: i32, N: i32): i32 {
  return K * ((N + 7) >> 3) * 32;
}

/** Per-thread tile bytes of gemmPacked: one splatted A block and 32 bytes for edge columns. */
export function gemmTileBytes(): i32 {
  return KC * 64 + 32;
}

/** Index i of a list (a k or a column), or i itself without one. */
// @ts-ignore: decorator
@inline function at(idx: usize, i: i32): i32 {
  return idx == 0 ? i : load<i32>(idx + (<usize>i << 2));
}

/** End of the K-block that starts at position k0 of K: KC on, or with kIdx, past the listed k in kIdx[k0]'s block. */
function blockEnd(kIdx: usize, k0: i32, K: i32): i32 {
  if (kIdx == 0) return min(K, k0 + KC);
  const top = (at(kIdx, k0) / KC + 1) * KC;
  let k = k0 + 1;
  while (k < K && at(kIdx, k) < top) k++;
  return k;
}

/**
 * Packs panels panelLo..panelHi of op(B) [K, N] (every K-block) into dst (gemmPackedBytes(K, N)). With kIdx
 * (i32 [K]), row k of the packed operand is op(B)'s row kIdx[k]; with nIdx (i32 [N]), column j is op(B)'s column
 * nIdx[j]; gemmPacked must get the same kIdx.
 */
export function gemmPack(B: usize, ldb: i32, transB: i32, K: i32, N: i32, panelLo: i32, panelHi: i32, dst: usize,
  kIdx: usize, nIdx: usize): void {
  const panels = (N + 7) >> 3;
  for (let k0 = 0; k0 < K;) {
    const k1 = blockEnd(kIdx, k0, K), out = dst + <usize>k0 * <usize>panels * 32;
    if (kIdx == 0 && nIdx == 0) packB(B, ldb, transB != 0, k0, k1 - k0, N, panelLo, min(panelHi, panels), out);
    else packGather(B, ldb, transB != 0, k0, k1 - k0, N, panelLo, min(panelHi, panels), out, kIdx, nIdx);
    k0 = k1;
  }
}

/** packB through the index lists. */
function packGather(B: usize, ldb: i32, transB: bool, k0: i32, kc: i32, N: i32, pLo: i32, pHi: i32, dst: usize,
  kIdx: usize, nIdx: usize): void {
  const zero = i32x4.splat(0);
  for (let p = pLo; p < pHi; p++) {
    const j0 = p << 3;
    const w = min(8, N - j0);
    const pd = dst + <usize>p * <usize>kc * 32;
    if (!transB) {
      for (let k = 0; k < kc; k++) {
        const src = B + <usize>at(kIdx, k0 + k) * (<usize>ldb << 2), o = pd + (<usize>k << 5);
        if (nIdx == 0 && w == 8) {
          v128.store(o, v128.load(src + (<usize>j0 << 2)));
          v128.store(o, v128.load(src + (<usize>j0 << 2), 16), 16);
          continue;
        }
        v128.store(o, zero);
        v128.store(o, zero, 16);
        for (let c = 0; c < w; c++) store<f32>(o + (<usize>c << 2), load<f32>(src + (<usize>at(nIdx, j0 + c) << 2)));
      }
    } else {
      // op(B)[k, j] = B[j, k]: each of the w stored rows is read along k
      if (w < 8) for (let k = 0; k < kc; k++) { v128.store(pd + (<usize>k << 5), zero); v128.store(pd + (<usize>k << 5), zero, 16); }
      for (let c = 0; c < w; c++) {
        const src = B + <usize>at(nIdx, j0 + c) * (<usize>ldb << 2), o = pd + (<usize>c << 2);
        if (kIdx == 0) for (let k = 0; k < kc; k++) store<f32>(o + (<usize>k << 5), load<f32>(src + (<usize>(k0 + k) << 2)));
        else for (let k = 0; k < kc; k++) store<f32>(o + (<usize>k << 5), load<f32>(src + (<usize>at(kIdx, k0 + k) << 2)));
      }
    }
  }
}

/** Panels pLo..pHi of op(B)[k0..k0+kc, 0..N) at dst: panel p holds columns 8p..8p+7, row-major [kc, 8], zero-padded. */
function packB(B: usize, ldb: i32, transB: bool, k0: i32, kc: i32, N: i32, pLo: i32, pHi: i32, dst: usize): void {
  for (let p = pLo; p < pHi; p++) {
    const j0 = p << 3;
    const w = min(8, N - j0);
    const pd = dst + <usize>p * <usize>kc * 32;
    if (!transB && w == 8) {
      for (let k = 0; k < kc; k++) {
        const src = B + ((<usize>(k0 + k) * <usize>ldb + <usize>j0) << 2);
        const o = pd + (<usize>k << 5);
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
      }
    } else if (!transB) {
      for (let k = 0; k < kc; k++) {
        const src = B + ((<usize>(k0 + k) * <usize>ldb + <usize>j0) << 2);
        const o = pd + (<usize>k << 5);
        v128.store(o, i32x4.splat(0));
        v128.store(o, i32x4.splat(0), 16);
        for (let c = 0; c < w; c++) store<f32>(o + (<usize>c << 2), load<f32>(src + (<usize>c << 2)));
      }
    } else {
      // op(B)[k, j] = B[j, k]: each of the w stored rows is read contiguously over k
      if (w < 8) for (let k = 0; k < kc; k++) { v128.store(pd + (<usize>k << 5), i32x4.splat(0)); v128.store(pd + (<usize>k << 5), i32x4.splat(0), 16); }
      for (let c = 0; c < w; c++) {
        const src = B + ((<usize>(j0 + c) * <usize>ldb + <usize>k0) << 2);
        const o = pd + (<usize>c << 2);
        for (let k = 0; k < kc; k++) store<f32>(o + (<usize>k << 5), load<f32>(src + (<usize>k << 2)));
      }
    }
  }
}

/** Tile of op(A)[i..i+4, k0..k0+kc): tile + (k·4 + r)·16 = splat(op(A)[i+r, k0+k]); rows ≥ hi are 0. */
function splatA(A: usize, lda: i32, transA: bool, i: i32, hi: i32, k0: i32, kc: i32, tile: usize): void {
  const rows = min(4, hi - i);
  if (transA && rows == 4) {
    // op(A)[i+r, k] = A[k, i+r]: the 4 values of one k are contiguous
    for (let k = 0; k < kc; k++) {
      const v = v128.load(A + ((<usize>(k0 + k) * <usize>lda + <usize>i) << 2));
      const o = tile + (<usize>k << 6);
      v128.store(o, v128.shuffle<f32>(v, v, 0, 0, 0, 0));
      v128.store(o, v128.shuffle<f32>(v, v, 1, 1, 1, 1), 16);
      v128.store(o, v128.shuffle<f32>(v, v, 2, 2, 2, 2), 32);
      v128.store(o, v128.shuffle<f32>(v, v, 3, 3, 3, 3), 48);
    }
    return;
  }
  if (rows == 4) {
    // op(A)[i+r, k] = A[i+r, k]: one k's 4 values from 4 row streams, so each 64-byte line of the tile is written once
    const a0 = A + ((<usize>i * <usize>lda + <usize>k0) << 2), step = <usize>lda << 2;
    const a1 = a0 + step, a2 = a1 + step, a3 = a2 + step;
    for (let k = 0; k < kc; k++) {
      const off = <usize>k << 2, o = tile + (<usize>k << 6);
      v128.store(o, v128.load32_splat(a0 + off));
      v128.store(o, v128.load32_splat(a1 + off), 16);
      v128.store(o, v128.load32_splat(a2 + off), 32);
      v128.store(o, v128.load32_splat(a3 + off), 48);
    }
    return;
  }
  for (let r = 0; r < 4; r++) {
    const o = tile + (<usize>r << 4);
    if (r >= rows) {
      for (let k = 0; k < kc; k++) v128.store(o + (<usize>k << 6), i32x4.splat(0));
    } else if (transA) {
      const src = A + ((<usize>k0 * <usize>lda + <usize>(i + r)) << 2);
      const step = <usize>lda << 2;
      for (let k = 0; k < kc; k++) v128.store(o + (<usize>k << 6), v128.load32_splat(src + <usize>k * step));
    } else {
      const src = A + ((<usize>(i + r) * <usize>lda + <usize>k0) << 2);
      for (let k = 0; k < kc; k++) v128.store(o + (<usize>k << 6), v128.load32_splat(src + (<usize>k << 2)));
    }
  }
}

/** splatA with op(A)'s columns k0..k0+kc taken from kIdx: one index load per k for the 4 rows. */
function splatGather(A: usize, lda: i32, transA: bool, i: i32, hi: i32, k0: i32, kc: i32, tile: usize, kIdx: usize): void {
  const rows = min(4, hi - i);
  const zero = i32x4.splat(0);
  // element (r, kk) of op(A) at base + r·rStep + kk·kStep
  const kStep: usize = transA ? <usize>lda << 2 : 4, rStep: usize = transA ? 4 : <usize>lda << 2;
  const base = A + (transA ? <usize>i << 2 : (<usize>i * <usize>lda) << 2);
  const list = kIdx + (<usize>k0 << 2);
  if (rows == 4) {
    const b1 = base + rStep, b2 = b1 + rStep, b3 = b2 + rStep;
    for (let k = 0; k < kc; k++) {
      const off = <usize>load<i32>(list + (<usize>k << 2)) * kStep, o = tile + (<usize>k << 6);
      v128.store(o, v128.load32_splat(base + off));
      v128.store(o, v128.load32_splat(b1 + off), 16);
      v128.store(o, v128.load32_splat(b2 + off), 32);
      v128.store(o, v128.load32_splat(b3 + off), 48);
    }
    return;
  }
  for (let k = 0; k < kc; k++) {
    const src = base + <usize>load<i32>(list + (<usize>k << 2)) * kStep, o = tile + (<usize>k << 6);
    for (let r = 0; r < 4; r++) v128.store(o + (<usize>r << 4), r < rows ? v128.load32_splat(src + <usize>r * rStep) : zero);
  }
}

/** C[row, cols[c]] = x, or += x. */
// @ts-ignore: decorator
@inline function putAt(o: usize, cols: usize, c: i32, x: f32, add: bool): void {
  const q = o + (<usize>load<i32>(cols + (<usize>c << 2)) << 2);
  store<f32>(q, add ? load<f32>(q) + x : x);
}

/** Adds (or, first, stores) row r of one 4×8 block of accumulators (a: columns 0..3, b: 4..7) into C at cp (row i,
 *  column j0); w < 8 columns go through tmp (32 bytes of the thread's scratch): lanes need constant indices. */
// @ts-ignore: decorator
@inline function putRow(cp: usize, ldc: i32, rows: i32, w: i32, add: bool, a: v128, b: v128, r: i32, tmp: usize, cols: usize): void {
  if (r >= rows) return;
  const o = cp + ((<usize>r * <usize>ldc) << 2);
  if (cols != 0 && w == 8 && load<i32>(cols, 28) - load<i32>(cols) == 7) {
    // 8 listed columns in a row (an ascending list): one contiguous run of C
    const q = o + (<usize>load<i32>(cols) << 2);
    if (add) { a = f32x4.add(v128.load(q), a); b = f32x4.add(v128.load(q, 16), b); }
    v128.store(q, a);
    v128.store(q, b, 16);
  } else if (cols != 0 && w == 8) {
    // 8 listed columns with gaps between them (cp is the row's start)
    putAt(o, cols, 0, f32x4.extract_lane(a, 0), add); putAt(o, cols, 1, f32x4.extract_lane(a, 1), add);
    putAt(o, cols, 2, f32x4.extract_lane(a, 2), add); putAt(o, cols, 3, f32x4.extract_lane(a, 3), add);
    putAt(o, cols, 4, f32x4.extract_lane(b, 0), add); putAt(o, cols, 5, f32x4.extract_lane(b, 1), add);
    putAt(o, cols, 6, f32x4.extract_lane(b, 2), add); putAt(o, cols, 7, f32x4.extract_lane(b, 3), add);
  } else if (cols != 0) {
    // the list's last w < 8 columns
    v128.store(tmp, a); v128.store(tmp, b, 16);
    for (let c = 0; c < w; c++) {
      const q = o + (<usize>load<i32>(cols + (<usize>c << 2)) << 2);
      const x = load<f32>(tmp + (<usize>c << 2));
      store<f32>(q, add ? load<f32>(q) + x : x);
    }
  } else if (w == 8) {
    if (add) { a = f32x4.add(v128.load(o), a); b = f32x4.add(v128.load(o, 16), b); }
    v128.store(o, a);
    v128.store(o, b, 16);
  } else {
    v128.store(tmp, a); v128.store(tmp, b, 16);
    for (let c = 0; c < w; c++) {
      const q = o + (<usize>c << 2);
      const x = load<f32>(tmp + (<usize>c << 2));
      store<f32>(q, add ? load<f32>(q) + x : x);
    }
  }
}

/**
 * C[lo..hi, 0..N) = op(A)·op(B) (accumulate = 0) or += (accumulate = 1), op(B) packed by gemmPack at packed.
 * tile: gemmTileBytes() bytes, 16-aligned, private to the calling thread. kIdx: the list gemmPack got (op(A)'s
 * columns are read through it). cIdx (i32 [N]): column j of the product goes to C's column cIdx[j]; C's rows are
 * then ldc wide, and without accumulate their other columns are set to 0.
 */
export function gemmPacked(A: usize, lda: i32, transA: i32, packed: usize, C: usize, ldc: i32,
  lo: i32, hi: i32, N: i32, K: i32, accumulate: i32, tile: usize, kIdx: usize, cIdx: usize): void {
  if (hi <= lo || (N <= 0 && cIdx == 0)) return;
  const panels = (N + 7) >> 3;
  const tmp = tile + <usize>KC * 64;
  const ldcB = <usize>ldc << 2;
  if (K <= 0) {
    if (accumulate == 0) for (let i = lo; i < hi; i++) memory.fill(C + <usize>i * ldcB, 0, <usize>(cIdx != 0 ? ldc : N) << 2);
    return;
  }
  for (let k0 = 0; k0 < K;) {
    const k1 = blockEnd(kIdx, k0, K), kc = k1 - k0;
    const add = accumulate != 0 || k0 > 0;
    const block = packed + <usize>k0 * <usize>panels * 32;
    for (let i = lo; i < hi; i += 4) {
      if (kIdx == 0) splatA(A, lda, transA != 0, i, hi, k0, kc, tile);
      else splatGather(A, lda, transA != 0, i, hi, k0, kc, tile, kIdx);
      const rows = min(4, hi - i);
      // C's unlisted columns are 0: the rows are cleared right before their first stores, while in cache
      if (cIdx != 0 && !add) memory.fill(C + <usize>i * ldcB, 0, <usize>rows * ldcB);
      for (let p = 0; p < panels; p++) {
        const j0 = p << 3;
        const w = min(8, N - j0);
        let pp = block + <usize>p * <usize>kc * 32;
        let tp = tile;
        const te = tile + (<usize>kc << 6);
        let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        while (tp < te) {
          const b0 = v128.load(pp), b1 = v128.load(pp, 16);
          const a0 = v128.load(tp), a1 = v128.load(tp, 16), a2 = v128.load(tp, 32), a3 = v128.load(tp, 48);
          c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
          c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
          c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
          c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
          pp += 32; tp += 64;
        }
        const cols: usize = cIdx == 0 ? 0 : cIdx + (<usize>j0 << 2);
        const cp = C + ((<usize>i * <usize>ldc + (cIdx == 0 ? <usize>j0 : 0)) << 2);
        putRow(cp, ldc, rows, w, add, c00, c01, 0, tmp, cols);
        putRow(cp, ldc, rows, w, add, c10, c11, 1, tmp, cols);
        putRow(cp, ldc, rows, w, add, c20, c21, 2, tmp, cols);
        putRow(cp, ldc, rows, w, add, c30, c31, 3, tmp, cols);
      }
    }
    k0 = k1;
  }
}
