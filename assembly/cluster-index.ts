// CSR cluster index by counting sort: members[offsets[c] .. offsets[c+1]) are the rows of cluster c, ascending
// (the same order as buildClusterIndex in src/cluster/sampler.ts, so the sampler's draws map to the same rows).

/** labels n i32 in [0,k) → offsets (k+1 i32), members (n i32); cursor: k i32 scratch. */
export function buildIndex(labels: usize, n: i32, k: i32, offsets: usize, members: usize, cursor: usize): void {
  memory.fill(offsets, 0, <usize>(k + 1) << 2);
  for (let i = 0; i < n; i++) {
    const p = offsets + ((<usize>load<i32>(labels + (<usize>i << 2)) + 1) << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
  let run = 0;
  for (let c = 0; c < k; c++) {
    run += load<i32>(offsets + ((<usize>c + 1) << 2));
    store<i32>(offsets + ((<usize>c + 1) << 2), run);
  }
  memory.copy(cursor, offsets, <usize>k << 2);
  for (let i = 0; i < n; i++) {
    const cp = cursor + (<usize>load<i32>(labels + (<usize>i << 2)) << 2);
    const pos = load<i32>(cp);
    store<i32>(members + (<usize>pos << 2), i);
    store<i32>(cp, pos + 1);
  }
}
