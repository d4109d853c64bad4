// The loss of the CPU trainer and its gradients with respect to the network outputs (model/loss.ts is the
// oracle), over rows of feature-major [rows, cols] f32 matrices at byte offsets, cols = the batch B. Every kernel
// works on whole rows and writes per-row sums: the loss terms the step reports are sums of those row sums taken
// in row order afterwards, so the result is the same however rows were split over threads. Rows may be any
// width: the last 1–3 columns go through the same f32x4 code on a zero-padded vector, masked out of the sums.
// Gradients carry 1/B (invB): the loss is the mean over the batch. Never allocates.
import { exp4, hsum, laneMask, loadN, log1p01, storeN } from './simd-math';

/**
 * Bernoulli log-likelihood from logits, rows lo..hi of [P, cols]: per element
 * bce = max(l, 0) + log1p(e^−|l|) − x·l and d bce/dl = (σ(l) − x)/B into dl, with σ(l) = 1/(1+e) for l ≥ 0 and
 * e/(1+e) below (e = e^−|l|, no overflow). rowLoss[r] = Σ_c bce, db[r] = Σ_c dl (the output bias's gradient).
 */
export function bceRows(logits: usize, x: usize, dl: usize, cols: i32, lo: i32, hi: i32, invB: f32, rowLoss: usize, db: usize): void {
  const zero = f32x4.splat(0), one = f32x4.splat(1), ib = f32x4.splat(invB);
  for (let r = lo; r < hi; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    let accL = zero, accD = zero;
    for (let c = 0; c < cols; c += 4) {
      const n = min(4, cols - c), o = off + (<usize>c << 2);
      const l = loadN(logits + o, n), xv = loadN(x + o, n);
      const e = exp4(f32x4.neg(f32x4.abs(l)));
      const term = f32x4.sub(f32x4.add(f32x4.max(l, zero), log1p01(e)), f32x4.mul(xv, l));
      const sig = f32x4.div(v128.bitselect(one, e, f32x4.ge(l, zero)), f32x4.add(one, e));
      const d = f32x4.mul(f32x4.sub(sig, xv), ib);
      storeN(dl + o, d, n);
      const keep = laneMask(n);
      accL = f32x4.add(accL, v128.and(term, keep));
      accD = f32x4.add(accD, v128.and(d, keep));
    }
    store<f32>(rowLoss + (<usize>r << 2), hsum(accL));
    store<f32>(db + (<usize>r << 2), hsum(accD));
  }
}

/**
 * KL(q(z) ‖ p(z|c)) (prior ≠ 0) or KL(q(z) ‖ N(0, I)), rows lo..hi of [d, cols]: q has means yq[0..d) and
 * bounded log-stds sq, p has means yp[0..d) and log-stds sp. Per element, with vq = e^2sq, ivp = e^−2sp,
 * t = (vq + (μq−μp)²)·ivp: kl = sp − sq − ½ + ½t, and the gradients (over B) go to dyq's two halves (dμq, dsq rows)
 * and dyp's (dμp, dsp). Without a prior, kl = ½(vq + μq²) − sq − ½. rowKl[r] = Σ_c kl.
 */
export function klZRows(yq: usize, sq: usize, yp: usize, sp: usize, dyq: usize, dyp: usize, d: i32, cols: i32, lo: i32, hi: i32,
  prior: i32, invB: f32, rowKl: usize): void {
  const half = f32x4.splat(0.5), one = f32x4.splat(1), two = f32x4.splat(2), ib = f32x4.splat(invB);
  const s2 = (<usize>d * <usize>cols) << 2; // from a μ row to its log-std row in dyq, dyp
  for (let r = lo; r < hi; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    let acc = f32x4.splat(0);
    for (let c = 0; c < cols; c += 4) {
      const n = min(4, cols - c), o = off + (<usize>c << 2);
      const mq = loadN(yq + o, n), lq = loadN(sq + o, n);
      const vq = exp4(f32x4.mul(two, lq));
      let kl: v128;
      if (prior != 0) {
        const lp = loadN(sp + o, n);
        const diff = f32x4.sub(mq, loadN(yp + o, n)), ivp = exp4(f32x4.mul(f32x4.splat(-2), lp));
        const t = f32x4.mul(f32x4.add(vq, f32x4.mul(diff, diff)), ivp);
        kl = f32x4.add(f32x4.sub(f32x4.sub(lp, lq), half), f32x4.mul(half, t));
        const gm = f32x4.mul(f32x4.mul(diff, ivp), ib);
        storeN(dyq + o, gm, n);
        storeN(dyq + s2 + o, f32x4.mul(f32x4.sub(f32x4.mul(vq, ivp), one), ib), n);
        storeN(dyp + o, f32x4.neg(gm), n);
        storeN(dyp + s2 + o, f32x4.mul(f32x4.sub(one, t), ib), n);
      } else {
        kl = f32x4.sub(f32x4.sub(f32x4.mul(half, f32x4.add(vq, f32x4.mul(mq, mq))), lq), half);
        storeN(dyq + o, f32x4.mul(mq, ib), n);
        storeN(dyq + s2 + o, f32x4.mul(f32x4.sub(vq, one), ib), n);
      }
      acc = f32x4.add(acc, v128.and(kl, laneMask(n)));
    }
    store<f32>(rowKl + (<usize>r << 2), hsum(acc));
  }
}

/**
 * KL(q(c|D) ‖ N(0, I)), rows lo..hi of [d, cols], weighted per column by inv[c] = 1/|X_x| in the objective:
 * kl = ½(vq + μ²) − s − ½; dμ = μ·inv/B, ds = (vq − 1)·inv/B into dy's two halves.
 * rowKl[r] = Σ_c kl, rowKlW[r] = Σ_c kl·inv[c].
 */
export function klCRows(yc: usize, sc: usize, dy: usize, inv: usize, d: i32, cols: i32, lo: i32, hi: i32, invB: f32,
  rowKl: usize, rowKlW: usize): void {
  const half = f32x4.splat(0.5), one = f32x4.splat(1), two = f32x4.splat(2), ib = f32x4.splat(invB);
  const s2 = (<usize>d * <usize>cols) << 2;
  for (let r = lo; r < hi; r++) {
    const off = (<usize>r * <usize>cols) << 2;
    let acc = f32x4.splat(0), accW = acc;
    for (let c = 0; c < cols; c += 4) {
      const n = min(4, cols - c), o = off + (<usize>c << 2);
      const mu = loadN(yc + o, n), ls = loadN(sc + o, n), iv = loadN(inv + (<usize>c << 2), n);
      const vq = exp4(f32x4.mul(two, ls));
      const kl = v128.and(f32x4.sub(f32x4.sub(f32x4.mul(half, f32x4.add(vq, f32x4.mul(mu, mu))), ls), half), laneMask(n));
      const w = f32x4.mul(iv, ib);
      storeN(dy + o, f32x4.mul(mu, w), n);
      storeN(dy + s2 + o, f32x4.mul(f32x4.sub(vq, one), w), n);
      acc = f32x4.add(acc, kl);
      accW = f32x4.add(accW, f32x4.mul(kl, iv));
    }
    store<f32>(rowKl + (<usize>r << 2), hsum(acc));
    store<f32>(rowKlW + (<usize>r << 2), hsum(accW));
  }
}
