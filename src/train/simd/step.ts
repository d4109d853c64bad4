// One training step of the seed model on the CPU trainer: the maths of model/vhe.ts and model/loss.ts (the tfjs
// path is the oracle), every operation on the team (SIMD kernels split over threads by rows): the products with
// their epilogues (bias + ReLU forward; ReLU mask + bias gradient backward), the heads' bound and sampling, the
// loss and its gradients, the mean over each D as a sparse gather. This thread only orders the operations and adds
// up the loss's row sums. Feature-major as in model/layers.ts: activations [features, B], W [out, in]. The loss
// is the mean over the batch, so every per-example gradient carries 1/B. The first layer's products read only the
// input rows that are not all zero (a pixel that is 0 in every image of the batch): the skipped terms are exact
// zeros, so the results keep their bits, and the dead columns of the weight gradient are set to 0.
import type { ModelShape } from '../../model/vhe.js';
import type { TrainKernels } from './kernels.js';
import { Op } from './protocol.js';
import type { ParamSlot, TrainLayout } from './layout.js';
import type { Team } from './team.js';

/** A batch already written into the layout's input buffers (xT, xuT, mix, mixT, epsZ, epsC). */
export interface StepInputs {
  /** examples (columns) and distinct subset rows */
  B: number;
  U: number;
  /** |D| (subset rows per example; ignored in vae mode) */
  m: number;
  /** the pixels are still to be gathered from the images in the memory (rowsIdx, uniqIdx): the first operations */
  gather: boolean;
}

/** What one step reports (before Adam): see train/step.ts StepResult. */
export interface StepOutputs {
  loss: Float64Array; // [total, bce, klZ, klC, klCWeighted]
  codes: Float32Array; // [B, dz+dc]
  rates: Float32Array; // [dz+dc]
  klCDims: Float32Array; // [dc]
}

export interface StepContext {
  shape: ModelShape;
  L: TrainLayout;
  team: Team;
  k: TrainKernels;
  /** a Float32Array over the whole shared memory */
  f: Float32Array;
  /** the first layer skips an input's all-zero rows when fewer than this fraction of its rows is live (0: never) */
  liveLimit: number;
}

const F = 4; // bytes per float

/** An input's live rows: an i32 list of n row indices at byte offset `at`. */
interface LiveRows { at: number; n: number }

/** The live-row lists of xT [P, B] and xuT [P, U], by buffer, each kept only when it skips enough rows to pay for
 *  the gathers in packing (StepContext.liveLimit). Runs on this thread: one pass over the inputs. */
function liveInputs(ctx: StepContext, inp: StepInputs): Map<number, LiveRows> {
  const { L, k, shape: s } = ctx;
  const out = new Map<number, LiveRows>();
  const find = (x: number, cols: number, list: number): void => {
    if (cols <= 0 || ctx.liveLimit <= 0) return;
    const n = k.liveRows(x, s.pixels, cols, list);
    if (n < ctx.liveLimit * s.pixels) out.set(x, { at: list, n });
  };
  find(L.xT, inp.B, L.liveX);
  if (s.mode !== 'vae') find(L.xuT, inp.U, L.liveXu);
  return out;
}

/** The network's operations on the team, over the layout's buffers. */
class Net {
  private readonly slot: Map<string, ParamSlot>;
  /** ctx; the inputs' live rows by buffer: a product that reads one of those buffers skips its other rows */
  constructor(readonly ctx: StepContext, private readonly live = new Map<number, LiveRows>()) { this.slot = new Map(ctx.L.params.map((p) => [p.name, p])); }
  W(n: string): number { return this.ctx.L.w + this.slot.get(n)!.offset * F; }
  /** whether q(z|·) and p(x|·) read c (model/vhe.ts readsClassCode): their c weights exist */
  get readsC(): boolean { return this.slot.has('encZ/Wc'); }
  G(n: string): number { return this.ctx.L.g + this.slot.get(n)!.offset * F; }

