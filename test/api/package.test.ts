// The package entry: package.json's bin, exports and types point at files that exist, and index.mjs (what plain
// Node imports) exports exactly the values src/index.ts exports.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('package.json', () => {
  it('names a bin, an entry and types that exist, and the MIT licence', () => {
    expect(pkg.bin).toEqual({ uvhe: 'bin/uvhe.mjs' });
    expect(pkg.license).toBe('MIT');
    for (const f of [pkg.bin.uvhe, pkg.exports['.'].default, pkg.exports['.'].types, pkg.types, 'LICENSE']) expect(existsSync(join(ROOT, f)), f).toBe(true);
  });

  it('index.mjs, under plain node, exports the values of src/index.ts', async () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(ROOT, 'index.mjs'))}); console.log(JSON.stringify(Object.keys(m).sort()))`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const src = await import('../../src/index.js');
    expect(JSON.parse(r.stdout)).toEqual(Object.keys(src).sort());
  });
});
