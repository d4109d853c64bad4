// The CPU trainer's thread team, the wasm side: claiming chunks of the operation the main thread published in
// the control block and running them. The block's slots and each operation's argument order are declared in
// src/train/simd/protocol.ts (the side that writes them); teamProtocol() encodes the slot numbers below so that
// the loader refuses a build that disagrees. Living here, the dispatch needs no JavaScript per operation, and a
// worker thread is a plain .mjs file that only instantiates the module and waits (src/train/simd/worker.mjs).
import { gemmPack, gemmPacked } from './gemm';
import { adamRange, gatherPixels, headOut, mixGather, mixScatter, rowEpilogue, sampleBack } from './train-ops';
import { bceRows, klCRows, klZRows } from './train-loss';

// @ts-ignore: decorator
@inline const CLAIM: i32 = 1;
// @ts-ignore: decorator
@inline const DONE: i32 = 2;
// @ts-ignore: decorator
@inline const OP: i32 = 4;
// @ts-ignore: decorator
@inline const CHUNKS: i32 = 5;
// @ts-ignore: decorator
@inline const UNITS: i32 = 7;
// @ts-ignore: decorator
@inline const ALIGN: i32 = 8;
// @ts-ignore: decorator
@inline const ARGS: i32 = 9;
// @ts-ignore: decorator
@inline const FARGS: i32 = 25;
// @ts-ignore: decorator
@inline const OPS: i32 = 11;

/** The slot numbers and operation count this build expects (protocol.ts computes the same from its own). */
export function teamProtocol(): i32 {
  let h = 0;
  const slots: StaticArray<i32> = [CLAIM, DONE, OP, CHUNKS, UNITS, ALIGN, ARGS, FARGS, OPS];
  for (let i = 0; i < slots.length; i++) h = h * 31 + slots[i];
  return h;
}

// @ts-ignore: decorator
@inline function arg(ctl: usize, i: i32): i32 { return load<i32>(ctl + (<usize>(ARGS + i) << 2)); }
// @ts-ignore: decorator
@inline function ptr(ctl: usize, i: i32): usize { return <usize>load<i32>(ctl + (<usize>(ARGS + i) << 2)); }
// @ts-ignore: decorator
@inline function farg(ctl: usize, i: i32): f32 { return load<f32>(ctl + (<usize>(FARGS + i) << 2)); }

/** Runs chunk i of n of the published operation: units [lo, hi), boundaries multiples of the operation's align. */
function runChunk(ctl: usize, i: i32, n: i32, tile: usize): void {
  const total = load<i32>(ctl + (<usize>UNITS << 2)), align = load<i32>(ctl + (<usize>ALIGN << 2));
  const units = (total + align - 1) / align;
  const lo = min(<i32>((<i64>units * i) / n) * align, total);
  const hi = i == n - 1 ? total : min(<i32>((<i64>units * (i + 1)) / n) * align, total);
  if (hi <= lo) return;
  const a = ctl;
  switch (load<i32>(ctl + (<usize>OP << 2))) {
    case 1: gemmPack(ptr(a, 0), arg(a, 1), arg(a, 2), arg(a, 3), arg(a, 4), lo, hi, ptr(a, 5), ptr(a, 6), ptr(a, 7)); break;
    case 2: {
      const C = ptr(a, 4), ldc = arg(a, 5), N = arg(a, 6), cIdx = ptr(a, 15);
      gemmPacked(ptr(a, 0), arg(a, 1), arg(a, 2), ptr(a, 3), C, ldc, lo, hi, N, arg(a, 7), arg(a, 8), tile, ptr(a, 14), cIdx);
      if (arg(a, 9) | arg(a, 10) | arg(a, 11) | arg(a, 12) | arg(a, 13)) {
        // a product through a column list wrote whole rows of C (ldc wide)
        rowEpilogue(C, ldc, cIdx != 0 ? ldc : N, lo, hi, ptr(a, 9), arg(a, 10), ptr(a, 11), ptr(a, 12), ptr(a, 13));
      }
      break;
    }
    case 3: adamRange(ptr(a, 0), ptr(a, 1), ptr(a, 2), ptr(a, 3), lo, hi, farg(a, 0), farg(a, 1), farg(a, 2), farg(a, 3), farg(a, 4)); break;
    case 4: headOut(ptr(a, 0), ptr(a, 1), ptr(a, 2), ptr(a, 3), ptr(a, 4), arg(a, 5), arg(a, 6), lo, hi, farg(a, 0)); break;
    case 5: sampleBack(ptr(a, 0), ptr(a, 1), ptr(a, 2), ptr(a, 3), ptr(a, 4), arg(a, 5), arg(a, 6), lo, hi, farg(a, 0)); break;
    case 6: bceRows(ptr(a, 0), ptr(a, 1), ptr(a, 2), arg(a, 3), lo, hi, farg(a, 0), ptr(a, 4), ptr(a, 5)); break;
    case 7: klZRows(ptr(a, 0), ptr(a, 1), ptr(a, 2), ptr(a, 3), ptr(a, 4), ptr(a, 5), arg(a, 6), arg(a, 7), lo, hi, arg(a, 8), farg(a, 0), ptr(a, 9)); break;
    case 8: klCRows(ptr(a, 0), ptr(a, 1), ptr(a, 2), ptr(a, 3), arg(a, 4), arg(a, 5), lo, hi, farg(a, 0), ptr(a, 6), ptr(a, 7)); break;
    case 9: mixGather(ptr(a, 0), arg(a, 1), ptr(a, 2), arg(a, 3), farg(a, 0), ptr(a, 4), arg(a, 5), lo, hi); break;
    case 10: mixScatter(ptr(a, 0), arg(a, 1), ptr(a, 2), arg(a, 3), farg(a, 0), ptr(a, 4), ptr(a, 5), arg(a, 6), ptr(a, 7), lo, hi); break;
    case 11: gatherPixels(ptr(a, 0), ptr(a, 1), arg(a, 2), arg(a, 3), ptr(a, 4), ptr(a, 5), lo, hi); break;
    default: unreachable();
  }
}

/**
 * Claims and runs chunks of generation gen until none is left; returns how many this thread ran. A claim is a
 * compare-exchange on the word (gen << 16) | next chunk, so a thread that arrives late can never run a chunk of
 * one operation under the next one's arguments. The thread that finishes the last chunk wakes the main thread.
 */
export function teamClaim(ctl: usize, gen: i32, tile: usize): i32 {
  const claim = ctl + (<usize>CLAIM << 2), done = ctl + (<usize>DONE << 2);
  let ran = 0;
  for (;;) {
    const cur = atomic.load<i32>(claim);
    if (<i32>(<u32>cur >> 16) != gen) return ran;
    const i = cur & 0xffff, n = atomic.load<i32>(ctl + (<usize>CHUNKS << 2));
    if (i >= n) return ran;
    if (atomic.cmpxchg<i32>(claim, cur, cur + 1) != cur) continue;
    runChunk(ctl, i, n, tile);
    ran++;
    if (atomic.add<i32>(done, 1) + 1 == n) atomic.notify(done, 1);
  }
  return ran;
}
