// The one test the CLI needs from compare.ts before it knows the action, in a module that imports nothing
// (compare.ts imports run.ts and so tfjs; the CLI loads it only for a compare file).

/** Is this parsed JSON a compare file (rather than a run config)? A run config never has a "compare" key. */
export function isCompareSpec(obj: unknown): obj is { compare: unknown } {
  return (
    obj !== null &&
    typeof obj === 'object' &&
    !Array.isArray(obj) &&
    Object.prototype.hasOwnProperty.call(obj, 'compare')
  );
}
