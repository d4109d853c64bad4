// The CPU trainer: owns the flat weights, gradients and Adam moments in one shared memory, runs whole steps there
// (step.ts on a Team of threads), and moves weights and Adam state between that memory and the tfjs Params / Adam
// whenever the rest of the program needs them (evaluation, checkpoints, exports), so checkpoints keep one format.
import { tf } from '../../backend.js';
import { FLOAT01_LUT } from '../../data/dataset.js';
import type { ModelShape, Params } from '../../model/vhe.js';
import type { Adam } from '../adam.js';
import type { BatchBuilder, HostBatch, HostBatchInfo } from '../batch.js';
import { LOSS_KEYS, faultDue, type StepResult } from '../step.js';
import type { Rng } from '../../util/rng.js';
import { compileTrainKernels, createSharedMemory, instantiateTrainKernels, type TrainKernels } from './kernels.js';
import { planLayout, type ParamSlot, type TrainLayout } from './layout.js';
import { encodeMeans, evalForward, forwardBackward, type EvalOutputs, type StepContext, type StepOutputs } from './step.js';
import { Team } from './team.js';

export interface SimdTrainerOptions {
  shape: ModelShape;
  params: Params;
  opt: Adam;
  /** largest batch and |D| (subset rows per example) */
  maxB: number;
  subsetSize: number;
  /** threads of the team, ≥ 1 (the calling thread included) */
  threads: number;
  /** the data set's images (n×P bytes): kept in the shared memory, so that the team gathers each batch's pixels;
   *  without them (or for a BatchBuilder over other images) this thread gathers them */
  images?: Uint8Array;
  /** the team's chunk grain and whether this thread runs chunks too (team.ts TeamOptions) */
  grain?: number;
  mainTakesPart?: boolean;
  /** the largest shared memory to allocate, in bytes (default: WebAssembly's 4 GiB); when the images do not fit
   *  under it beside the weights and the batch, this thread gathers the pixels instead */
  maxMemoryBytes?: number;
  /** the first layer skips an input's all-zero rows when fewer than this fraction of them is live (default
   *  LIVE_ROW_LIMIT; 0: always the dense products, which give the same bits) */
  liveRowLimit?: number;
}

/** Above this fraction of live input rows the first layer runs dense: the skip's gathers in packing and its
 *  one-pass scan then cost about what they save. */
export const LIVE_ROW_LIMIT = 0.95;

/** WebAssembly's 32-bit memory: 65,536 pages of 64 KiB. */
const MAX_MEMORY_BYTES = 2 ** 32;

export class SimdTrainer {
  private constructor(
    readonly shape: ModelShape,
    private readonly params: Params,
    private readonly opt: Adam,
    readonly L: TrainLayout,
    private readonly k: TrainKernels,
    private readonly team: Team,
    private readonly f: Float32Array,
    private readonly host: HostBatch,
    private readonly images: Uint8Array | null,
    /** host, with the row indices the team's gather reads */
    private readonly hostIdx: HostBatch,
  ) {}

  /** SimdTrainerOptions.liveRowLimit; the bench sets it between steps to time the dense and the skipping step */
  liveRowLimit = LIVE_ROW_LIMIT;

  get threads(): number { return this.team.threads; }
  /** whether the images live in the shared memory (the team gathers each batch's pixels) */
  get imagesInMemory(): boolean { return this.images !== null; }
  /** the largest batch the memory holds */
  get maxB(): number { return this.host.inv.length; }

  /** chunks the team ran in all and on worker threads */
  get chunkCounts(): { all: number; workers: number } { return { all: this.team.chunksAll, workers: this.team.chunksAll - this.team.chunksMain }; }

  /** the step's non-finite flag (forwardBackward sets it for the weight gradients) */
  private get flag(): Int32Array { return new Int32Array(this.f.buffer, this.L.flag, 1); }
  /** the bias vectors ([n, 1]), whose gradients come from row sums rather than flagged products */
  private get biases(): ParamSlot[] { return this.L.params.filter((q) => q.cols === 1); }

