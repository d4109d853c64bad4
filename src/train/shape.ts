// The networks' shape as a run's config and data fix it.
import type { Config } from '../config.js';
import type { ModelShape } from '../model/vhe.js';

/** Model shape of `cfg` for images of `pixels` pixels; vae has no class code. */
export function modelShape(cfg: Config, pixels: number): ModelShape {
  return {
    mode: cfg.mode, pixels, hidden: cfg.model.hidden, zDim: cfg.model.zDim,
    cDim: cfg.mode === 'vae' ? 0 : cfg.model.cDim, logStdBound: cfg.model.logStdBound,
  };
}
