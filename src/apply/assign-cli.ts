// `uvhe assign runs/<name> --data PATH`: new images (IDX or PNG) → the run's preprocessing and encoder → a cluster
// and a confidence each, written as CSV; with labels, the accuracy of the clusters' matched labels.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BackendChoice } from '../backend.js';
import { readInputImages, type IdxSplit } from './images.js';
import { loadRun } from './run-model.js';

export interface AssignCommand {
  runDir: string;
  /** an IDX folder or file, or a PNG folder or file */
  data: string;
  /** which IDX split of a folder */
  split: IdxSplit;
  /** the CSV to write (default <runDir>/assignments.csv) */
  out?: string;
  backend?: BackendChoice;
}

export interface AssignSummary {
  out: string;
  n: number;
  /** accuracy of the matched labels against the given labels, or null without labels (or without a matching) */
  accuracy: number | null;
  /** mean confidence over the n images */
  meanConfidence: number;
  source: string;
}

export async function assignCommand(c: AssignCommand, log: (line: string) => void): Promise<AssignSummary> {
  const run = await loadRun(c.runDir, { backend: c.backend });
  try {
    const { rows, cols } = run.manifest.image;
    const input = readInputImages(c.data, rows, cols, c.split);
    log(`assigning ${input.n.toLocaleString('en-US')} images from ${input.source} to the clusters of ${run.dir} …`);
    const a = run.assign(input.images);
    const labelled = input.labels && a.label;
    const head = ['index', input.names ? 'file' : null, 'cluster', 'confidence', a.label ? 'label' : null, labelled ? 'true_label' : null].filter(Boolean);
    const lines = [head.join(',')];
    let correct = 0, conf = 0;
    for (let i = 0; i < a.n; i++) {
      const row: Array<string | number> = [i];
      if (input.names) row.push(csvField(input.names[i]!));
      row.push(a.cluster[i]!, a.confidence[i]!.toFixed(4));
      if (a.label) row.push(a.label[i]!);
      if (labelled) { row.push(input.labels![i]!); if (a.label![i] === input.labels![i]) correct++; }
      conf += a.confidence[i]!;
      lines.push(row.join(','));
    }
    const out = resolve(c.out ?? join(run.dir, 'assignments.csv'));
    writeFileSync(out, lines.join('\n') + '\n');
    return { out, n: a.n, accuracy: labelled ? correct / a.n : null, meanConfidence: a.n ? conf / a.n : 0, source: input.source };
  } finally {
    run.dispose();
  }
}

/** A CSV field, quoted when it holds a comma, a quote or a line break. */
function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
