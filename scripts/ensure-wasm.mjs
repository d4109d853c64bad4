#!/usr/bin/env node
// Build the AssemblyScript kernels only when they are missing or stale. Two ways in:
//
//   node scripts/ensure-wasm.mjs [--force] [--prepare] [target ...]
//       targets of asconfig.json; default: release relaxed, the two src/cluster/kernels.ts loads
//       --force     rebuild the named targets whatever the hashes say (npm run build:wasm)
//       --prepare   (npm's prepare script) where assemblyscript is not installed (npm ci --omit=dev), warn, exit 0
//   node --import ./scripts/ensure-wasm.mjs --import tsx src/cli.ts ...
//       as a preload (npm start, npm run bench): checks the default targets in the same process as the program,
//       which saves a second Node start-up; exits 1 before the program runs if a build fails
//
// Stale means: the inputs differ from those the output was built from. The inputs are hashed (every file under
// assembly/, asconfig.json's content, the assemblyscript version, the target name) and the hash is stored beside
// the output (build/<out>.wasm.inputs), so a branch switch, an edit or an asc upgrade rebuilds, and nothing else
// does (not a touch, not a reformatted asconfig.json). Plain Node, no tsx: up to date, it reads ~12 small files
// and costs a few milliseconds. asc's own output goes to stderr, so a program's stdout stays its own.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);
const root = resolve(dirname(self), '..');
const preload = !process.argv[1] || resolve(process.argv[1]) !== self;
const args = preload ? [] : process.argv.slice(2);
const force = args.includes('--force');
const prepare = args.includes('--prepare');
const targets = args.filter((a) => !a.startsWith('--'));
if (targets.length === 0) targets.push('release', 'relaxed');

function fail(msg, code = 1) {
  process.stderr.write(`ensure-wasm: ${msg}\n`);
  process.exit(code);
}

/** Every file under dir, sorted, as paths relative to root. */
function listFiles(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p));
    else if (e.isFile()) out.push(relative(root, p));
  }
  return out.sort();
}

const ascPkg = join(root, 'node_modules', 'assemblyscript', 'package.json');
if (!existsSync(ascPkg)) {
  const msg = 'assemblyscript is not installed (a devDependency), cannot build the wasm kernels';
  if (prepare) {
    process.stderr.write(`ensure-wasm: ${msg}; skipped\n`);
    process.exit(0);
  }
  fail(`${msg}: run npm ci`);
}

const asconfig = JSON.parse(readFileSync(join(root, 'asconfig.json'), 'utf8'));
const common = createHash('sha256');
common.update(`asc ${JSON.parse(readFileSync(ascPkg, 'utf8')).version}\0`);
common.update(`asconfig.json\0${JSON.stringify(asconfig)}\0`);
for (const f of listFiles(join(root, 'assembly'))) {
  common
    .update(`${f}\0`)
    .update(readFileSync(join(root, f)))
    .update('\0');
}
const commonDigest = common.digest('hex');

let failed = false;
for (const target of targets) {
  const outFile = asconfig.targets?.[target]?.outFile;
  if (!outFile) fail(`asconfig.json has no target "${target}" with an outFile`, 2);
  const out = join(root, outFile);
  const stamp = `${out}.inputs`;
  const digest = createHash('sha256').update(`${commonDigest}\0${target}`).digest('hex');
  if (!force && existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest) continue;
  const t0 = Date.now();
  const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  const r = spawnSync(process.execPath, [asc, 'assembly/index.ts', '--target', target], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
  if (r.status !== 0) {
    process.stderr.write(`ensure-wasm: asc --target ${target} failed (exit ${r.status ?? r.signal})\n`);
    failed = true;
    continue;
  }
  writeFileSync(`${stamp}.tmp`, digest + '\n');
  renameSync(`${stamp}.tmp`, stamp);
  process.stderr.write(`ensure-wasm: built ${outFile} (${target}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
if (failed) process.exit(1);
if (!preload) process.exit(0);
