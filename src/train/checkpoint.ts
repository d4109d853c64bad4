// Checkpoints: everything a run needs to continue exactly where it stopped (weights, Adam state, code store,
// centroids and labels, RNG states, epoch) in ONE file, written atomically (a temporary file, then a rename),
// so a crash or a kill at any moment leaves the previous checkpoint loadable.
//
// Format (little-endian): "UVHECKPT" · u32 version · u32 JSON byte length · JSON · zero padding to 8 bytes ·
// the arrays back to back. The JSON holds the scalars, each array's name, dtype and length, and a CRC-32 of the
// array bytes, so a truncated or corrupted file is refused with a one-line error instead of loading garbage.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';

const MAGIC = 'UVHECKPT';
const VERSION = 1;

type TypedArray = Float32Array | Int32Array | Uint32Array;
const CTORS = { f32: Float32Array, i32: Int32Array, u32: Uint32Array } as const;
type DType = keyof typeof CTORS;

/** A checkpoint: JSON-safe scalars plus named typed arrays. */
export interface CheckpointData {
  meta: Record<string, unknown>;
  arrays: Record<string, TypedArray>;
}

export class CheckpointError extends Error {}

function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  return 'u32';
}

/** Write atomically: the data goes to path.tmp-<pid>, is fsynced, then renamed over path. */
export function saveCheckpoint(path: string, data: CheckpointData): void {
  const entries = Object.entries(data.arrays).map(([name, a]) => ({ name, dtype: dtypeOf(a), length: a.length }));
  let crc = 0;
  for (const a of Object.values(data.arrays)) crc = crc32(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), crc);
  const json = Buffer.from(JSON.stringify({ meta: data.meta, entries, crc }), 'utf8');
  const head = Buffer.alloc(16);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(VERSION, 8);
  head.writeUInt32LE(json.length, 12);
  const pad = Buffer.alloc((8 - ((16 + json.length) % 8)) % 8);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, head); writeSync(fd, json); writeSync(fd, pad);
    for (const a of Object.values(data.arrays)) writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function loadCheckpoint(path: string): CheckpointData {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(`checkpoint: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code}`);
  }
  const bad = (what: string): never => { throw new CheckpointError(`checkpoint: ${path}: ${what}`); };
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) bad('not a uvhe checkpoint (bad magic)');
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) bad(`version ${version} is not supported (expected ${VERSION})`);
  const jlen = buf.readUInt32LE(12);
  if (16 + jlen > buf.length) bad(`truncated: header says ${jlen} JSON bytes at offset 16, file has ${buf.length} bytes`);
  let head: { meta: Record<string, unknown>; entries: Array<{ name: string; dtype: DType; length: number }>; crc: number };
  try { head = JSON.parse(buf.toString('utf8', 16, 16 + jlen)); } catch { return bad('corrupt header (invalid JSON at byte offset 16)'); }
  let off = 16 + jlen;
  off += (8 - (off % 8)) % 8;
  const arrays: Record<string, TypedArray> = {};
  let crc = 0;
  for (const e of head.entries) {
    const C = CTORS[e.dtype];
    if (!C) bad(`unknown dtype ${e.dtype} for ${e.name}`);
    const bytes = e.length * 4;
    if (off + bytes > buf.length) bad(`truncated: array ${e.name} needs bytes ${off}..${off + bytes}, file has ${buf.length}`);
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(off, off + bytes));
    crc = crc32(copy, crc);
    arrays[e.name] = new C(copy.buffer);
    off += bytes;
  }
  if (crc !== head.crc) bad('corrupt: array checksum mismatch');
  return { meta: head.meta, arrays };
}
