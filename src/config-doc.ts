// docs/configuration.md, generated from the config schema: one table per top-level section (key, type and
// range, default, meaning). Run `npx tsx src/config-doc.ts docs/configuration.md` after changing the schema;
// test/docs/configuration.test.ts fails while the committed file differs from what this writes.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SCHEMA, type KeySpec, type KeyType } from './config.js';

/** The command that regenerates the file; the test's failure message names it. */
export const REGENERATE = 'npx tsx src/config-doc.ts docs/configuration.md';

/** Human title of each top-level section; a section the schema adds later gets its own name. */
const SECTION_TITLES: Record<string, string> = {
  '': 'top level',
  data: 'data',
  model: 'model',
  train: 'train',
  cluster: 'cluster',
  eval: 'eval',
  checkpoint: 'checkpoint',
  runtime: 'runtime',
};

/** A table cell: pipes escaped, angle brackets as entities (runs/<name>/ is not an HTML tag), line breaks
 *  folded, so a doc string never breaks the Markdown table. */
function cell(text: string): string {
  return text
    .replace(/\\/g, '\\\\').replace(/\|/g, '\\|')
    .replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/\s*\n\s*/g, ' ');
}

function fmtNumber(n: number): string {
  return String(n);
}

/** Type and range of a key, e.g. `integer ≥ 1`, `number in (0, 0.9]`, `"a" \| "b"`. */
export function typeText(t: KeyType): string {
  switch (t.kind) {
    case 'bool':
      return 'boolean';
    case 'string':
      return 'string';
    case 'enum':
      return t.values.map((v) => `\`${v}\``).join(', ');
    case 'int':
    case 'number': {
      const name = t.kind === 'int' ? 'integer' : 'number';
      const exclusiveMin = t.kind === 'number' && t.exclusiveMin === true;
      const { min, max } = t;
      if (min === undefined && max === undefined) return name;
      if (max === undefined) return `${name} ${exclusiveMin ? '>' : '≥'} ${fmtNumber(min!)}`;
      if (min === undefined) return `${name} ≤ ${fmtNumber(max)}`;
      return `${name} in ${exclusiveMin ? '(' : '['}${fmtNumber(min)}, ${fmtNumber(max)}]`;
    }
  }
}

function defaultText(v: unknown): string {
  if (v === '') return '`""`';
  if (typeof v === 'string') return `\`${v}\``;
  return `\`${JSON.stringify(v)}\``;
}

/** The whole of docs/configuration.md for a schema (by default the one in src/config.ts). */
export function configurationMarkdown(schema: Record<string, KeySpec> = SCHEMA): string {
  const sections = new Map<string, Array<[string, KeySpec]>>();
  for (const [key, spec] of Object.entries(schema)) {
    const dot = key.indexOf('.');
    const section = dot < 0 ? '' : key.slice(0, dot);
    if (!sections.has(section)) sections.set(section, []);
    sections.get(section)!.push([key, spec]);
  }
  const keyCount = Object.keys(schema).length;
  const out: string[] = [
    '# Configuration',
    '',
    `<!-- Generated from src/config.ts by \`${REGENERATE}\`. Do not edit by hand. -->`,
    '',
    `A run is described by one JSON file (\`run.json\` by default) with ${keyCount} keys in the sections below.`,
    'Every key has a default, and the defaults are the recommended settings: a config file names only what it',
    'changes. Nested objects and dotted keys mean the same thing: `{ "train": { "epochs": 5 } }` is `train.epochs`.',
    '',
    '```bash',
    'npm start -- --config run.json --set train.epochs=5 --set runtime.backend=cpu',
    'npm start -- --print-config          # the resolved config, every key',
    'npm start -- --help                  # the same table in the terminal',
    'npm start -- --write-schema run.schema.json   # JSON Schema for editor completion',
    '```',
    '',
    'A value that is out of range, of the wrong type, or a key the schema does not know stops the run before it',
    'starts, with one line that names the key (exit code 2).',
    '',
    'Sections: ' + [...sections.keys()].map((s) => {
      const title = SECTION_TITLES[s] ?? s;
      return `[${title}](#${title.toLowerCase().replace(/ /g, '-')})`;
    }).join(', ') + '.',
  ];
  for (const [section, entries] of sections) {
    out.push('', `## ${SECTION_TITLES[section] ?? section}`, '');
    out.push('| key | type / range | default | meaning |', '|---|---|---|---|');
    for (const [key, spec] of entries) {
      out.push(`| \`${key}\` | ${cell(typeText(spec.type))} | ${cell(defaultText(spec.default))} | ${cell(spec.doc)} |`);
    }
  }
  return out.join('\n') + '\n';
}

// Run directly: write the file named by the first argument (default docs/configuration.md).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const target = process.argv[2] ?? 'docs/configuration.md';
  writeFileSync(target, configurationMarkdown());
  process.stdout.write(`wrote ${target} (${Object.keys(SCHEMA).length} keys)\n`);
}
