/**
 * Small aggregation helpers shared by the evaluator and the paired comparison.
 */

/** Mean of `values` (optionally only at `positions`), skipping NaN; NaN when nothing is left. */
export function meanOf(values: Float64Array, positions?: Int32Array): number {
  let s = 0;
  let n = 0;
  if (positions) {
    for (let q = 0; q < positions.length; q++) {
      const v = values[positions[q]!]!;
      if (v === v) {
        s += v;
        n++;
      }
    }
  } else {
    for (let q = 0; q < values.length; q++) {
      const v = values[q]!;
      if (v === v) {
        s += v;
        n++;
      }
    }
  }
  return n === 0 ? NaN : s / n;
}

/** Positions `q` (ascending) where `keep(q)` holds. */
export function positionsWhere(n: number, keep: (q: number) => boolean): Int32Array {
  let count = 0;
  for (let q = 0; q < n; q++) if (keep(q)) count++;
  const out = new Int32Array(count);
  let w = 0;
  for (let q = 0; q < n; q++) if (keep(q)) out[w++] = q;
  return out;
}
