// `uvhe report runs/a runs/b …`: one report.html over run folders that already exist (their config.json,
// metrics.jsonl and PNG grids), so finished runs are compared without training them again.
import { existsSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { DataError } from '../data/data-error.js';
import { writeReport } from '../report/html.js';

/** Writes the report over `dirs` to `out`; returns its absolute path. Each folder is one run, labelled by its path
 *  relative to the current folder (so two runs/…/uvhe folders stay apart). */
export function reportCommand(dirs: string[], out: string): string {
  for (const d of dirs) {
    if (!existsSync(join(d, 'metrics.jsonl'))) throw new DataError(resolve(d), 'is not a run folder (no metrics.jsonl)');
  }
  const runs = dirs.map((d) => ({ label: relative(process.cwd(), resolve(d)) || basename(resolve(d)), dir: resolve(d) }));
  const file = resolve(out);
  writeReport({ out: file, title: `uvhe runs: ${runs.map((r) => r.label).join(', ')}`, runs });
  return file;
}
