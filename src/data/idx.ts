// Strict parser for IDX files (the MNIST / Fashion-MNIST format), raw or gzip, into Uint8 pixels and Int32 labels.
//
// IDX layout (big-endian): bytes 0..1 are zero, byte 2 is the element type (only 0x08 = unsigned byte is
// accepted here), byte 3 is the number of dimensions; then one uint32 per dimension; then the payload,
// row-major, one byte per element. Label files are 1-d (magic 0x00000801), image files 3-d (0x00000803).
// Every problem is a DataError whose one-line message names the file. Byte offsets in messages count from
// the start of the (decompressed, for .gz) IDX stream.

import { constants } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from './data-error.js';

export { DataError } from './data-error.js';

/** Element type byte for unsigned bytes, the only type MNIST-style files use. */
export const IDX_UBYTE = 0x08;

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** A decoded IDX tensor: dims (e.g. [n, rows, cols]) and its row-major payload (own buffer, byteOffset 0). */
export interface IdxTensor {
  dims: number[];
  data: Uint8Array;
  /** byte offset where the payload starts (= 4 + 4·ndims) */
  headerBytes: number;
}

/** Images from an IDX3 file: n images of rows×cols, row-major, one byte per pixel (0..255). */
export interface IdxImages {
  n: number;
  rows: number;
  cols: number;
  /** n×rows×cols bytes */
  pixels: Uint8Array;
}

const hex2 = (b: number): string => b.toString(16).padStart(2, '0');

/** True when `bytes` starts with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Returns `bytes` decompressed if it is gzip (by its 1f 8b magic, whatever the file name), else `bytes`.
 * A truncated or corrupt gzip stream becomes a DataError, never an uncaught zlib error.
 */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (e instanceof RangeError || err.code === 'ERR_BUFFER_TOO_LARGE') throw new DataError(file, `decompresses to more than ${tooBig()}`);
    const why = `${err.code ?? 'error'}: ${err.message}`;
    if (err.code === 'Z_BUF_ERROR' || /unexpected end/i.test(err.message)) {
      throw new DataError(file, `gzip stream is truncated (${why}); the ${bytes.length}-byte file is incomplete`);
    }
    throw new DataError(file, `gzip stream is corrupt (${why})`);
  }
}

/** The largest array this Node.js holds, in words, for the refusals of larger files. */
const tooBig = (): string => `the ${constants.MAX_LENGTH.toLocaleString('en-US')} bytes one array holds in this Node.js (${Math.floor(constants.MAX_LENGTH / 784).toLocaleString('en-US')} images of 28×28): split the images over several smaller sets`;

/**
 * Reads a file into memory; a missing or unreadable file becomes a DataError naming the path. Files above `chunk`
 * bytes are read in pieces of that size, because one read call stops at 2 GiB; a file above the largest array
 * (4 GiB in Node.js 20) is refused before anything is read.
 */
export function readBytes(file: string, chunk = 2 ** 30): Uint8Array {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new DataError(file, 'file not found');
  }
  if (!st.isFile()) throw new DataError(file, 'is not a regular file');
  if (st.size > constants.MAX_LENGTH) throw new DataError(file, `is ${st.size.toLocaleString('en-US')} bytes, above ${tooBig()}`);
  try {
    if (st.size <= chunk) return readFileSync(file);
    const out = Buffer.allocUnsafe(st.size);
    const fd = openSync(file, 'r');
    try {
      for (let at = 0; at < st.size; ) {
        const got = readSync(fd, out, at, Math.min(chunk, st.size - at), at);
        if (got === 0) throw new Error(`it ended at byte ${at} of ${st.size}`);
        at += got;
      }
    } finally {
      closeSync(fd);
    }
    return out;
  } catch (e) {
    throw new DataError(file, `cannot read file (${(e as Error).message})`);
  }
}

/**
 * Decodes an (already decompressed) IDX stream. Checks the magic, the element type (unsigned byte only),
 * ndims ∈ {1, 3}, positive image dimensions, and that the payload length equals the product of dims.
 * `expectNdims`, when given, also demands that number of dimensions (1 = labels, 3 = images).
 * `gz` only changes wording: offsets then refer to the decompressed stream.
 */
