// The PyTorch baseline of the train-step bench: starts bench/pytorch-step.py (the seed's model in plain PyTorch)
// with a given thread count and times its steps one request at a time. PyTorch is optional: where no Python with
// torch is found, startPyTorch says why and returns null, and the bench leaves the PyTorch rows out.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

export type PyTorchVariant = 'shared' | 'per-x';

export interface PyTorchStep {
  version: string;
  /** One training step; resolves to its wall milliseconds as the script measured them. */
  step(variant: PyTorchVariant, batch: number, subset: number): Promise<number>;
  close(): void;
}

/** The interpreters tried in order: BENCH_PYTHON, else `python3` on the PATH and Debian's (where apt's
 *  python3-torch lives when another python3 comes first on the PATH). */
function candidates(): string[] {
  return process.env.BENCH_PYTHON ? [process.env.BENCH_PYTHON] : ['python3', '/usr/bin/python3'];
}

/** One Python process per thread count: OpenBLAS reads its thread count when it loads. The products run on
 *  `threads` OpenBLAS threads and PyTorch's own elementwise pool (OpenMP) on one: with both pools at 2 threads on
 *  2 cores their waiting threads spin against each other, and the step takes twice as long as on one thread. */
export async function startPyTorch(threads: number): Promise<PyTorchStep | null> {
  const reasons: string[] = [];
  for (const python of candidates()) {
    const r = await tryStart(python, threads);
    if (typeof r !== 'string') return r;
    reasons.push(`${python}: ${r}`);
  }
  console.log(`train-step: PyTorch rows skipped (${reasons.join('; ')}; on Debian: apt-get install python3-torch libopenblas0-pthread)`);
  return null;
}

function tryStart(python: string, threads: number): Promise<PyTorchStep | string> {
  // OpenBLAS's idle threads sleep at once (2^4 cycles) instead of spinning for 2^28, which would take a core from
  // the simd step timed next
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: String(threads), OPENBLAS_THREAD_TIMEOUT: '4' };
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(python, [new URL('./pytorch-step.py', import.meta.url).pathname], { env });
  } catch (e) {
    return Promise.resolve((e as Error).message);
  }
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  return new Promise((resolve) => {
    const fail = (why: string): void => resolve(why);
    child.on('error', (e) => fail(e.message));
    child.on('exit', (code) => {
      const last = stderr.trim().split('\n').pop() ?? '';
      fail(`exited with code ${code}${last ? `: ${last}` : ''}`);
      for (const w of waiting.splice(0)) w('{"ms": null}');
    });
    waiting.push((first) => {
      const version = String((JSON.parse(first) as { torch: string }).torch);
      resolve({
        version,
        step: (variant, batch, subset) => new Promise((res) => {
          waiting.push((line) => res((JSON.parse(line) as { ms: number | null }).ms ?? NaN));
          child.stdin.write(JSON.stringify({ variant, batch, subset }) + '\n');
        }),
        close: () => { child.stdin.end(); },
      });
    });
  });
}