  /** y [out, N] = Σ W_i·x_i + b (then ReLU): terms are [weight name, x pointer, in]; the bias and the ReLU are the
   *  last product's epilogue. */
  linear(terms: Array<[string, number, number]>, b: string, y: number, out: number, N: number, relu: boolean): void {
    terms.forEach(([w, x, inDim], i) => {
      const live = this.live.get(x);
      this.ctx.team.gemm({
        A: this.W(w), lda: inDim, B: x, ldb: N, C: y, ldc: N, M: out, N, K: live ? live.n : inDim, kIdx: live?.at, accumulate: i > 0,
        ...(i === terms.length - 1 ? { bias: this.W(b), relu } : {}),
      });
    });
  }

  /** Block-diagonal heads: y [2d, N] from h [2H, N]; rows [0, d) read h[0, H), rows [d, 2d) read h[H, 2H). Then the
   *  bias, the bound of the log-std rows into sOut [d, N] and, with eps ≠ 0, the sample out = μ + e^s·eps. */
  head(pre: string, h: number, y: number, sOut: number, eps: number, out: number, d: number, N: number): void {
    const { team, shape: s } = this.ctx, H = s.hidden, H2 = 2 * H;
    const w = this.W(`${pre}/Whead`), ws = w + (d * H2 + H) * F;
    team.gemm({ A: w, lda: H2, B: h, ldb: N, C: y, ldc: N, M: d, N, K: H });
    team.gemm({ A: ws, lda: H2, B: h + H * N * F, ldb: N, C: y + d * N * F, ldc: N, M: d, N, K: H });
    team.rows(Op.HeadOut, d, N, [y, this.W(`${pre}/bhead`), sOut, eps, out, d, N], [s.logStdBound]);
  }

  /** Gradients of a linear map from dy [out, N]: dW_i = dy·x_iᵀ (unless weights is false); dx_i = W_iᵀ·dy into dx
   *  (or added), where `relu` names the layer below's ReLU output h and its bias: dx is then masked by h > 0 and
   *  summed into that bias's gradient. Terms are [weight name, x, in, dx (0: none), accumulate, relu?]. */
  linearBack(terms: Term[], dy: number, out: number, N: number, weights = true): void {
    const { team, L } = this.ctx;
    for (const [wn, x, inDim, dx, acc, relu] of terms) {
      const live = this.live.get(x);
      if (weights) team.gemm({ A: dy, lda: N, B: x, ldb: N, transB: true, C: this.G(wn), ldc: inDim, M: out, N: live ? live.n : inDim, nIdx: live?.at, K: N, flag: L.flag });
      if (dx) team.gemm({ A: this.W(wn), lda: inDim, transA: true, B: dy, ldb: N, C: dx, ldc: N, M: inDim, N, K: out, accumulate: acc,
        ...(relu ? { mask: relu[0], rowsum: this.G(relu[1]) } : {}) });
    }
  }

  /** A head's backward from dy [2d, N]: the sample's gradient dOut (0: none) and the bound (sampleBack, which also
   *  fills dbhead), dWhead's two blocks (unless weights is false), then dh [2H, N], masked by h > 0 and summed into
   *  `bias`'s gradient when h is a ReLU output (bias ≠ ''). */
  headBack(o: { pre: string; dOut: number; s: number; eps: number; h: number; dy: number; dh: number; d: number; N: number; bias: string; weights?: boolean }): void {
    const { team, shape, L } = this.ctx, H = shape.hidden, H2 = 2 * H;
    const { pre, h, dy, dh, d, N, bias } = o;
    team.rows(Op.SampleBack, d, N, [o.dOut, o.s, o.eps, dy, this.G(`${pre}/bhead`), d, N], [shape.logStdBound]);
    const wh = this.W(`${pre}/Whead`), gw = this.G(`${pre}/Whead`), off = (d * H2 + H) * F, hs = H * N * F, dys = dy + d * N * F;
    if (o.weights ?? true) {
      team.gemm({ A: dy, lda: N, B: h, ldb: N, transB: true, C: gw, ldc: H2, M: d, N: H, K: N, flag: L.flag });
      team.gemm({ A: dys, lda: N, B: h + hs, ldb: N, transB: true, C: gw + off, ldc: H2, M: d, N: H, K: N, flag: L.flag });
    }
    const ep = (half: number) => (bias ? { mask: h + half * hs, rowsum: this.G(bias) + half * H * F } : {});
    team.gemm({ A: wh, lda: H2, transA: true, B: dy, ldb: N, C: dh, ldc: N, M: H, N, K: d, ...ep(0) });
    team.gemm({ A: wh + off, lda: H2, transA: true, B: dys, ldb: N, C: dh + hs, ldc: N, M: H, N, K: d, ...ep(1) });
  }
}
type Term = [string, number, number, number, boolean, [h: number, bias: string]?];