  static async create(o: SimdTrainerOptions): Promise<SimdTrainer> {
    const module = await compileTrainKernels();
    const probe = instantiateTrainKernels(module, createSharedMemory(1));
    const names = Object.keys(o.params);
    const plan = (imageBytes: number): TrainLayout => planLayout({
      shape: o.shape, maxB: o.maxB, maxU: o.maxB * Math.max(1, o.subsetSize), m: Math.max(1, o.subsetSize), threads: o.threads, base: probe.heapBase(),
      params: names.map((name) => { const [rows, cols] = o.params[name].shape; return { name, rows, cols: cols ?? 1 }; }),
      packedBytes: (K, N) => probe.gemmPackedBytes(K, N), tileBytes: probe.gemmTileBytes(), imageBytes,
    });
    let L = plan(o.images?.length ?? 0);
    const images = o.images && L.end <= (o.maxMemoryBytes ?? MAX_MEMORY_BYTES) ? o.images : null;
    if (o.images && !images) L = plan(0);
    const memory = createSharedMemory(Math.ceil(L.end / 65536));
    const k = instantiateTrainKernels(module, memory);
    const team = new Team({ kernels: k, module, memory, threads: o.threads, ctl: L.ctl, packed: L.packed, tiles: L.tiles, grain: o.grain, mainTakesPart: o.mainTakesPart });
    await team.ready();
    const f = new Float32Array(memory.buffer);
    const view = (p: number, n: number): Float32Array => new Float32Array(memory.buffer, p, n);
    const s = o.shape, B = o.maxB, U = o.maxB * Math.max(1, o.subsetSize);
    const host: HostBatch = {
      xT: view(L.xT, s.pixels * B), xuT: view(L.xuT, s.pixels * U),
      mixIdx: new Int32Array(memory.buffer, L.mixIdx, B * Math.max(1, o.subsetSize)), inv: view(L.inv, B),
      epsZ: view(L.epsZ, s.zDim * B), epsC: view(L.epsC, Math.max(1, s.cDim) * B),
    };
    if (images) {
      new Uint8Array(memory.buffer, L.images, images.length).set(images);
      f.set(FLOAT01_LUT, L.lut >> 2);
    }
    const t = new SimdTrainer(o.shape, o.params, o.opt, L, k, team, f, host, images,
      { ...host, rowsIdx: new Int32Array(memory.buffer, L.rowsIdx, B), uniqIdx: new Int32Array(memory.buffer, L.uniqIdx, U) });
    t.liveRowLimit = o.liveRowLimit ?? LIVE_ROW_LIMIT;
    t.load();
    return t;
  }

  /** Weights from the tfjs variables and Adam's moments and step count into the shared memory. */
  load(): void {
    const st = this.opt.getState();
    for (const p of this.L.params) {
      const w = this.params[p.name].dataSync() as Float32Array;
      this.f.set(w, (this.L.w >> 2) + p.offset);
      this.f.set(st.m[p.name], (this.L.m >> 2) + p.offset);
      this.f.set(st.v[p.name], (this.L.v >> 2) + p.offset);
    }
    this.t = st.t;
  }

  /** Weights into the tfjs variables and Adam's state into the Adam object (before anything else reads them). */
  sync(): void {
    const m: Record<string, Float32Array> = {}, v: Record<string, Float32Array> = {};
    for (const p of this.L.params) {
      const w = this.f.subarray((this.L.w >> 2) + p.offset, (this.L.w >> 2) + p.offset + p.size);
      const vr = this.params[p.name];
      tf.tidy(() => vr.assign(tf.tensor(w, vr.shape)));
      m[p.name] = this.f.subarray((this.L.m >> 2) + p.offset, (this.L.m >> 2) + p.offset + p.size);
      v[p.name] = this.f.subarray((this.L.v >> 2) + p.offset, (this.L.v >> 2) + p.offset + p.size);
    }
    this.opt.setState({ t: this.t, m, v });
  }

  private t = 0;

