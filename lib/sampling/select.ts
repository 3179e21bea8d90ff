/**
 * "Keep the k rows with the smallest value" in O(m) expected: a quickselect finds the
 * k-th smallest value, then one pass keeps rows below it and, for exact ties, the earliest
 * rows in list order, so the result never depends on the selection's internals.
 */

/**
 * Among rows `idx[0..m)` with values `val[0..m)`, keeps the `keep` smallest and sets
 * `state[idx[j]] = code` for the others. `scratch` needs room for m values.
 */
export function keepSmallest(
  idx: Int32Array,
  val: Float64Array,
  m: number,
  keep: number,
  state: Uint8Array,
  code: number,
  scratch: Float64Array,
): void {
  if (keep >= m) return;
  if (keep <= 0) {
    for (let j = 0; j < m; j++) state[idx[j]!] = code;
    return;
  }
  for (let j = 0; j < m; j++) scratch[j] = val[j]!;
  const thr = kthSmallest(scratch, m, keep - 1);
  let below = 0;
  for (let j = 0; j < m; j++) if (val[j]! < thr) below++;
  let ties = keep - below;
  for (let j = 0; j < m; j++) {
    const v = val[j]!;
    if (v < thr) continue;
    if (v === thr && ties > 0) ties--;
    else state[idx[j]!] = code;
  }
}

/** The k-th smallest (0-based) of `a[0..m)`; reorders `a`. No NaN allowed. */
export function kthSmallest(a: Float64Array, m: number, k: number): number {
  let lo = 0;
  let hi = m - 1;
  while (hi > lo) {
    // Median of three as pivot keeps sorted or constant inputs from going quadratic.
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