/** The forward pass into the layout's activations: c sampled from q(c|D) (with epsC), z from q(z|x, c), then
 *  (unless codesOnly) the prior p(z|c) and the decoder's logits. Returns the inputs' live rows for the backward. */
function forward(ctx: StepContext, inp: StepInputs, codesOnly = false): Map<number, LiveRows> {
  const { shape: s, L, team } = ctx;
  const { B, U, m } = inp;
  const P = s.pixels, H = s.hidden, H2 = 2 * H, dz = s.zDim, dc = s.cDim;
  const hasC = s.mode !== 'vae';
  if (inp.gather) {
    team.rows(Op.Gather, P, B, [L.images, L.rowsIdx, B, P, L.lut, L.xT], []);
    if (hasC && U > 0) team.rows(Op.Gather, P, U, [L.images, L.uniqIdx, U, P, L.lut, L.xuT], []);
  }
  const live = liveInputs(ctx, inp);
  const net = new Net(ctx, live);
  if (hasC) {
    net.linear([['encC/W1', L.xuT, P]], 'encC/b1', L.hu, H2, U, true);
    team.rows(Op.MixGather, H2, B * m, [L.hu, U, L.mixIdx, m, L.hbar, B], [Math.fround(1 / Math.max(1, m))]);
    net.head('encC', L.hbar, L.yc, L.sC, L.epsC, L.c, dc, B);
  }
  net.linear(net.readsC ? [['encZ/Wx', L.xT, P], ['encZ/Wc', L.c, dc]] : [['encZ/Wx', L.xT, P]], 'encZ/b1', L.hz, H2, B, true);
  net.head('encZ', L.hz, L.yz, L.sZ, L.epsZ, L.z, dz, B);
  if (codesOnly) return live;
  if (hasC) {
    net.linear([['prior/W1', L.c, dc]], 'prior/b1', L.hp, H2, B, true);
    net.head('prior', L.hp, L.yp, L.sP, 0, 0, dz, B);
  }
  net.linear(net.readsC ? [['dec/Wz', L.z, dz], ['dec/Wc', L.c, dc]] : [['dec/Wz', L.z, dz]], 'dec/b1', L.hd, H, B, true);
  net.linear([['dec/W2', L.hd, H]], 'dec/b2', L.logits, P, B, false);
  return live;
}

/** Row sums of the loss terms into rowLoss, and their gradients with respect to the logits and the (μ, s) of q(z),
 *  p(z|c) and q(c), each scaled by `scale` (1/B for the batch mean). */
function loss(ctx: StepContext, B: number, scale: number): void {
  const { shape: s, L, team } = ctx;
  const net = new Net(ctx);
  const P = s.pixels, dz = s.zDim, dc = s.cDim, hasC = s.mode !== 'vae';
  const rowBce = L.rowLoss, rowKlZ = rowBce + P * F, rowKlC = rowKlZ + dz * F, rowKlCW = rowKlC + dc * F;
  team.rows(Op.Bce, P, B, [L.logits, L.xT, L.dlogits, B, rowBce, net.G('dec/b2')], [scale]);
  team.rows(Op.KlZ, dz, B, [L.yz, L.sZ, L.yp, L.sP, L.dyz, L.dyp, dz, B, hasC ? 1 : 0, rowKlZ], [scale]);
  if (hasC) team.rows(Op.KlC, dc, B, [L.yc, L.sC, L.dyc, L.inv, dc, B, rowKlC, rowKlCW], [scale]);
}