  /** One training step on rows (and subsets, |X_x|): the same batch, noise and maths as train/step.ts trainStep. */
  step(builder: BatchBuilder, rows: Int32Array, subsets: Int32Array | null, m: number, setSize: Int32Array | null, rng: Rng): StepResult {
    const out = this.forwardBackward(builder, rows, subsets, m, setSize, rng);
    const loss = Float32Array.from(out.loss);
    if (faultDue()) loss[0] = NaN;
    let nonFinite: string | null = null;
    const bad = LOSS_KEYS.findIndex((_, j) => !Number.isFinite(loss[j]));
    if (bad >= 0) nonFinite = `loss term ${LOSS_KEYS[bad]} is ${loss[bad]}`;
    else if (this.flag[0] || this.biases.some((q) => this.nonFinite(q))) {
      const p = this.L.params.find((q) => this.nonFinite(q));
      nonFinite = `gradient of ${p ? p.name : '?'} is not finite`;
    }
    if (!nonFinite) this.adam();
    return { loss, codes: out.codes, rates: out.rates, klCDims: out.klCDims, nonFinite };
  }

  /** The gradients of the last step (the tests compare them with the tfjs path's), by parameter name. */
  gradients(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const p of this.L.params) out[p.name] = this.f.slice((this.L.g >> 2) + p.offset, (this.L.g >> 2) + p.offset + p.size);
    return out;
  }

  /** Forward and backward only (no Adam): loss terms and gradients of one batch. */
  lossAndGradients(builder: BatchBuilder, rows: Int32Array, subsets: Int32Array | null, m: number, setSize: Int32Array | null, rng: Rng): { loss: Float64Array; grads: Record<string, Float32Array> } {
    const out = this.forwardBackward(builder, rows, subsets, m, setSize, rng);
    return { loss: out.loss, grads: this.gradients() };
  }

  /** An evaluation batch that write() puts into the host buffers (pixels, not rows): the loss terms and each
   *  example's latent-gradient norms (step.ts evalForward). Weights and Adam state are untouched. */
  evalBatch(write: (host: HostBatch) => HostBatchInfo, m: number): EvalOutputs {
    const info = write(this.host);
    return evalForward(this.ctx(), { B: info.B, U: info.U, m, gather: false });
  }

  /** [B, dz+dc] means [μz‖μc], c = μc, of a batch that write() puts into the host buffers (pixels, not rows). */
  encode(write: (host: HostBatch) => HostBatchInfo, m: number): Float32Array {
    const info = write(this.host);
    const out = new Float32Array(info.B * (this.shape.zDim + this.shape.cDim));
    encodeMeans(this.ctx(), { B: info.B, U: info.U, m, gather: false }, out);
    return out;
  }

  private forwardBackward(builder: BatchBuilder, rows: Int32Array, subsets: Int32Array | null, m: number, setSize: Int32Array | null, rng: Rng): StepOutputs {
    if (subsets && rows.length * m > this.host.mixIdx.length) throw new Error(`cpu trainer: a batch of ${rows.length} with |D| ${m} exceeds the planned ${this.host.mixIdx.length} subset rows`);
    const gather = this.images !== null && builder.images === this.images;
    const info = builder.buildHost(rows, subsets, m, setSize, rng, gather ? this.hostIdx : this.host);
    return forwardBackward(this.ctx(), { B: info.B, U: info.U, m, gather });
  }

  /** Whether parameter q's gradient holds a NaN or ±Inf. */
  private nonFinite(q: ParamSlot): boolean {
    return this.k.anyNonFinite(this.L.g + q.offset * 4, 0, q.size) !== 0;
  }

  private ctx(): StepContext {
    return { shape: this.shape, L: this.L, team: this.team, k: this.k, f: this.f, liveLimit: this.liveRowLimit };
  }

  private adam(): void {
    const o = this.opt;
    this.t++;
    const a = o.lr / (1 - o.beta1 ** this.t), cb2 = 1 / (1 - o.beta2 ** this.t);
    this.team.adam(this.L.w, this.L.g, this.L.m, this.L.v, this.L.count, o.beta1, o.beta2, a, cb2, o.eps);
  }

  async close(): Promise<void> { await this.team.close(); }
}
