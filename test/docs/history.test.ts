// The docs say what is; development history lives in git. This scans the user-facing text for history:
// README.md and docs/** with every pattern, and the sources (src/**, test/**, bench/**) with the patterns that
// never belong in a comment or a string there.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../src/config.js';

/** Patterns that mark development history, each with a name for the failure message. */
const DOC_PATTERNS: Array<[string, RegExp]> = [
  ['session', /\bsessions?\b/i],
  ['issue N', /\bissue #?\d+/i],
  ['experiments/', /experiments\//i],
  ['earlier', /\bearlier\b/i],
  ['predates', /\bpredates?\b/i],
  // a commit hash: 7–40 hex digits with at least one digit and one letter (so neither 1234567 nor "defaced")
  ['commit hash', /\b(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b/],
];
const SOURCE_PATTERNS = DOC_PATTERNS.filter(([name]) => ['session', 'issue N', 'experiments/'].includes(name));

function walk(dir: string, keep: (path: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...walk(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

/** "file:line: [pattern] text" for every line of the files that matches a pattern. */
function findHistory(files: string[], patterns: Array<[string, RegExp]>): string[] {
  const hits: string[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      for (const [name, re] of patterns) if (re.test(line)) hits.push(`${file}:${i + 1}: [${name}] ${line.trim().slice(0, 120)}`);
    });
  }
  return hits;
}

describe('no development history', () => {
  it('the patterns find what they should and nothing else', () => {
    const hit = (s: string): string[] => DOC_PATTERNS.filter(([, re]) => re.test(s)).map(([name]) => name);
    expect(hit('as in session 4')).toEqual(['session']);
    expect(hit('see issue 6')).toEqual(['issue N']);
    expect(hit('experiments/results/x.md')).toEqual(['experiments/']);
    expect(hit('at commit e708b83')).toEqual(['commit hash']);
    expect(hit('this predates the key')).toEqual(['predates']);
    expect(hit('an earlier run')).toEqual(['earlier']);
    expect(hit('4294967295 examples, decaded, 0.952 ± 0.001, tfjs-node-gpu, k-means++')).toEqual([]);
  });

  it('README.md and docs/** have none', () => {
    // docs/configuration.md is generated from the schema's doc strings, which the next test checks at their source.
    const files = ['README.md', ...walk('docs', (p) => p.endsWith('.md') && p !== join('docs', 'configuration.md'))];
    const hits = findHistory(files, DOC_PATTERNS);
    expect(hits, `history in the docs:\n${hits.join('\n')}`).toEqual([]);
  });

  it('the schema doc strings (docs/configuration.md, --help) have none', () => {
    const hits = Object.entries(SCHEMA).flatMap(([key, spec]) =>
      DOC_PATTERNS.filter(([, re]) => re.test(spec.doc)).map(([name]) => `${key}: [${name}] ${spec.doc.slice(0, 120)}`));
    expect(hits, `history in the schema's doc strings (src/config.ts):\n${hits.join('\n')}`).toEqual([]);
  });

  it('src/**, test/** and bench/** have no session, issue number or experiments/ path', () => {
    const self = join('test', 'docs', 'history.test.ts');
    const files = ['src', 'test', 'bench'].flatMap((d) => walk(d, (p) => /\.(ts|js|mjs|json)$/.test(p) && p !== self));
    const hits = findHistory(files, SOURCE_PATTERNS);
    expect(hits, `history in the sources:\n${hits.join('\n')}`).toEqual([]);
  });
});
