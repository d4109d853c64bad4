// Shared by the fail-safe tests that run the real CLI as a child process (signals, kills).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURE = join(ROOT, 'test/fixtures/tiny-mnist-idx');

/** `--config <dir>/empty-config.json` (written once): without it the CLI reads the repository's run.json, the
 *  default run (edited by others, e.g. its cluster.refit), and a test would depend on it. */
export function emptyConfig(dir: string): string[] {
  const cfg = join(dir, 'empty-config.json');
  if (!existsSync(cfg)) writeFileSync(cfg, '{}');
  return ['--config', cfg];
}

/** --set args for a run on the tiny fixture (60 train / 20 test), written to out/name, plus extra key=value pairs. */
export function tinyArgs(out: string, name: string, extra: string[] = []): string[] {
  const sets = [
    'data.source=idx', `data.dir=${FIXTURE}`, `outDir=${out}`, `name=${name}`, 'runtime.backend=wasm',
    'train.progress=lines', 'model.hidden=16', 'cluster.k=4', ...extra,
  ];
  return [...emptyConfig(out), ...sets.flatMap((s) => ['--set', s])];
}

const NODE_ARGS = ['--import', 'tsx', join(ROOT, 'src/cli.ts')];

/** The CLI as a child process; stderr collected. */
export interface Child {
  proc: ChildProcess;
  stderr: () => string;
  /** resolves with the exit code (or 128 + signal number when killed by a signal) and the ms since spawn */
  exited: Promise<{ code: number; signal: NodeJS.Signals | null; ms: number }>;
}

export function startCli(args: string[], env: Record<string, string> = {}): Child {
  const t0 = performance.now();
  const proc = spawn(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (s: string) => { err += s; });
  const exited = new Promise<{ code: number; signal: NodeJS.Signals | null; ms: number }>((res) => {
    proc.on('exit', (code, signal) => res({ code: code ?? -1, signal, ms: performance.now() - t0 }));
  });
  return { proc, stderr: () => err, exited };
}

/** Runs the CLI to the end (synchronously); `env` adds variables (e.g. UVHE_FAULT). */
export function runCli(args: string[], timeoutMs = 120_000, env: Record<string, string> = {}): { code: number; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stderr: r.stderr };
}

/** Polls cond every few ms until it holds; throws after timeoutMs (or when the child has exited). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 60_000, child?: Child): Promise<void> {
  const t0 = performance.now();
  let done = false;
  void child?.exited.then(() => { done = true; });
  while (!cond()) {
    if (done) throw new Error(`the CLI exited while waiting for ${what}: ${child!.stderr().slice(-500)}`);
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Complete lines of metrics.jsonl (0 when absent). */
export function metricsLines(dir: string): string[] {
  const p = join(dir, 'metrics.jsonl');
  if (!existsSync(p)) return [];
  const text = readFileSync(p, 'utf8');
  return text.split('\n').slice(0, -1).filter((l) => l.trim() !== '');
}

/** Every line of metrics.jsonl parses as JSON; returns them. */
export function parseMetrics(dir: string): Array<Record<string, unknown>> {
  const text = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  return text.split('\n').filter((l) => l.trim() !== '').map((l, i) => {
    try { return JSON.parse(l) as Record<string, unknown>; } catch { throw new Error(`metrics.jsonl line ${i + 1} does not parse: ${l.slice(0, 200)}`); }
  });
}

/** A seeded xorshift32 stream in [0, 1). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 2 ** 32; };
}

/** The lines of a CLI's stderr that start with "error:" (a refusal is exactly one). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('error:'));
}

/** Every file under dir (relative path → size, mtime and a hash of the bytes), to show that a command changed nothing. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name), r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { out[r + '/'] = 'dir'; walk(p, r); continue; }
      const st = statSync(p);
      out[r] = `${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir, '');
  return out;
}
