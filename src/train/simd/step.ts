// One training step of the seed model on the CPU trainer: the maths of model/vhe.ts and model/loss.ts (the tfjs
// path is the oracle), with every matrix product on the team (SIMD, split over threads) and the small
// elementwise maps on this thread. Feature-major as in model/layers.ts: activations [features, B], W [out, in].
// The loss is the mean over the batch, so every per-example gradient carries 1/B.
import type { ModelShape } from '../../model/vhe.js';
import type { TrainKernels } from './kernels.js';
import type { ParamSlot, TrainLayout } from './layout.js';
import type { Team } from './team.js';

/** A batch already written into the layout's input buffers (xT, xuT, mix, mixT, epsZ, epsC). */
export interface StepInputs {
  /** examples (columns) and distinct subset rows */
  B: number;
  U: number;
  /** [B] 1/|X_x| (ignored in vae mode) */
  invSetSize: Float32Array | null;
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

/** Forward and backward: fills the gradient block and returns the loss terms, codes and rates. */
export function forwardBackward(ctx: StepContext, inp: StepInputs): StepOutputs {
  const { shape: s, L, team, k, f } = ctx;
  const { B, U } = inp;
  const P = s.pixels, H = s.hidden, H2 = 2 * H, dz = s.zDim, dc = s.cDim, Lb = s.logStdBound;
  const hasC = s.mode !== 'vae';
  const slot = new Map<string, ParamSlot>(L.params.map((p) => [p.name, p]));
  const W = (n: string): number => L.w + slot.get(n)!.offset * 4;
  const G = (n: string): number => L.g + slot.get(n)!.offset * 4;

  /** y [out, N] = Σ W_i·x_i (+ b, then ReLU): terms are [weight name, x pointer, in]. */
  const linear = (terms: Array<[string, number, number]>, b: string, y: number, out: number, N: number, relu: boolean): void => {
    terms.forEach(([w, x, inDim], i) => team.gemm({ A: W(w), lda: inDim, B: x, ldb: N, C: y, ldc: N, M: out, N, K: inDim, accumulate: i > 0 }));
    team.biasAct(y, W(b), out, N, relu);
  };
  /** Block-diagonal heads: y [2d, N] from h [2H, N]; rows [0, d) read h[0, H), rows [d, 2d) read h[H, 2H). Then the
   *  log-std rows are bounded into sOut [d, N]. */
  const head = (pre: string, h: number, y: number, sOut: number, d: number, N: number): void => {
    const w = W(`${pre}/Whead`), ws = w + (d * H2 + H) * 4;
    team.gemm({ A: w, lda: H2, B: h, ldb: N, C: y, ldc: N, M: d, N, K: H });
    team.gemm({ A: ws, lda: H2, B: h + H * N * 4, ldb: N, C: y + d * N * 4, ldc: N, M: d, N, K: H });
    team.biasAct(y, W(`${pre}/bhead`), 2 * d, N, false);
    const r = (y >> 2) + d * N, so = sOut >> 2;
    for (let i = 0; i < d * N; i++) f[so + i] = Lb * Math.tanh(f[r + i] / Lb);
  };
  /** out = mu + e^s · eps over n elements. */
  const sample = (mu: number, sPtr: number, eps: number, out: number, n: number): void => {
    const m = mu >> 2, sp = sPtr >> 2, e = eps >> 2, o = out >> 2;
    for (let i = 0; i < n; i++) f[o + i] = f[m + i] + Math.exp(f[sp + i]) * f[e + i];
  };

  // ---- forward
  if (hasC) {
    linear([['encC/W1', L.xuT, P]], 'encC/b1', L.hu, H2, U, true);
    team.gemm({ A: L.hu, lda: U, B: L.mixT, ldb: B, C: L.hbar, ldc: B, M: H2, N: B, K: U });
    head('encC', L.hbar, L.yc, L.sC, dc, B);
    sample(L.yc, L.sC, L.epsC, L.c, dc * B);
    linear([['encZ/Wx', L.xT, P], ['encZ/Wc', L.c, dc]], 'encZ/b1', L.hz, H2, B, true);
  } else {
    linear([['encZ/Wx', L.xT, P]], 'encZ/b1', L.hz, H2, B, true);
  }
  head('encZ', L.hz, L.yz, L.sZ, dz, B);
  sample(L.yz, L.sZ, L.epsZ, L.z, dz * B);
  if (hasC) {
    linear([['prior/W1', L.c, dc]], 'prior/b1', L.hp, H2, B, true);
    head('prior', L.hp, L.yp, L.sP, dz, B);
    linear([['dec/Wz', L.z, dz], ['dec/Wc', L.c, dc]], 'dec/b1', L.hd, H, B, true);
  } else {
    linear([['dec/Wz', L.z, dz]], 'dec/b1', L.hd, H, B, true);
  }
  linear([['dec/W2', L.hd, H]], 'dec/b2', L.logits, P, B, false);

  // ---- loss and its gradients with respect to logits, (μ, s) of q(z), p(z|c) and q(c)
  const bce = new Float64Array(B), klZ = new Float64Array(B), klC = new Float64Array(B);
  const rateZ = new Float64Array(dz), rateC = new Float64Array(dc), klCD = new Float64Array(dc);
  const invB = 1 / B;
  {
    const lg = L.logits >> 2, x = L.xT >> 2, dl = L.dlogits >> 2;
    for (let p = 0, i = 0; p < P; p++) {
      for (let b = 0; b < B; b++, i++) {
        const l = f[lg + i], xi = f[x + i];
        const e = Math.exp(-Math.abs(l));
        bce[b] += Math.max(l, 0) + Math.log1p(e) - xi * l;
        const sig = l >= 0 ? 1 / (1 + e) : e / (1 + e);
        f[dl + i] = (sig - xi) * invB;
      }
    }
  }
  {
    // KL(q(z) ‖ p(z|c)), or ‖ N(0, I) in vae mode; dμ_q, ds_q go to dyz's two halves, dμ_p, ds_p to dyp's
    const mq = L.yz >> 2, sq = L.sZ >> 2, gmq = L.dyz >> 2, gsq = gmq + dz * B;
    const mp = L.yp >> 2, sp = L.sP >> 2, gmp = L.dyp >> 2, gsp = gmp + dz * B;
    for (let j = 0, i = 0; j < dz; j++) {
      for (let b = 0; b < B; b++, i++) {
        const muq = f[mq + i], sQ = f[sq + i], vq = Math.exp(2 * sQ);
        let kl: number;
        if (hasC) {
          const diff = muq - f[mp + i], sP = f[sp + i], ivp = Math.exp(-2 * sP), t = (vq + diff * diff) * ivp;
          kl = sP - sQ - 0.5 + 0.5 * t;
          f[gmq + i] = diff * ivp * invB; f[gsq + i] = (vq * ivp - 1) * invB;
          f[gmp + i] = -diff * ivp * invB; f[gsp + i] = (1 - t) * invB;
        } else {
          kl = 0.5 * (vq + muq * muq) - sQ - 0.5;
          f[gmq + i] = muq * invB; f[gsq + i] = (vq - 1) * invB;
        }
        klZ[b] += kl; rateZ[j] += kl;
      }
    }
  }
  if (hasC) {
    // KL(q(c|D) ‖ N(0, I)), weighted by 1/|X_x| in the objective
    const inv = inp.invSetSize!;
    const mq = L.yc >> 2, sq = L.sC >> 2, gm = L.dyc >> 2, gs = gm + dc * B;
    for (let j = 0, i = 0; j < dc; j++) {
      for (let b = 0; b < B; b++, i++) {
        const mu = f[mq + i], sC = f[sq + i], vq = Math.exp(2 * sC);
        const kl = 0.5 * (vq + mu * mu) - sC - 0.5;
        klC[b] += kl; klCD[j] += kl; rateC[j] += kl * inv[b];
        f[gm + i] = mu * inv[b] * invB; f[gs + i] = (vq - 1) * inv[b] * invB;
      }
    }
  }

  // ---- backward
  /** Gradients of a linear map from dy [out, N]: dW_i = dy·x_iᵀ, db = row sums, dx_i = W_iᵀ·dy (into dx, or added). */
  const linearBack = (terms: Array<[string, number, number, number, boolean]>, b: string, dy: number, out: number, N: number): void => {
    for (const [w, x, inDim, dx, acc] of terms) {
      team.gemm({ A: dy, lda: N, B: x, ldb: N, transB: true, C: G(w), ldc: inDim, M: out, N: inDim, K: N });
      if (dx) team.gemm({ A: W(w), lda: inDim, transA: true, B: dy, ldb: N, C: dx, ldc: N, M: inDim, N, K: out, accumulate: acc });
    }
    k.rowSums(dy, N, 0, out, G(b));
  };
  /** Gradients of the heads from dy [2d, N] (dμ rows, then d(raw log-std) rows): dWhead's two blocks, dbhead, dh [2H, N]. */
  const headBack = (pre: string, h: number, dy: number, dh: number, d: number, N: number): void => {
    const w = W(`${pre}/Whead`), gw = G(`${pre}/Whead`), off = (d * H2 + H) * 4, hs = h + H * N * 4, dys = dy + d * N * 4;
    team.gemm({ A: dy, lda: N, B: h, ldb: N, transB: true, C: gw, ldc: H2, M: d, N: H, K: N });
    team.gemm({ A: dys, lda: N, B: hs, ldb: N, transB: true, C: gw + off, ldc: H2, M: d, N: H, K: N });
    k.rowSums(dy, N, 0, 2 * d, G(`${pre}/bhead`));
    team.gemm({ A: w, lda: H2, transA: true, B: dy, ldb: N, C: dh, ldc: N, M: H, N, K: d });
    team.gemm({ A: w + off, lda: H2, transA: true, B: dys, ldb: N, C: dh + H * N * 4, ldc: N, M: H, N, K: d });
  };
  /** A reparametrised sample's gradient dOut flows into dμ (added) and ds (added: dOut·e^s·eps); then the bound:
   *  d raw = ds·(1 − (s/L)²). dy: [2d, N] with dμ rows then ds rows. */
  const sampleBack = (dOut: number | null, sPtr: number, eps: number, dy: number, n: number): void => {
    const g = dOut === null ? -1 : dOut >> 2, sp = sPtr >> 2, e = eps >> 2, gm = dy >> 2, gs = gm + n;
    for (let i = 0; i < n; i++) {
      const sv = f[sp + i];
      let ds = f[gs + i];
      if (g >= 0) { const go = f[g + i]; f[gm + i] += go; ds += go * Math.exp(sv) * f[e + i]; }
      const t = sv / Lb;
      f[gs + i] = ds * (1 - t * t);
    }
  };

  linearBack([['dec/W2', L.hd, H, L.dhd, false]], 'dec/b2', L.dlogits, P, B);
  team.reluBackward(L.dhd, L.hd, H * B);
  linearBack(hasC ? [['dec/Wz', L.z, dz, L.dz, false], ['dec/Wc', L.c, dc, L.dc, false]] : [['dec/Wz', L.z, dz, L.dz, false]], 'dec/b1', L.dhd, H, B);
  sampleBack(L.dz, L.sZ, L.epsZ, L.dyz, dz * B);
  headBack('encZ', L.hz, L.dyz, L.dhz, dz, B);
  team.reluBackward(L.dhz, L.hz, H2 * B);
  if (hasC) {
    linearBack([['encZ/Wx', L.xT, P, 0, false], ['encZ/Wc', L.c, dc, L.dc, true]], 'encZ/b1', L.dhz, H2, B);
    sampleBack(null, L.sP, 0, L.dyp, dz * B);
    headBack('prior', L.hp, L.dyp, L.dhp, dz, B);
    team.reluBackward(L.dhp, L.hp, H2 * B);
    linearBack([['prior/W1', L.c, dc, L.dc, true]], 'prior/b1', L.dhp, H2, B);
    sampleBack(L.dc, L.sC, L.epsC, L.dyc, dc * B);
    headBack('encC', L.hbar, L.dyc, L.dhbar, dc, B);
    team.gemm({ A: L.dhbar, lda: B, B: L.mix, ldb: U, C: L.dhu, ldc: U, M: H2, N: U, K: B });
    team.reluBackward(L.dhu, L.hu, H2 * U);
    linearBack([['encC/W1', L.xuT, P, 0, false]], 'encC/b1', L.dhu, H2, U);
  } else {
    linearBack([['encZ/Wx', L.xT, P, 0, false]], 'encZ/b1', L.dhz, H2, B);
  }

  // ---- what the step reports
  const loss = new Float64Array(5);
  const inv = inp.invSetSize;
  for (let b = 0; b < B; b++) {
    const w = hasC ? klC[b] * inv![b] : 0;
    loss[1] += bce[b]; loss[2] += klZ[b]; loss[3] += klC[b]; loss[4] += w;
    loss[0] += bce[b] + klZ[b] + w;
  }
  for (let j = 0; j < 5; j++) loss[j] *= invB;
  const dCode = dz + dc;
  const codes = new Float32Array(B * dCode);
  const mz = L.yz >> 2, mc = L.yc >> 2;
  for (let j = 0; j < dz; j++) for (let b = 0; b < B; b++) codes[b * dCode + j] = f[mz + j * B + b];
  for (let j = 0; j < dc; j++) for (let b = 0; b < B; b++) codes[b * dCode + dz + j] = f[mc + j * B + b];
  const rates = new Float32Array(dCode), klCDims = new Float32Array(dc);
  for (let j = 0; j < dz; j++) rates[j] = rateZ[j] * invB;
  for (let j = 0; j < dc; j++) { rates[dz + j] = rateC[j] * invB; klCDims[j] = klCD[j] * invB; }
  return { loss, codes, rates, klCDims };
}
