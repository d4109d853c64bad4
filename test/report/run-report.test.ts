// The report a run rewrites after every epoch: written by a rename (no temporary file left), and a failure comes
// back as a message instead of an exception, so that it never stops the run.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRunReport } from '../../src/report/html.js';

describe('writeRunReport', () => {
  it('writes report.html atomically, mid-run (no clusters.json yet)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-rr-'));
    writeFileSync(join(dir, 'metrics.jsonl'), JSON.stringify({ kind: 'epoch', epoch: 1, 'loss/total': 3, 'cluster/sizes': [2, 1] }) + '\n');
    expect(writeRunReport(dir, 'uvhe')).toBeNull();
    expect(readdirSync(dir).sort()).toEqual(['metrics.jsonl', 'report.html']);
  });

  it('returns the failure instead of throwing, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'uvhe-rr-'));
    mkdirSync(join(dir, 'report.html')); // a directory where the file should go: the rename fails
    const msg = writeRunReport(dir, 'uvhe');
    expect(msg).toMatch(/report\.html/);
    expect(readdirSync(dir)).toEqual(['report.html']);
  });
});
