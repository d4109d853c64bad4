// Reading data files: large files in pieces (one read call stops at 2 GiB), and a file above the largest array
// refused in one line before anything is read.
import { constants } from 'node:buffer';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataError, readBytes } from '../../src/data/idx.js';

const dir = mkdtempSync(join(tmpdir(), 'uvhe-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readBytes', () => {
  it('reads a file in pieces of any size to the same bytes', () => {
    const f = join(dir, 'bytes');
    const want = Uint8Array.from({ length: 1003 }, (_, i) => (i * 37) & 255);
    writeFileSync(f, want);
    for (const chunk of [1, 7, 1000, 1003, 4096]) expect(Array.from(readBytes(f, chunk)), `chunk ${chunk}`).toEqual(Array.from(want));
  });

  it('refuses a file above the largest array before reading it, naming the file and both sizes', () => {
    const f = join(dir, 'huge-images-idx3-ubyte');
    writeFileSync(f, '');
    truncateSync(f, constants.MAX_LENGTH + 1); // sparse: no disk space used
    let err: unknown;
    try { readBytes(f); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DataError);
    const m = (err as Error).message;
    expect(m).toContain(f);
    expect(m).toContain(`is ${(constants.MAX_LENGTH + 1).toLocaleString('en-US')} bytes`);
    expect(m).toContain(`above the ${constants.MAX_LENGTH.toLocaleString('en-US')} bytes one array holds`);
    expect(m).not.toContain('\n');
  });
});