/** Forward and backward: fills the gradient block and returns the loss terms, codes and rates. Sets the layout's
 *  flag to 1 when a weight gradient is not finite (the bias gradients are left to the caller to check). */
export function forwardBackward(ctx: StepContext, inp: StepInputs): StepOutputs {
  const { shape: s, L, f } = ctx;
  const { B, U, m } = inp;
  const P = s.pixels, H = s.hidden, H2 = 2 * H, dz = s.zDim, dc = s.cDim;
  const hasC = s.mode !== 'vae';
  new Int32Array(f.buffer, L.flag, 1)[0] = 0;
  const net = new Net(ctx, forward(ctx, inp));
  loss(ctx, B, Math.fround(1 / B));

  net.linearBack([['dec/W2', L.hd, H, L.dhd, false, [L.hd, 'dec/b1']]], L.dlogits, P, B);
  // dc: written by the first of the decoder, q(z|·) and p(z|c) that reads c, added to by the others
  const readC = net.readsC;
  net.linearBack(readC ? [['dec/Wz', L.z, dz, L.dz, false], ['dec/Wc', L.c, dc, L.dc, false]] : [['dec/Wz', L.z, dz, L.dz, false]], L.dhd, H, B);
  net.headBack({ pre: 'encZ', dOut: L.dz, s: L.sZ, eps: L.epsZ, h: L.hz, dy: L.dyz, dh: L.dhz, d: dz, N: B, bias: 'encZ/b1' });
  if (hasC) {
    net.linearBack(readC ? [['encZ/Wx', L.xT, P, 0, false], ['encZ/Wc', L.c, dc, L.dc, true]] : [['encZ/Wx', L.xT, P, 0, false]], L.dhz, H2, B);
    net.headBack({ pre: 'prior', dOut: 0, s: L.sP, eps: 0, h: L.hp, dy: L.dyp, dh: L.dhp, d: dz, N: B, bias: 'prior/b1' });
    net.linearBack([['prior/W1', L.c, dc, L.dc, readC]], L.dhp, H2, B);
    net.headBack({ pre: 'encC', dOut: L.dc, s: L.sC, eps: L.epsC, h: L.hbar, dy: L.dyc, dh: L.dhbar, d: dc, N: B, bias: '' });
    ctx.team.rows(Op.MixScatter, H2, B * m, [L.dhbar, B, L.mixIdx, m, L.dhu, L.hu, U, net.G('encC/b1')], [Math.fround(1 / Math.max(1, m))]);
    net.linearBack([['encC/W1', L.xuT, P, 0, false]], L.dhu, H2, U);
  } else {
    net.linearBack([['encZ/Wx', L.xT, P, 0, false]], L.dhz, H2, B);
  }

  // what the step reports: loss terms as sums of the kernels' row sums, in row order
  const t = lossSums(ctx, B);
  const codes = new Float32Array(B * (dz + dc));
  readCodes(ctx, B, codes);
  return { loss: t.loss, codes, rates: t.rates, klCDims: t.klCDims };
}

/** The loss terms (batch means) from the row sums, the per-dimension rates [dz+dc] and KL(c) per dimension [dc]. */
function lossSums(ctx: StepContext, B: number): { loss: Float64Array; rates: Float32Array; klCDims: Float32Array } {
  const { shape: s, L, f } = ctx;
  const P = s.pixels, dz = s.zDim, dc = s.cDim, hasC = s.mode !== 'vae';
  const rowBce = L.rowLoss, rowKlZ = rowBce + P * F, rowKlC = rowKlZ + dz * F, rowKlCW = rowKlC + dc * F;
  const sum = (p: number, n: number, into?: Float32Array, scale = 1): number => {
    let t = 0;
    for (let i = 0; i < n; i++) { const v = f[(p >> 2) + i]; t += v; if (into) into[i] = v * scale; }
    return t;
  };
  const rates = new Float32Array(dz + dc), klCDims = new Float32Array(dc);
  const bce = sum(rowBce, P), klZ = sum(rowKlZ, dz, rates, 1 / B);
  const klC = hasC ? sum(rowKlC, dc, klCDims, 1 / B) : 0;
  const klCW = hasC ? sum(rowKlCW, dc, rates.subarray(dz), 1 / B) : 0;
  return { loss: Float64Array.from([bce + klZ + klCW, bce, klZ, klC, klCW], (v) => v / B), rates, klCDims };
}

