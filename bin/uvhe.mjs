#!/usr/bin/env node
// The `uvhe` command (package.json "bin"): rebuilds stale wasm kernels where the AssemblyScript compiler is installed
// (a development checkout), registers tsx (this package's own dependency) so that Node runs the TypeScript sources,
// and hands the arguments to src/cli.ts (subcommands train, assign, report).
import { existsSync } from 'node:fs';
import { tsImport } from 'tsx/esm/api';

if (existsSync(new URL('../node_modules/assemblyscript/package.json', import.meta.url))) await import('../scripts/ensure-wasm.mjs');
const { main } = await tsImport('../src/cli.ts', import.meta.url);
process.exit(await main(process.argv.slice(2)));