export function decodeIdx(bytes: Uint8Array, file: string, expectNdims?: 1 | 3, gz = false): IdxTensor {
  const where = gz ? ' of the decompressed stream' : '';
  if (bytes.length < 4) {
    throw new DataError(file, `file is ${bytes.length} bytes${gz ? ' (decompressed)' : ''}, too short for the 4-byte IDX magic`);
  }
  const magicHex = `0x${hex2(bytes[0]!)}${hex2(bytes[1]!)}${hex2(bytes[2]!)}${hex2(bytes[3]!)}`;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(file, `bad magic ${magicHex}: not an IDX file (expected 0x00000801 for labels or 0x00000803 for images)`);
  }
  const type = bytes[2]!;
  if (type !== IDX_UBYTE) {
    const name = TYPE_NAMES[type];
    throw new DataError(
      file,
      `bad magic ${magicHex}: element type 0x${hex2(type)} (${name ?? 'unknown'}) is not supported; only 0x08 (unsigned byte) is`,
    );
  }
  const ndims = bytes[3]!;
  if (ndims !== 1 && ndims !== 3) {
    throw new DataError(file, `bad magic ${magicHex}: ${ndims} dimensions; only 1 (labels) or 3 (images) are supported`);
  }
  if (expectNdims !== undefined && ndims !== expectNdims) {
    const want = expectNdims === 3 ? 'an image file (magic 0x00000803, 3 dimensions)' : 'a label file (magic 0x00000801, 1 dimension)';
    const got = ndims === 3 ? 'an image file' : 'a label file';
    throw new DataError(file, `expected ${want} but found ${got} (magic ${magicHex})`);
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new DataError(
      file,
      `header is truncated: ${ndims} dimensions need a ${headerBytes}-byte header but the file${where} has only ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let expected = 1;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    // the count (dim 0) may be 0; image rows/cols must be positive
    if (d > 0 && size === 0) throw new DataError(file, `dimension ${d} is 0 (dims ${[...dims, size].join('×')}...)`);
    dims.push(size);
    expected *= size;
  }
  const payload = bytes.length - headerBytes;
  if (payload !== expected) {
    const dimStr = dims.join('×');
    const kind = payload < expected ? 'truncated' : 'too long';
    throw new DataError(
      file,
      `payload ${kind}: dims ${dimStr} need ${expected} bytes but ${payload} are present ` +
        `(data ends at byte offset ${bytes.length}${where}, expected ${headerBytes + expected})`,
    );
  }
  // copy into an own buffer: no views into Node's shared Buffer pool or the zlib output leak out
  const data = new Uint8Array(expected);
  data.set(bytes.subarray(headerBytes, headerBytes + expected));
  return { dims, data, headerBytes };
}

/** Reads and decodes one IDX file (raw or gzip, detected by content). */
export function readIdx(file: string, expectNdims?: 1 | 3): IdxTensor {
  const raw = readBytes(file);
  const gz = isGzip(raw);
  return decodeIdx(maybeGunzip(raw, file), file, expectNdims, gz);
}

/** Parses IDX image bytes (raw or gzip) into n×rows×cols Uint8 pixels. */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const gz = isGzip(bytes);
  const t = decodeIdx(maybeGunzip(bytes, file), file, 3, gz);
  return { n: t.dims[0]!, rows: t.dims[1]!, cols: t.dims[2]!, pixels: t.data };
}

/**
 * Parses IDX label bytes (raw or gzip) into Int32 labels, each checked to lie in 0..numClasses-1
 * (the first bad one is reported with its index and byte offset).
 */
export function parseIdxLabels(bytes: Uint8Array, file: string, numClasses = 10): Int32Array {
  if (!Number.isInteger(numClasses) || numClasses < 1 || numClasses > 256) {
    throw new DataError(file, `numClasses must be an integer in 1..256, got ${numClasses}`);
  }
  const gz = isGzip(bytes);
  const t = decodeIdx(maybeGunzip(bytes, file), file, 1, gz);
  const n = t.dims[0]!;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = t.data[i]!;
    if (v >= numClasses) {
      throw new DataError(
        file,
        `label ${v} at index ${i} (byte offset ${t.headerBytes + i}) is out of range 0..${numClasses - 1}`,
      );
    }
    labels[i] = v;
  }
  return labels;
}

/** Reads an IDX image file (raw or .gz). */
export function readIdxImages(file: string): IdxImages {
  return parseIdxImages(readBytes(file), file);
}

/** Reads an IDX label file (raw or .gz), labels checked against 0..numClasses-1. */
export function readIdxLabels(file: string, numClasses = 10): Int32Array {
  return parseIdxLabels(readBytes(file), file, numClasses);
}

/** Throws a DataError (naming the labels file) when the label count differs from the image count. */
export function checkCountsAgree(imagesFile: string, nImages: number, labelsFile: string, nLabels: number): void {
  if (nImages !== nLabels) {
    throw new DataError(labelsFile, `has ${nLabels} labels but ${imagesFile} has ${nImages} images`);
  }
}
