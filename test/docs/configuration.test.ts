// docs/configuration.md is generated from the config schema; this fails while the committed file is stale.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA, type KeySpec } from '../../src/config.js';
import { REGENERATE, configurationMarkdown, typeText } from '../../src/config-doc.js';

describe('docs/configuration.md', () => {
  it('equals configurationMarkdown() of the current schema', () => {
    const committed = readFileSync('docs/configuration.md', 'utf8');
    expect(committed === configurationMarkdown(), `docs/configuration.md is stale; regenerate it with: ${REGENERATE}`).toBe(true);
  });

  it('names every schema key once, in a table of its section', () => {
    const md = configurationMarkdown();
    for (const key of Object.keys(SCHEMA)) {
      expect(md.split(`| \`${key}\` |`).length - 1, key).toBe(1);
    }
  });

  it('keeps a pipe or an angle bracket inside a doc string from breaking its table row', () => {
    const schema: Record<string, KeySpec> = {
      name: { type: { kind: 'string' }, default: '', doc: 'writes runs/<name>/' },
      'train.lr': { type: { kind: 'number', min: 0, max: 1, exclusiveMin: true }, default: 0.001, doc: 'step of q(c|D)' },
    };
    const rows = configurationMarkdown(schema).split('\n').filter((l) => l.startsWith('| `'));
    expect(rows).toEqual([
      '| `name` | string | `""` | writes runs/&lt;name&gt;/ |',
      '| `train.lr` | number in (0, 1] | `0.001` | step of q(c\\|D) |',
    ]);
  });

  it('describes types and ranges', () => {
    expect(typeText({ kind: 'int', min: 1 })).toBe('integer ≥ 1');
    expect(typeText({ kind: 'int', min: 0, max: 56 })).toBe('integer in [0, 56]');
    expect(typeText({ kind: 'number', min: 0 })).toBe('number ≥ 0');
    expect(typeText({ kind: 'bool' })).toBe('boolean');
    expect(typeText({ kind: 'enum', values: ['spectral', 'umap', 'none'] })).toBe('`spectral`, `umap`, `none`');
  });
});
