// Where WebAssembly SIMD or shared memory is missing (UVHE_NO_SIMD=1 answers as such a runtime would), auto skips
// the wasm-SIMD trainer, says why in the run's first line, and trains on tfjs wasm; asking for simd by name fails
// with one line. Through the real CLI.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyConfig } from '../failsafe/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const cli = (args: string[]): { code: number; stderr: string } => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli.ts'), ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, UVHE_NO_SIMD: '1' },
  });
  return { code: r.status ?? -1, stderr: r.stderr };
};
const tiny = (out: string): string[] => [
  ...emptyConfig(out), '--set', 'data.source=idx', '--set', `data.dir=${join(ROOT, 'test/fixtures/tiny-mnist-idx')}`,
  '--set', `outDir=${out}`, '--set', 'model.hidden=16', '--set', 'cluster.k=4', '--set', 'train.batchSize=16',
  '--set', 'train.progress=lines', '--set', 'train.epochs=1', '--set', 'name=fallback',
];

describe('no WebAssembly SIMD', () => {
  it('auto falls back to tfjs wasm and prints why', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-nosimd-'));
    const r = cli(tiny(out));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/backend wasm \(skipped: .*simd: WebAssembly SIMD is not supported \(UVHE_NO_SIMD=1\)/);
    expect(r.stderr).not.toContain('cpu trainer:');
    const rows = readFileSync(join(out, 'fallback', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const epoch = rows.find((x) => x.kind === 'epoch');
    expect(epoch?.epoch).toBe(1);
    expect(Number.isFinite(epoch?.['loss/total'] as number)).toBe(true);
  });

  it('runtime.backend=simd fails with one line naming the reason', () => {
    const out = mkdtempSync(join(tmpdir(), 'uvhe-nosimd-'));
    const r = cli([...tiny(out), '--set', 'runtime.backend=simd']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('runtime.backend=simd is not available: simd: WebAssembly SIMD is not supported (UVHE_NO_SIMD=1)');
  });
});
