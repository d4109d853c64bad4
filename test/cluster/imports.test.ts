// The import graph of src/**/*.ts has no cycles (type-only imports and re-exports count too), and src/cluster
// imports nothing from the stages that use it (train, eval, model, data, report).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

/** Relative module specifiers of one file: static imports and exports (type-only included), and dynamic imports
 *  of a string literal. Comments are removed first so that commented-out imports do not count. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const re = /(?:^|[;\s])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const spec = m[1] ?? m[2];
    if (spec.startsWith('.')) out.push(spec);
  }
  return out;
}

/** file → the src files it imports (NodeNext ".js" specifiers resolve to the ".ts" source). */
function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of tsFiles(SRC)) {
    const deps = importSpecifiers(readFileSync(f, 'utf8')).map((s) => resolve(dirname(f), s).replace(/\.js$/, '.ts'));
    g.set(f, deps.filter((d) => d.startsWith(SRC)));
  }
  return g;
}

/** Every cycle's files, one per strongly connected component with more than one file or a self-import
 *  (Tarjan's algorithm). */
export function cycles(g: Map<string, string[]>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (g.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('import graph of src/', () => {
  it('the parser sees every kind of import line, and the cycle finder finds planted cycles', () => {
    const src = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "import {\n  c,\n  d,\n} from './cd.js';",
      "export { e } from './e.js';",
      "export type { F } from './f.js';",
      "export * from './g.js';",
      "import './side-effect.js';",
      "const m = await import('./dyn.js');",
      "import { Piscina } from 'piscina';",
      "// import { no } from './commented.js';",
      "/* import { no } from './block.js'; */",
    ].join('\n');
    expect(importSpecifiers(src)).toEqual(['./a.js', '../b.js', './cd.js', './e.js', './f.js', './g.js', './side-effect.js', './dyn.js']);
    const g = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']], ['e', ['e']], ['f', []]]);
    expect(cycles(g)).toEqual([['a', 'b', 'c'], ['e']]);
    expect(cycles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });

  it('has no import cycles', () => {
    const g = importGraph();
    expect(g.size).toBeGreaterThan(20);
    const found = cycles(g).map((c) => c.map((f) => relative(SRC, f)).join(' ↔ '));
    expect(found).toEqual([]);
  });

  it('src/cluster imports only itself and src/util', () => {
    const outside: string[] = [];
    for (const [f, deps] of importGraph()) {
      if (!relative(SRC, f).startsWith('cluster/')) continue;
      for (const d of deps) {
        const r = relative(SRC, d);
        if (!r.startsWith('cluster/') && !r.startsWith('util/')) outside.push(`${relative(SRC, f)} → ${r}`);
      }
    }
    expect(outside).toEqual([]);
  });
});
