// Same-cluster subset sampler: for each x, m rows of x's cluster (Floyd's algorithm without replacement when the
// cluster has enough candidates, with replacement otherwise; optional self-exclusion and per-cluster shared D).
// Draw for draw the same as sampleSubsets in src/cluster/sampler.ts, on the same xoshiro128** stream.
import { rngBelow, rngLoad, rngStore } from './rng';

/**
 * rows: B i32; labels: n i32; offsets/members: the CSR index; seen: k i32 scratch; chosen: m i32 scratch.
 * Writes outSub (B×m i32), outSize (B i32, |X_x|), outCluster (B i32). includeSelf/shareD: 0 or 1.
 */
export function sampleSubsets(
  rows: usize, B: i32, labels: usize, offsets: usize, members: usize, k: i32, m: i32,
  includeSelf: i32, shareD: i32, rngState: usize, outSub: usize, outSize: usize, outCluster: usize,
  seen: usize, chosen: usize,
): void {
  rngLoad(rngState);
  if (shareD) memory.fill(seen, 0xff, <usize>k << 2);
  const mBytes = <usize>m << 2;
  for (let b = 0; b < B; b++) {
    const x = load<i32>(rows + (<usize>b << 2));
    const c = load<i32>(labels + (<usize>x << 2));
    const start = load<i32>(offsets + (<usize>c << 2));
    const size = load<i32>(offsets + ((<usize>c + 1) << 2)) - start;
    store<i32>(outSize + (<usize>b << 2), size);
    store<i32>(outCluster + (<usize>b << 2), c);
    const o = outSub + <usize>b * mBytes;
    if (shareD) {
      const sp = seen + (<usize>c << 2);
      const f = load<i32>(sp);
      if (f >= 0) {
        memory.copy(o, outSub + <usize>f * mBytes, mBytes);
        continue;
      }
      store<i32>(sp, b);
    }
    const excl = !includeSelf && size > 1;
    const pool = excl ? size - 1 : size;
    const seg = members + (<usize>start << 2);
    const last = load<i32>(seg + (<usize>(size - 1) << 2));
    if (pool >= m) {
      let cnt = 0;
      for (let j = pool - m; j < pool; j++) {
        const t = <i32>rngBelow(<u32>(j + 1));
        let dup = false;
        for (let q = 0; q < cnt; q++) {
          if (load<i32>(chosen + (<usize>q << 2)) == t) { dup = true; break; }
        }
        store<i32>(chosen + (<usize>cnt << 2), dup ? j : t);
        cnt++;
      }
      for (let q = 0; q < m; q++) {
        const r = load<i32>(seg + (<usize>load<i32>(chosen + (<usize>q << 2)) << 2));
        store<i32>(o + (<usize>q << 2), excl && r == x ? last : r);
      }
    } else {
      for (let q = 0; q < m; q++) {
        const r = load<i32>(seg + (<usize>rngBelow(<u32>pool) << 2));
        store<i32>(o + (<usize>q << 2), excl && r == x ? last : r);
      }
    }
  }
  rngStore(rngState);
}
