// The one seam for tfjs: the only file that imports a tfjs binding/backend package. It picks the backend the
// config asks for, verifies it is really in use, and says which one the run got.
// The union package, not tfjs-core alone: its Node bundle registers every op's gradient on the shared core
// (tfjs-core's own register_all_gradients is an ESM file Node cannot import), and brings tf.io for exports.
import * as tf from '@tensorflow/tfjs';
import { BackendError } from './errors.js';
import { simdUnavailableReason } from './cluster/kernels.js';

export type BackendChoice = 'auto' | 'gpu' | 'native-cpu' | 'simd' | 'wasm' | 'cpu';

export interface BackendInfo {
  /** what the config asked for */
  requested: BackendChoice;
  /** what the run actually got: "gpu" (tfjs-node-gpu on a CUDA device), "native-cpu" (libtensorflow), "simd" (training
   *  steps on the project's own wasm-SIMD trainer, src/train/simd/, over runtime.threads; tfjs wasm for the rest),
   *  "wasm", "cpu" */
  name: Exclude<BackendChoice, 'auto'>;
  /** tfjs's own backend name ("tensorflow", "wasm", "cpu") */
  tfBackend: string;
  /** one line for the terminal: what was tried and why it was skipped */
  note: string;
}

export { BackendError };

type Attempt = { ok: true; info: Omit<BackendInfo, 'requested' | 'note'> } | { ok: false; why: string };

/** Import an optional package without letting a missing native library print a stack trace. */
async function tryImport(pkg: string): Promise<string | null> {
  try {
    await import(pkg);
    return null;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    return /Cannot find (package|module)/.test(msg) ? `${pkg} is not installed` : `${pkg} failed to load: ${msg}`;
  }
}

async function activate(name: string): Promise<boolean> {
  // tf.setBackend returns false (it does not throw) when the backend cannot initialise.
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name;
  } catch {
    return false;
  }
}

function usingGpu(): boolean {
  // tfjs-node-gpu loads fine without a GPU and silently runs on the CPU: ask the binding which device it got.
  const b = tf.backend() as unknown as { isUsingGpuDevice?: boolean | (() => boolean) };
  const v = b.isUsingGpuDevice;
  return typeof v === 'function' ? Boolean(v.call(b)) : Boolean(v);
}

/** Set when tfjs-node-gpu loaded but found no GPU: its 'tensorflow' backend then is a native CPU backend, and
 *  importing tfjs-node as well would register a second, conflicting 'tensorflow' backend. */
let gpuPackageOnCpu = false;

async function tryGpu(): Promise<Attempt> {
  const err = await tryImport('@tensorflow/tfjs-node-gpu');
  if (err) return { ok: false, why: err };
  if (!(await activate('tensorflow'))) return { ok: false, why: 'tfjs-node-gpu backend did not initialise' };
  if (!usingGpu()) {
    gpuPackageOnCpu = true;
    return { ok: false, why: 'tfjs-node-gpu loaded but found no CUDA device' };
  }
  return { ok: true, info: { name: 'gpu', tfBackend: 'tensorflow' } };
}

async function tryNativeCpu(): Promise<Attempt> {
  if (gpuPackageOnCpu && (await activate('tensorflow'))) return { ok: true, info: { name: 'native-cpu', tfBackend: 'tensorflow' } };
  const err = await tryImport('@tensorflow/tfjs-node');
  if (err) return { ok: false, why: err };
  if (!(await activate('tensorflow'))) return { ok: false, why: 'tfjs-node backend did not initialise' };
  return { ok: true, info: { name: 'native-cpu', tfBackend: 'tensorflow' } };
}

async function tryWasm(): Promise<Attempt> {
  const err = await tryImport('@tensorflow/tfjs-backend-wasm');
  if (err) return { ok: false, why: err };
  if (!(await activate('wasm'))) return { ok: false, why: 'wasm backend did not initialise' };
  return { ok: true, info: { name: 'wasm', tfBackend: 'wasm' } };
}

async function tryCpu(): Promise<Attempt> {
  const err = await tryImport('@tensorflow/tfjs-backend-cpu');
  if (err) return { ok: false, why: err };
  if (!(await activate('cpu'))) return { ok: false, why: 'cpu backend did not initialise' };
  return { ok: true, info: { name: 'cpu', tfBackend: 'cpu' } };
}

async function trySimd(): Promise<Attempt> {
  const why = simdUnavailableReason();
  if (why) return { ok: false, why };
  // tfjs still runs everything but the training steps (evaluation, the final encoding, exports) on wasm
  const w = await tryWasm();
  return w.ok ? { ok: true, info: { name: 'simd', tfBackend: 'wasm' } } : w;
}

const ORDER: Record<BackendChoice, Array<[string, () => Promise<Attempt>]>> = {
  // auto: GPU, then libtensorflow on the CPU, then the fastest pure-npm path: the wasm-SIMD trainer on every core
  // (see docs/performance.md), then tfjs's wasm backend (XNNPACK, one thread) where SIMD or shared memory is missing.
  auto: [['gpu', tryGpu], ['native-cpu', tryNativeCpu], ['simd', trySimd], ['wasm', tryWasm], ['cpu', tryCpu]],
  gpu: [['gpu', tryGpu]],
  'native-cpu': [['native-cpu', tryNativeCpu]],
  simd: [['simd', trySimd]],
  wasm: [['wasm', tryWasm]],
  cpu: [['cpu', tryCpu]],
};

let active: BackendInfo['name'] | null = null;
/** The backend the last initBackend chose (null before any). */
export function activeBackend(): BackendInfo['name'] | null { return active; }

/** Select and verify a backend. Throws BackendError (one line) when an explicitly requested one is unavailable. */
export async function initBackend(requested: BackendChoice): Promise<BackendInfo> {
  const skipped: string[] = [];
  for (const [label, attempt] of ORDER[requested]) {
    const r = await attempt();
    if (r.ok) {
      active = r.info.name;
      const note = skipped.length ? `backend ${label} (skipped: ${skipped.join('; ')})` : `backend ${label}`;
      return { requested, ...r.info, note };
    }
    skipped.push(`${label}: ${r.why}`);
  }
  throw new BackendError(`runtime.backend=${requested} is not available: ${skipped.join('; ')}`);
}

export { tf };

/** On the wasm backend, the f32 heap and the element offset of a tensor's data, so that a hot loop can read or
 *  update it in place (the fused Adam step). null on every other backend. The heap view must be taken again
 *  after any tfjs op, because a memory grow replaces the buffer. */
export function wasmHeapF32(t: tf.Tensor): { heap: Float32Array; offset: number } | null {
  if (tf.getBackend() !== 'wasm' || t.dtype !== 'float32') return null;
  const be = tf.backend() as unknown as { wasm: { HEAPF32: Float32Array }; getMemoryOffset(id: object): number };
  return { heap: be.wasm.HEAPF32, offset: be.getMemoryOffset(t.dataId) >>> 2 };
}
