// One optimisation step: forward, loss, backward, Adam, all under one tf.tidy; returns the logged scalars and
// the codes of x (means of q) for the code store, read back once outside the tidy (dataSync inside tidy is slow).
import { tf } from '../backend.js';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Adam } from './adam.js';
import { encodeCSelf, encodeZ, forward, type BatchTensors, type ModelShape, type Params } from '../model/vhe.js';
import { ntXent, vheLoss } from '../model/loss.js';

export interface StepResult {
  /** [total, bce, klZ, klC, klCWeighted], nats/example, batch means */
  loss: Float32Array;
  /** B×(dz+dc) codes [μz‖μc] of the batch's x, for the code store */
  codes: Float32Array;
  /** dz+dc: batch-mean KL per code dimension [z‖c], nats (the rate each dimension uses) */
  rates: Float32Array;
  /** dc: batch-mean KL_c per dimension of one q(c|D), nats, not amortised (empty in vae mode) */
  klCDims: Float32Array;
  /** the invariance term (NT-Xent between the codes of two views, nats per view, unweighted) when
   *  train.invariance > 0, else NaN */
  invariance: number;
  /** null when the step was applied; else what was not finite (a loss term or a parameter's gradient), and
   *  the weights were left untouched */
  nonFinite: string | null;
}

export const LOSS_KEYS = ['total', 'bce', 'klZ', 'klC', 'klCWeighted'] as const;

/** Fault injection for the NaN tests: UVHE_FAULT=nan@<global step> makes that step's loss NaN. */
const FAULT_STEP = /^nan@(\d+)$/.exec(process.env.UVHE_FAULT ?? '')?.[1];
let stepCounter = 0;

/** How a step departs from the seed's objective; the logged loss terms are always the bound's, so train and test
 *  nats stay comparable across runs. */
export interface StepOptions {
  /** record c of x as the mean of q(c|{x}) instead of q(c|D) (cluster.code = self) */
  selfCodes?: boolean;
  /** train.betaZ: weight of KL_z in the objective the gradient follows (1 = the bound) */
  betaZ?: number;
  /** train.invariance: weight of the NT-Xent term between the codes of batch.xT and batch.xT2 (0 = off) */
  invariance?: number;
  /** train.temperature: τ of that term */
  temperature?: number;
  /** train.invarianceOn: which code the term pulls together: z (q(z|c,x), both views with the same c) or c
   *  (each view's own class code q(c|{x}); uvhe/vhe only) */
  invarianceOn?: 'z' | 'c';
}

export function trainStep(shape: ModelShape, params: Params, opt: Adam, batch: BatchTensors, o: StepOptions = {}): StepResult {
  const selfCodes = o.selfCodes ?? false, betaZ = o.betaZ ?? 1, lambda = o.invariance ?? 0;
  const names = Object.keys(params);
  const vars = names.map((k) => params[k]);
  let lossT!: Tensor, codesT!: Tensor, ratesT!: Tensor, invT: Tensor | null = null;
  const inject = FAULT_STEP !== undefined && ++stepCounter === Number(FAULT_STEP);
  // Gradients are kept past the tidy so that they can be checked before any weight changes.
  const grads = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const f = forward(shape, params, batch);
      const terms = vheLoss(batch.xTarget ?? batch.xT, f, batch.invSetSize);
      // Everything but the returned scalar is disposed when variableGrads' forward scope closes: keep() what we
      // read after the step (and dispose it by hand below).
      lossT = tf.keep(tf.stack([terms.total, terms.bce, terms.klZ, terms.klC, terms.klCWeighted]));
      // [d, B] → [B, d] rows for the code store
      const cCode = f.qc ? (selfCodes ? encodeCSelf(shape, params, batch.xT).mu : f.qc.mu) : null;
      codesT = tf.keep(tf.transpose(cCode ? tf.concat([f.qz.mu, cCode], 0) : f.qz.mu));
      // one readback for both: [rateZ (dz) ‖ rateC (dc) ‖ klCDims (dc)]
      ratesT = tf.keep(terms.rateC ? tf.concat([terms.rateZ, terms.rateC, terms.klCDims!]) : terms.rateZ.clone());
      let objective = betaZ === 1 ? terms.total : tf.add(terms.total, tf.mul(terms.klZ, betaZ - 1)) as typeof terms.total;
      if (lambda > 0 && batch.xT2) {
        // z: the second view goes through q(z|c,x) with the same sampled c as the first (same D): only x moves.
        // c: each view's class code on its own, q(c|{x}); D is not involved, so the term does not see the labels.
        const tau = o.temperature ?? 0.2;
        const vA = batch.xViewA, vB = batch.xT2;
        const inv = o.invarianceOn === 'c' && f.qc
          ? ntXent(encodeCSelf(shape, params, vA ?? batch.xT).mu, encodeCSelf(shape, params, vB).mu, tau)
          : ntXent(vA ? encodeZ(shape, params, vA, f.c).mu : f.qz.mu, encodeZ(shape, params, vB, f.c).mu, tau);
        invT = tf.keep(inv.clone());
        objective = tf.add(objective, tf.mul(inv, lambda)) as typeof terms.total;
      }
      return inject ? tf.mul(objective, NaN) as typeof terms.total : objective;
    }, vars);
    // variableGrads keys grads by tfjs variable name; the optimiser wants our parameter names
    const byName: Record<string, Tensor> = {};
    names.forEach((k, i) => { byName[k] = grads[vars[i].name]; });
    return byName;
  });
  const loss = Float32Array.from(lossT.dataSync() as Float32Array);
  const codes = Float32Array.from(codesT.dataSync() as Float32Array);
  const rateBuf = Float32Array.from(ratesT.dataSync() as Float32Array);
  const nRates = shape.zDim + shape.cDim; // cDim is 0 in vae mode
  const rates = rateBuf.subarray(0, nRates), klCDims = rateBuf.subarray(nRates);
  const invariance = invT ? (invT as Tensor).dataSync()[0] : NaN;
  lossT.dispose(); codesT.dispose(); ratesT.dispose(); (invT as Tensor | null)?.dispose();
  if (inject) loss[0] = NaN;
  let nonFinite: string | null = null;
  const badTerm = LOSS_KEYS.findIndex((_, j) => !Number.isFinite(loss[j]));
  if (badTerm >= 0) nonFinite = `loss term ${LOSS_KEYS[badTerm]} is ${loss[badTerm]}`;
  else {
    const badParam = opt.firstNonFinite(grads);
    if (badParam) nonFinite = `gradient of ${badParam} is not finite`;
  }
  if (!nonFinite) opt.step(grads);
  tf.dispose(Object.values(grads));
  return { loss, codes, rates, klCDims, invariance, nonFinite };
}
