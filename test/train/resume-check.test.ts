// A checkpoint whose networks differ from what the config's mode builds is refused before anything is loaded.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { checkCheckpointConfig } from '../../src/resume-check.js';
import type { CheckpointData } from '../../src/train/checkpoint.js';

const checkpoint = (mode: string, withWc: boolean): CheckpointData => ({
  meta: { mode, shape: { hidden: 512, zDim: 20, cDim: 20, logStdBound: 5 }, k: 10 },
  arrays: withWc ? { 'param/encZ/Wc': new Float32Array(1024 * 20) } : { 'param/encZ/Wx': new Float32Array(1024 * 784) },
});

describe('checkCheckpointConfig', () => {
  it('refuses a uvhe checkpoint whose q(z|c,x) reads c, in one line naming why', () => {
    const cfg = resolveConfig({ mode: 'uvhe' }, []);
    expect(() => checkCheckpointConfig(checkpoint('uvhe', true), cfg)).toThrow(/^resume: the checkpoint's uvhe networks read c in q\(z\|c,x\) and p\(x\|z,c\)[^\n]*$/);
    expect(() => checkCheckpointConfig(checkpoint('uvhe', false), cfg)).not.toThrow();
  });

  it('accepts a vhe checkpoint whose networks read c', () => {
    expect(() => checkCheckpointConfig(checkpoint('vhe', true), resolveConfig({ mode: 'vhe' }, []))).not.toThrow();
  });
});
