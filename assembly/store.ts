// Code-store row writes: scatter B fresh rows (B×d f32, [z‖c], unweighted) into the n×d store. The z/c weights
// are applied where distances are taken (the prepared centroid panel), so the store keeps the true codes and
// readCodes needs no division (and a zero weight loses nothing).

/** store[rows[b]] ← src[b] for b in [0, B). */
export function writeRows(storePtr: usize, d: i32, rows: usize, B: i32, src: usize): void {
  const rowBytes = <usize>d << 2;
  for (let b = 0; b < B; b++) {
    const r = <usize>load<i32>(rows + (<usize>b << 2));
    memory.copy(storePtr + r * rowBytes, src + <usize>b * rowBytes, rowBytes);
  }
}
