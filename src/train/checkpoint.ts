// Checkpoints: everything a run needs to continue exactly where it stopped (weights, Adam state, code store,
// centroids and labels, RNG states, epoch) in ONE file, written atomically (a temporary file, then a rename;
// run-folder.ts writeAtomic), so a crash, a kill or a full disk at any moment leaves the previous checkpoint
// loadable and no partial file behind.
//
// Format 2 (little-endian): "UVHECKPT" · u32 version = 2 · u32 JSON byte length · JSON · zero padding to 8 bytes ·
// the arrays back to back · u32 CRC-32 of every byte before it. The JSON holds the scalars (meta) and each
// array's name, dtype and length, so the file's exact length follows from its header: a truncated file, trailing
// bytes, and any edit anywhere (an epoch, an RNG state, Adam's step, a weight) are refused with one line.
//
// Format 1 (written before format 2) still loads: the same layout without the trailing CRC, with a CRC-32 of the
// array bytes in the JSON instead. Its length and its arrays are checked; its header has no checksum, so an edit
// of the header of a format-1 file cannot be detected. The next checkpoint such a run writes is format 2.
import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { writeAtomic } from '../run-folder.js';

const MAGIC = 'UVHECKPT';
export const CHECKPOINT_VERSION = 2;

type TypedArray = Float32Array | Int32Array | Uint32Array;
const CTORS = { f32: Float32Array, i32: Int32Array, u32: Uint32Array } as const;
type DType = keyof typeof CTORS;

/** A checkpoint: JSON-safe scalars plus named typed arrays. */
export interface CheckpointData {
  meta: Record<string, unknown>;
  arrays: Record<string, TypedArray>;
  /** the format version it was read from (loadCheckpoint only) */
  version?: number;
}

export class CheckpointError extends Error {}

function dtypeOf(a: TypedArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Int32Array) return 'i32';
  return 'u32';
}

const bytesOf = (a: TypedArray): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The bytes of a format-2 checkpoint, as the chunks written one after the other. */
export function encodeCheckpoint(data: CheckpointData): Uint8Array[] {
  const entries = Object.entries(data.arrays).map(([name, a]) => ({ name, dtype: dtypeOf(a), length: a.length }));
  const json = Buffer.from(JSON.stringify({ meta: data.meta, entries }), 'utf8');
  const head = Buffer.alloc(16);
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(CHECKPOINT_VERSION, 8);
  head.writeUInt32LE(json.length, 12);
  const pad = Buffer.alloc((8 - ((16 + json.length) % 8)) % 8);
  const chunks: Uint8Array[] = [head, json, pad, ...Object.values(data.arrays).map(bytesOf)];
  let crc = 0;
  for (const c of chunks) crc = crc32(c, crc);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(crc >>> 0, 0);
  chunks.push(tail);
  return chunks;
}

/** Write atomically and fsynced: path.tmp-<pid>, then a rename over path. A failed write (a full disk) removes
 *  its temporary file, keeps the previous checkpoint and throws a one-line RunFolderError naming the file. */
export function saveCheckpoint(path: string, data: CheckpointData): void {
  writeAtomic(path, encodeCheckpoint(data), { fsync: true });
}

interface Entry { name: string; dtype: DType; length: number }

export function loadCheckpoint(path: string): CheckpointData {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CheckpointError(`checkpoint: cannot read ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code}`);
  }
  const bad = (what: string): never => { throw new CheckpointError(`checkpoint: ${path}: ${what}`); };
  if (buf.length < 16 || buf.toString('latin1', 0, 8) !== MAGIC) bad('not a uvhe checkpoint (bad magic)');
  const version = buf.readUInt32LE(8);
  if (version !== 1 && version !== 2) bad(`format version ${version} is not supported (this build reads versions 1 and 2)`);
  const jlen = buf.readUInt32LE(12);
  if (16 + jlen > buf.length) bad(`truncated: header says ${jlen} JSON bytes at offset 16, file has ${buf.length} bytes`);
  let head: { meta: Record<string, unknown>; entries: Entry[]; crc?: number };
  try { head = JSON.parse(buf.toString('utf8', 16, 16 + jlen)); } catch { return bad('corrupt header (invalid JSON at byte offset 16)'); }
  const entriesOk = head !== null && typeof head === 'object' && head.meta !== null && typeof head.meta === 'object' && !Array.isArray(head.meta)
    && Array.isArray(head.entries) && head.entries.every((e) => e !== null && typeof e === 'object' && typeof e.name === 'string'
      && Object.hasOwn(CTORS, e.dtype) && Number.isSafeInteger(e.length) && e.length >= 0);
  if (!entriesOk) bad('corrupt header (its array table is not valid)');
  let off = 16 + jlen;
  off += (8 - (off % 8)) % 8;
  const dataStart = off;
  const expected = dataStart + head.entries.reduce((s, e) => s + e.length * 4, 0) + (version === 2 ? 4 : 0);
  if (buf.length < expected) bad(`truncated: its header describes ${expected} bytes, the file has ${buf.length}`);
  if (buf.length > expected) bad(`${buf.length - expected} unexpected bytes after the end (its header describes ${expected} bytes, the file has ${buf.length})`);
  if (version === 2) {
    const stored = buf.readUInt32LE(expected - 4);
    if ((crc32(buf.subarray(0, expected - 4)) >>> 0) !== stored) bad('corrupt: checksum mismatch (the file was changed or damaged after it was written)');
  }
  const arrays: Record<string, TypedArray> = {};
  let crc = 0;
  for (const e of head.entries) {
    const bytes = e.length * 4;
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(off, off + bytes));
    if (version === 1) crc = crc32(copy, crc);
    arrays[e.name] = new CTORS[e.dtype](copy.buffer);
    off += bytes;
  }
  if (version === 1 && crc !== head.crc) bad('corrupt: array checksum mismatch');
  return { meta: head.meta, arrays, version };
}
