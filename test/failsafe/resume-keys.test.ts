// Which keys --resume may change: every key of RESUMABLE_KEYS passes checkResumeSets, every other schema key that
// differs from the run's is refused naming it, and outDir / name are refused as not applicable.
import { describe, expect, it } from 'vitest';
import { SCHEMA, resolveConfig, type KeyType } from '../../src/config.js';
import { NOT_APPLICABLE_ON_RESUME, RESUMABLE_KEYS, checkResumeSets } from '../../src/resume-check.js';

/** a valid value of the key's type other than its default */
function other(t: KeyType, def: unknown): unknown {
  switch (t.kind) {
    case 'bool': return !def;
    case 'string': return `${String(def)}x`;
    case 'enum': return t.values.find((v) => v !== def);
    case 'int': return (def as number) + 1 <= (t.max ?? Infinity) ? (def as number) + 1 : (def as number) - 1;
    case 'number': return (def as number) / 2 > (t.min ?? -Infinity) ? (def as number) / 2 : ((def as number) + (t.max ?? (def as number) + 2)) / 2;
  }
}

describe('RESUMABLE_KEYS', () => {
  const ran = resolveConfig({});
  it('lists keys of the schema only', () => {
    for (const k of RESUMABLE_KEYS) expect(SCHEMA).toHaveProperty([k]);
  });
  it.each(Object.keys(SCHEMA))('%s', (key) => {
    const spec = SCHEMA[key];
    // set on a copy of the resolved config directly: some keys are valid only together with others
    const asked = structuredClone(ran) as unknown as Record<string, unknown>;
    const path = key.split('.');
    let o = asked;
    for (const p of path.slice(0, -1)) o = o[p] as Record<string, unknown>;
    o[path.at(-1)!] = other(spec.type, spec.default);
    if ((RESUMABLE_KEYS as readonly string[]).includes(key)) {
      expect(() => checkResumeSets(ran, asked as unknown as typeof ran)).not.toThrow();
    } else if ((NOT_APPLICABLE_ON_RESUME as readonly string[]).includes(key)) {
      expect(() => checkResumeSets(ran, asked as unknown as typeof ran)).toThrow(new RegExp(`^resume: ${key.replace('.', '\\.')} does not apply to --resume`));
    } else {
      expect(() => checkResumeSets(ran, asked as unknown as typeof ran)).toThrow(new RegExp(`^resume: ${key.replace(/\./g, '\\.')} cannot change on --resume: the checkpoint's run has `));
    }
  });
});
