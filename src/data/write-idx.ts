// A tiny IDX writer (unsigned-byte tensors, raw or gzip) for tests and fixtures.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Encodes a row-major unsigned-byte tensor of shape `dims` (1 or 3 dims) as IDX bytes:
 * 00 00 08 <ndims>, one big-endian uint32 per dim, then the payload.
 */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  if (dims.length !== 1 && dims.length !== 3) throw new RangeError(`encodeIdx: ndims must be 1 or 3, got ${dims.length}`);
  let size = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff) throw new RangeError(`encodeIdx: bad dimension ${d}`);
    size *= d;
  }
  if (size !== data.length) throw new RangeError(`encodeIdx: dims ${dims.join('×')} need ${size} bytes, got ${data.length}`);
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + size);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}

/** Gzips bytes (deterministic: no file name, mtime 0). */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes);
}

/**
 * Writes an IDX file; gzip-compressed when `path` ends in `.gz` (or `opts.gzip` says so).
 * Creates the parent directory. Returns the bytes written.
 */
export function writeIdx(path: string, dims: readonly number[], data: Uint8Array, opts: { gzip?: boolean } = {}): Uint8Array {
  const raw = encodeIdx(dims, data);
  const bytes = (opts.gzip ?? path.endsWith('.gz')) ? gzip(raw) : raw;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes;
}

/** Writes n×rows×cols images (IDX3). */
export function writeIdxImages(path: string, pixels: Uint8Array, n: number, rows: number, cols: number, opts: { gzip?: boolean } = {}): Uint8Array {
  return writeIdx(path, [n, rows, cols], pixels, opts);
}

/** Writes labels (IDX1); each must be in 0..255. */
export function writeIdxLabels(path: string, labels: ArrayLike<number>, opts: { gzip?: boolean } = {}): Uint8Array {
  const bytes = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`writeIdxLabels: label ${v} at index ${i} is not a byte`);
    bytes[i] = v;
  }
  return writeIdx(path, [labels.length], bytes, opts);
}
