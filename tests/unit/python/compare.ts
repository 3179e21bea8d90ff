/**
 * Largest elementwise difference of two arrays relative to the larger magnitude of `a`
 * (and at least `floor`): one number per table, so a tolerance reads as "agrees to
 * about 1 part in 1/tol of the table's scale".
 */
export function relativeError(a: Float32Array, b: Float32Array, floor = 1e-6): number {
  if (a.length !== b.length) return Infinity;
  let diff = 0;
  let scale = floor;
  for (let k = 0; k < a.length; k++) {
    diff = Math.max(diff, Math.abs(a[k]! - b[k]!));
    scale = Math.max(scale, Math.abs(a[k]!));
  }
  return diff / scale;
}
