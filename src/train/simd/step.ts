// One training step of the seed model on the CPU trainer: the maths of model/vhe.ts and model/loss.ts (the tfjs
// path is the oracle), every operation on the team (SIMD kernels split over threads by rows): the products with
// their epilogues (bias + ReLU forward; ReLU mask + bias gradient backward), the heads' bound and sampling, the
// loss and its gradients, the mean over each D as a sparse gather. This thread only orders the operations and adds
// up the loss's row sums. Feature-major as in model/layers.ts: activations [features, B], W [out, in]. The loss
// is the mean over the batch, so every per-example gradient carries 1/B.
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
}

/** Forward and backward: fills the gradient block and returns the loss terms, codes and rates. Sets the layout's
 *  flag to 1 when a weight gradient is not finite (the bias gradients are left to the caller to check). */
export function forwardBackward(ctx: StepContext, inp: StepInputs): StepOutputs {
  const { shape: s, L, team, f } = ctx;
  const { B, U, m } = inp;
  const P = s.pixels, H = s.hidden, H2 = 2 * H, dz = s.zDim, dc = s.cDim, Lb = s.logStdBound;
  const hasC = s.mode !== 'vae';
  const slot = new Map<string, ParamSlot>(L.params.map((p) => [p.name, p]));
  const W = (n: string): number => L.w + slot.get(n)!.offset * 4;
  const G = (n: string): number => L.g + slot.get(n)!.offset * 4;
  const flag = L.flag;
  new Int32Array(f.buffer, flag, 1)[0] = 0;
  const F = 4; // bytes per float

  /** y [out, N] = Σ W_i·x_i + b (then ReLU): terms are [weight name, x pointer, in]; the bias and the ReLU are the
   *  last product's epilogue. */
  const linear = (terms: Array<[string, number, number]>, b: string, y: number, out: number, N: number, relu: boolean): void => {
    terms.forEach(([w, x, inDim], i) => team.gemm({
      A: W(w), lda: inDim, B: x, ldb: N, C: y, ldc: N, M: out, N, K: inDim, accumulate: i > 0,
      ...(i === terms.length - 1 ? { bias: W(b), relu } : {}),
    }));
  };
  /** Block-diagonal heads: y [2d, N] from h [2H, N]; rows [0, d) read h[0, H), rows [d, 2d) read h[H, 2H). Then the
   *  bias, the bound of the log-std rows into sOut [d, N] and, with eps ≠ 0, the sample out = μ + e^s·eps. */
  const head = (pre: string, h: number, y: number, sOut: number, eps: number, out: number, d: number, N: number): void => {
    const w = W(`${pre}/Whead`), ws = w + (d * H2 + H) * F;
    team.gemm({ A: w, lda: H2, B: h, ldb: N, C: y, ldc: N, M: d, N, K: H });
    team.gemm({ A: ws, lda: H2, B: h + H * N * F, ldb: N, C: y + d * N * F, ldc: N, M: d, N, K: H });
    team.rows(Op.HeadOut, d, N, [y, W(`${pre}/bhead`), sOut, eps, out, d, N], [Lb]);
  };
  const w = Math.fround(1 / Math.max(1, m));

  // ---- forward
  if (inp.gather) {
    team.rows(Op.Gather, P, B, [L.images, L.rowsIdx, B, P, L.lut, L.xT], []);
    if (hasC && U > 0) team.rows(Op.Gather, P, U, [L.images, L.uniqIdx, U, P, L.lut, L.xuT], []);
  }
  if (hasC) {
    linear([['encC/W1', L.xuT, P]], 'encC/b1', L.hu, H2, U, true);
    team.rows(Op.MixGather, H2, B * m, [L.hu, U, L.mixIdx, m, L.hbar, B], [w]);
    head('encC', L.hbar, L.yc, L.sC, L.epsC, L.c, dc, B);
    linear([['encZ/Wx', L.xT, P], ['encZ/Wc', L.c, dc]], 'encZ/b1', L.hz, H2, B, true);
  } else {
    linear([['encZ/Wx', L.xT, P]], 'encZ/b1', L.hz, H2, B, true);
  }
  head('encZ', L.hz, L.yz, L.sZ, L.epsZ, L.z, dz, B);
  if (hasC) {
    linear([['prior/W1', L.c, dc]], 'prior/b1', L.hp, H2, B, true);
    head('prior', L.hp, L.yp, L.sP, 0, 0, dz, B);
    linear([['dec/Wz', L.z, dz], ['dec/Wc', L.c, dc]], 'dec/b1', L.hd, H, B, true);
  } else {
    linear([['dec/Wz', L.z, dz]], 'dec/b1', L.hd, H, B, true);
  }
  linear([['dec/W2', L.hd, H]], 'dec/b2', L.logits, P, B, false);

  // ---- loss (row sums) and its gradients with respect to logits, (μ, s) of q(z), p(z|c) and q(c)
  const invB = Math.fround(1 / B);
  const rowBce = L.rowLoss, rowKlZ = rowBce + P * F, rowKlC = rowKlZ + dz * F, rowKlCW = rowKlC + dc * F;
  team.rows(Op.Bce, P, B, [L.logits, L.xT, L.dlogits, B, rowBce, G('dec/b2')], [invB]);
  team.rows(Op.KlZ, dz, B, [L.yz, L.sZ, L.yp, L.sP, L.dyz, L.dyp, dz, B, hasC ? 1 : 0, rowKlZ], [invB]);
  if (hasC) team.rows(Op.KlC, dc, B, [L.yc, L.sC, L.dyc, L.inv, dc, B, rowKlC, rowKlCW], [invB]);

  // ---- backward
  /** Gradients of a linear map from dy [out, N]: dW_i = dy·x_iᵀ; dx_i = W_iᵀ·dy into dx (or added), where `relu`
   *  names the layer below's ReLU output h and its bias: dx is then masked by h > 0 and summed into that bias's
   *  gradient. Terms are [weight name, x, in, dx (0: none), accumulate, relu?]. */
  type Term = [string, number, number, number, boolean, [h: number, bias: string]?];
  const linearBack = (terms: Term[], dy: number, out: number, N: number): void => {
    for (const [wn, x, inDim, dx, acc, relu] of terms) {
      team.gemm({ A: dy, lda: N, B: x, ldb: N, transB: true, C: G(wn), ldc: inDim, M: out, N: inDim, K: N, flag });
      if (dx) team.gemm({ A: W(wn), lda: inDim, transA: true, B: dy, ldb: N, C: dx, ldc: N, M: inDim, N, K: out, accumulate: acc,
        ...(relu ? { mask: relu[0], rowsum: G(relu[1]) } : {}) });
    }
  };
  /** A head's backward from dy [2d, N]: the sample's gradient dOut (0: none) and the bound (sampleBack, which also
   *  fills dbhead), dWhead's two blocks, then dh [2H, N], masked by h > 0 and summed into `bias`'s gradient when h
   *  is a ReLU output (bias ≠ ''). */
  const headBack = (pre: string, dOut: number, sPtr: number, eps: number, h: number, dy: number, dh: number, d: number, N: number, bias: string): void => {
    team.rows(Op.SampleBack, d, N, [dOut, sPtr, eps, dy, G(`${pre}/bhead`), d, N], [Lb]);
    const wh = W(`${pre}/Whead`), gw = G(`${pre}/Whead`), off = (d * H2 + H) * F, hs = H * N * F, dys = dy + d * N * F;
    team.gemm({ A: dy, lda: N, B: h, ldb: N, transB: true, C: gw, ldc: H2, M: d, N: H, K: N, flag });
    team.gemm({ A: dys, lda: N, B: h + hs, ldb: N, transB: true, C: gw + off, ldc: H2, M: d, N: H, K: N, flag });
    const ep = (half: number) => (bias ? { mask: h + half * hs, rowsum: G(bias) + half * H * F } : {});
    team.gemm({ A: wh, lda: H2, transA: true, B: dy, ldb: N, C: dh, ldc: N, M: H, N, K: d, ...ep(0) });
    team.gemm({ A: wh + off, lda: H2, transA: true, B: dys, ldb: N, C: dh + hs, ldc: N, M: H, N, K: d, ...ep(1) });
  };

  linearBack([['dec/W2', L.hd, H, L.dhd, false, [L.hd, 'dec/b1']]], L.dlogits, P, B);
  linearBack(hasC ? [['dec/Wz', L.z, dz, L.dz, false], ['dec/Wc', L.c, dc, L.dc, false]] : [['dec/Wz', L.z, dz, L.dz, false]], L.dhd, H, B);
  headBack('encZ', L.dz, L.sZ, L.epsZ, L.hz, L.dyz, L.dhz, dz, B, 'encZ/b1');
  if (hasC) {
    linearBack([['encZ/Wx', L.xT, P, 0, false], ['encZ/Wc', L.c, dc, L.dc, true]], L.dhz, H2, B);
    headBack('prior', 0, L.sP, 0, L.hp, L.dyp, L.dhp, dz, B, 'prior/b1');
    linearBack([['prior/W1', L.c, dc, L.dc, true]], L.dhp, H2, B);
    headBack('encC', L.dc, L.sC, L.epsC, L.hbar, L.dyc, L.dhbar, dc, B, '');
    team.rows(Op.MixScatter, H2, B * m, [L.dhbar, B, L.mixIdx, m, L.dhu, L.hu, U, G('encC/b1')], [w]);
    linearBack([['encC/W1', L.xuT, P, 0, false]], L.dhu, H2, U);
  } else {
    linearBack([['encZ/Wx', L.xT, P, 0, false]], L.dhz, H2, B);
  }

  // ---- what the step reports: loss terms as sums of the kernels' row sums, in row order
  const sum = (p: number, n: number, into?: Float32Array, scale = 1): number => {
    let t = 0;
    for (let i = 0; i < n; i++) { const v = f[(p >> 2) + i]; t += v; if (into) into[i] = v * scale; }
    return t;
  };
  const dCode = dz + dc;
  const rates = new Float32Array(dCode), klCDims = new Float32Array(dc);
  const bce = sum(rowBce, P), klZ = sum(rowKlZ, dz, rates, 1 / B);
  const klC = hasC ? sum(rowKlC, dc, klCDims, 1 / B) : 0;
  const klCW = hasC ? sum(rowKlCW, dc, rates.subarray(dz), 1 / B) : 0;
  const loss = Float64Array.from([bce + klZ + klCW, bce, klZ, klC, klCW], (v) => v / B);
  const codes = new Float32Array(B * dCode);
  const mz = L.yz >> 2, mc = L.yc >> 2;
  for (let j = 0; j < dz; j++) for (let b = 0; b < B; b++) codes[b * dCode + j] = f[mz + j * B + b];
  for (let j = 0; j < dc; j++) for (let b = 0; b < B; b++) codes[b * dCode + dz + j] = f[mc + j * B + b];
  return { loss, codes, rates, klCDims };
}