/** The means [μz‖μc] of the last forward as B rows of dz+dc into out. */
function readCodes(ctx: StepContext, B: number, out: Float32Array): void {
  const { shape: s, L, f } = ctx;
  const dz = s.zDim, dc = s.cDim, d = dz + dc, mz = L.yz >> 2, mc = L.yc >> 2;
  for (let j = 0; j < dz; j++) for (let b = 0; b < B; b++) out[b * d + j] = f[mz + j * B + b];
  for (let j = 0; j < dc; j++) for (let b = 0; b < B; b++) out[b * d + dz + j] = f[mc + j * B + b];
}

/** What an evaluation batch reports: the loss terms (batch means) and each example's ‖∂L_i/∂z_i‖, ‖∂L_i/∂c_i‖ ([B];
 *  gc null in vae mode). */
export interface EvalOutputs { loss: Float64Array; gz: Float32Array; gc: Float32Array | null }

/** Forward, loss, and the gradients of each example's own loss with respect to its sampled z and c, the encoders'
 *  outputs held fixed (evaluate.ts latentGradNorms): through the decoder, and for c through the prior p(z|c).
 *  No weight gradient is formed; the gradient block is scratch here. */
export function evalForward(ctx: StepContext, inp: StepInputs): EvalOutputs {
  const { shape: s, L, f } = ctx;
  const { B } = inp;
  const net = new Net(ctx);
  const P = s.pixels, H = s.hidden, H2 = 2 * H, dz = s.zDim, dc = s.cDim;
  const hasC = s.mode !== 'vae';
  forward(ctx, inp);
  loss(ctx, B, 1); // per-example gradients: scale 1
  net.linearBack([['dec/W2', L.hd, H, L.dhd, false, [L.hd, 'dec/b1']]], L.dlogits, P, B, false);
  net.linearBack(net.readsC ? [['dec/Wz', L.z, dz, L.dz, false], ['dec/Wc', L.c, dc, L.dc, false]] : [['dec/Wz', L.z, dz, L.dz, false]], L.dhd, H, B, false);
  if (hasC) {
    net.headBack({ pre: 'prior', dOut: 0, s: L.sP, eps: 0, h: L.hp, dy: L.dyp, dh: L.dhp, d: dz, N: B, bias: 'prior/b1', weights: false });
    net.linearBack([['prior/W1', L.c, dc, L.dc, net.readsC]], L.dhp, H2, B, false);
  }
  const norms = (p: number, d: number): Float32Array => {
    const out = new Float32Array(B), at = p >> 2;
    for (let b = 0; b < B; b++) { let t = 0; for (let j = 0; j < d; j++) { const v = f[at + j * B + b]; t += v * v; } out[b] = Math.sqrt(t); }
    return out;
  };
  return { loss: lossSums(ctx, B).loss, gz: norms(L.dz, dz), gc: hasC ? norms(L.dc, dc) : null };
}

/** The encoders only, with c = μc (epsC is zeroed): out [B, dz+dc] ← [μz‖μc], z's mean given c's mean. */
export function encodeMeans(ctx: StepContext, inp: StepInputs, out: Float32Array): void {
  const { shape: s, L, f } = ctx;
  f.fill(0, L.epsC >> 2, (L.epsC >> 2) + Math.max(1, s.cDim) * inp.B);
  forward(ctx, inp, true);
  readCodes(ctx, inp.B, out);
}
