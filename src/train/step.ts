// One optimisation step: forward, loss, backward, Adam, all under one tf.tidy; returns the logged scalars and
// the codes of x (means of q) for the code store, read back once outside the tidy (dataSync inside tidy is slow).
import { tf } from '../backend.js';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Adam } from './adam.js';
import { forward, type BatchTensors, type ModelShape, type Params } from '../model/vhe.js';
import { vheLoss } from '../model/loss.js';

export interface StepResult {
  /** [total, bce, klZ, klC, klCWeighted], nats/example, batch means */
  loss: Float32Array;
  /** B×(dz+dc) codes [μz‖μc] of the batch's x, for the code store */
  codes: Float32Array;
  /** dz+dc: batch-mean KL per code dimension [z‖c], nats (the rate each dimension uses) */
  rates: Float32Array;
  /** dc: batch-mean KL_c per dimension of one q(c|D), nats, not amortised (empty in vae mode) */
  klCDims: Float32Array;
  /** null when the step was applied; else what was not finite (a loss term or a parameter's gradient), and
   *  the weights were left untouched */
  nonFinite: string | null;
}

export const LOSS_KEYS = ['total', 'bce', 'klZ', 'klC', 'klCWeighted'] as const;

/** Fault injection for the NaN tests: UVHE_FAULT=nan@<global step> makes that step's loss NaN. */
const FAULT_STEP = /^nan@(\d+)$/.exec(process.env.UVHE_FAULT ?? '')?.[1];
let stepCounter = 0;
/** Counts one step; true when UVHE_FAULT asks for this one to fail (either trainer calls it once per step). */
export function faultDue(): boolean {
  return FAULT_STEP !== undefined && ++stepCounter === Number(FAULT_STEP);
}

export function trainStep(shape: ModelShape, params: Params, opt: Adam, batch: BatchTensors): StepResult {
  const names = Object.keys(params);
  const vars = names.map((k) => params[k]);
  let lossT!: Tensor, codesT!: Tensor, ratesT!: Tensor;
  const inject = faultDue();
  // Gradients are kept past the tidy so that they can be checked before any weight changes.
  const grads = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const f = forward(shape, params, batch);
      const terms = vheLoss(batch.xT, f, batch.invSetSize);
      // Everything but the returned scalar is disposed when variableGrads' forward scope closes: keep() what we
      // read after the step (and dispose it by hand below).
      lossT = tf.keep(tf.stack([terms.total, terms.bce, terms.klZ, terms.klC, terms.klCWeighted]));
      // [d, B] → [B, d] rows [μz‖μc] for the code store; x's c is the mean of q(c|D) for its D
      codesT = tf.keep(tf.transpose(f.qc ? tf.concat([f.qz.mu, f.qc.mu], 0) : f.qz.mu));
      // one readback for both: [rateZ (dz) ‖ rateC (dc) ‖ klCDims (dc)]
      ratesT = tf.keep(terms.rateC ? tf.concat([terms.rateZ, terms.rateC, terms.klCDims!]) : terms.rateZ.clone());
      return inject ? tf.mul(terms.total, NaN) as typeof terms.total : terms.total;
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
  lossT.dispose(); codesT.dispose(); ratesT.dispose();
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
  return { loss, codes, rates, klCDims, nonFinite };
}
