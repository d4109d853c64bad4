// Shared check of the objective-weighting tests (beta, invariance): after one Adam step from zero moments, the
// first moment is (1 − β1)·g, so g can be read back and compared with a gradient written out by hand.
import { expect } from 'vitest';
import type { Adam } from '../../src/train/adam.js';

/** want[i]: the expected gradient of parameter names[i]; plain: an optimiser that took the seed's step from the
 *  same weights, whose gradient must differ (the weighting really changed the step). */
export function expectFirstMoment(opt: Adam, plain: Adam, names: string[], want: number[][]): void {
  let maxErr = 0, maxG = 0, differs = false;
  const m = opt.getState().m, m0 = plain.getState().m;
  names.forEach((k, i) => {
    const g = m[k]!;
    for (let j = 0; j < g.length; j++) {
      maxErr = Math.max(maxErr, Math.abs(g[j] / (1 - opt.beta1) - want[i][j]));
      maxG = Math.max(maxG, Math.abs(want[i][j]));
      if (Math.abs(g[j] - m0[k]![j]) > 1e-7) differs = true;
    }
  });
  expect(maxG).toBeGreaterThan(1e-3);
  expect(maxErr).toBeLessThan(1e-4 * Math.max(1, maxG));
  expect(differs).toBe(true);
}
