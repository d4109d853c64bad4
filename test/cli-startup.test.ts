// Start-up: the CLI's light actions (--help, --print-config, --write-schema, a config error) must not load tfjs or
// the modules that import it (backend, run, compare, recluster): they load on demand in main(). No timing here:
// the CLI runs under a module hook that records every module it resolves (ESM) and, at exit, every CommonJS
// module in require.cache, so an eager import of tfjs in cli.ts (or in a light module it imports) fails this test.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'uvhe-startup-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// resolve hook (runs on the loader thread): append each resolved URL to $UVHE_RECORD
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.UVHE_RECORD, r.url + '\\n');
  return r;
}`;
// preload: register the hook, and at exit add what CommonJS loaded
const PRELOAD = `import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
register(${JSON.stringify('data:text/javascript,' + encodeURIComponent(HOOKS))});
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(process.env.UVHE_RECORD, Object.keys(cache).join('\\n') + '\\n'));`;
const preloadFile = join(tmp, 'record-modules.mjs');
writeFileSync(preloadFile, PRELOAD);

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href; // cwd is a temp folder
const HEAVY = /@tensorflow|\/piscina\/|\/src\/(backend|run|compare|recluster)\.ts$/;

let runs = 0;
/** Runs node with tsx and the recorder; returns its result and the modules it loaded. */
function recorded(args: string[]): { status: number | null; stdout: string; stderr: string; modules: string[] } {
  const record = join(tmp, `modules-${runs++}.txt`);
  writeFileSync(record, '');
  const r = spawnSync(process.execPath, ['--import', TSX, '--import', preloadFile, ...args], {
    cwd: tmp, // no run.json here
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, UVHE_RECORD: record },
  });
  const modules = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

const cli = join(ROOT, 'src', 'cli.ts');

describe('the CLI answers its light actions without loading tfjs', () => {
  it('the recorder sees tfjs where it is loaded (control)', () => {
    const backend = JSON.stringify(join(ROOT, 'src', 'backend.ts'));
    const r = recorded(['--input-type=module', '-e', `await import(${backend});`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.modules.some((m) => m.includes('@tensorflow/'))).toBe(true);
  });

  const cases: Array<[string, string[], number]> = [
    ['--help', ['--help'], 0],
    ['--print-config', ['--print-config', '--set', 'train.epochs=2'], 0],
    ['--write-schema', ['--write-schema', 'schema.json'], 0],
    ['a config error', ['--set', 'train.epochz=2'], 2],
    ['a missing config file', ['--config', 'nope.json'], 2],
  ];
  for (const [what, args, code] of cases) {
    it(what, () => {
      const r = recorded([cli, ...args]);
      expect(r.status, r.stderr).toBe(code);
      expect(r.modules.some((m) => m.endsWith('/src/cli.ts'))).toBe(true);
      expect([...new Set(r.modules.filter((m) => HEAVY.test(m)))]).toEqual([]);
    });
  }
});
