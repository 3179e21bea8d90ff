import { normalTwoSided } from './normal.ts';

/** Options of {@link wilcoxonSignedRank}. */
export interface WilcoxonOptions {
  /**
   * `wilcox`: drop zero differences, then rank (Wilcoxon's original; scipy's default).
   * `pratt`: rank with the zeros, then drop their ranks (Pratt 1959; Cureton's normal
   * approximation). @default 'wilcox'
   */
  zeroMethod?: 'wilcox' | 'pratt';
  /**
   * `auto`: exact null distribution when at most `exactMaxN` differences are ranked and
   * non-zero, else the normal approximation. @default 'auto'
   */
  method?: 'auto' | 'exact' | 'normal';
  /** Largest sample for the exact distribution in `auto` mode (at most 50). @default 25 */
  exactMaxN?: number;
  /** Continuity correction of 0.5 in the normal approximation (scipy: off). @default false */
  correction?: boolean;
  /**
   * Relative tolerance below which two |differences| are tied and a difference is zero
   * (relative to the largest |difference|), so float noise such as 0.1 + 0.2 vs 0.3 does not
   * split ties. @default 1e-9
   */
  tieTolerance?: number;
}

/** Result of a two-sided Wilcoxon signed-rank test. */
export interface WilcoxonResult {
  /** W+ = sum of the ranks of positive differences (average ranks for ties). */
  rPlus: number;
  /** W- = sum of the ranks of negative differences. */
  rMinus: number;
  /** Non-zero differences. */
  n: number;
  /** Zero differences. */
  zeros: number;
  /** Standardized statistic (normal method only, else NaN). */
  z: number;
  /** Two-sided p-value; NaN when every difference is zero. */
  p: number;
  method: 'exact' | 'normal';
}

/**
 * Two-sided Wilcoxon signed-rank test of "the differences are symmetric around 0".
 *
 * - Exact: the permutation distribution of W+ over all 2^n sign flips of the ranked
 *   non-zero differences, by dynamic programming over doubled ranks (average ranks are
 *   multiples of 1/2, so ties stay exact): p = min(1, 2 min(P(W+ <= w), P(W+ >= w))).
 * - Normal: z = (W+ - E) / sd with E = n(n+1)/4 and
 *   Var = n(n+1)(2n+1)/24 - sum over tie groups (t^3 - t)/48 (Pratt: minus the zeros' share).
 */
export function wilcoxonSignedRank(
  diffs: ArrayLike<number>,
  options: WilcoxonOptions = {},
): WilcoxonResult {
  const zeroMethod = options.zeroMethod ?? 'wilcox';
  const exactMaxN = Math.min(options.exactMaxN ?? 25, 50);
  const tol = options.tieTolerance ?? 1e-9;
  const len = diffs.length;
  let maxAbs = 0;
  for (let k = 0; k < len; k++) {
    const v = diffs[k]!;
    if (Number.isNaN(v)) throw new RangeError(`difference ${k} is NaN`);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const zeroBelow = tol * maxAbs;
  const isZero = (v: number) => Math.abs(v) <= zeroBelow;

  // Entries that get ranks: non-zero ones (wilcox) or all (pratt).
  const ranked: number[] = [];
  let zeros = 0;
  for (let k = 0; k < len; k++) {
    const v = diffs[k]!;
    if (isZero(v)) {
      zeros++;
      if (zeroMethod === 'pratt') ranked.push(0);
    } else ranked.push(v);
  }
  const order = Int32Array.from(ranked.keys()).sort(
    (a, b) => Math.abs(ranked[a]!) - Math.abs(ranked[b]!),
  );
  // Average ranks over tie groups; zeros (pratt) form their own group and stay out of the
  // tie correction.
  const rank2 = new Int32Array(ranked.length); // doubled ranks, integers
  let tieTerm = 0;
  for (let s = 0; s < order.length;) {
    const first = Math.abs(ranked[order[s]!]!);
    let e = s + 1;
    while (
      e < order.length &&
      Math.abs(ranked[order[e]!]!) - first <= tol * Math.max(first, zeroBelow)
    ) {
      e++;
    }
    // Ranks s+1 .. e average to (s + 1 + e) / 2, so the doubled rank is s + 1 + e.
    for (let q = s; q < e; q++) rank2[order[q]!] = s + 1 + e;
    const t = e - s;
    if (first > zeroBelow) tieTerm += t * t * t - t;
    s = e;
  }
  let rPlus2 = 0;
  let rMinus2 = 0;
  const flips: number[] = [];
  for (let k = 0; k < ranked.length; k++) {
    const v = ranked[k]!;
    if (isZero(v)) continue;
    if (v > 0) rPlus2 += rank2[k]!;
    else rMinus2 += rank2[k]!;
    flips.push(rank2[k]!);
  }
  const n = flips.length;
  const method =
    options.method === 'exact' || (options.method !== 'normal' && n <= exactMaxN)
      ? 'exact'
      : 'normal';
  const base = { rPlus: rPlus2 / 2, rMinus: rMinus2 / 2, n, zeros, method } as const;
  if (n === 0) return { ...base, z: NaN, p: NaN };
  if (method === 'exact') return { ...base, z: NaN, p: exactTwoSided(flips, rPlus2) };

  const nr = ranked.length;
  const n0 = zeroMethod === 'pratt' ? zeros : 0;
  const mean = (nr * (nr + 1) - n0 * (n0 + 1)) / 4;
  const varSum = nr * (nr + 1) * (2 * nr + 1) - n0 * (n0 + 1) * (2 * n0 + 1) - tieTerm / 2;
  const sd = Math.sqrt(varSum / 24);
  let z = (rPlus2 / 2 - mean) / sd;
  if (options.correction) z -= (Math.sign(z) * 0.5) / sd;
  return { ...base, z, p: normalTwoSided(z) };
}

/** Exact two-sided p of a doubled-rank sum `t2` under random signs of `ranks2`. */
function exactTwoSided(ranks2: number[], t2: number): number {
  let total = 0;
  for (const r of ranks2) total += r;
  // counts[s] = number of sign patterns whose positive doubled ranks sum to s (exact in
  // float64 up to 2^53 patterns, i.e. n <= 50).
  const counts = new Float64Array(total + 1);
  counts[0] = 1;
  let reach = 0;
  for (const r of ranks2) {
    reach += r;
    for (let s = reach; s >= r; s--) counts[s]! += counts[s - r]!;
  }
  let low = 0;
  let high = 0;
  for (let s = 0; s <= total; s++) {
    if (s <= t2) low += counts[s]!;
    if (s >= t2) high += counts[s]!;
  }
  const all = 2 ** ranks2.length;
  return Math.min(1, (2 * Math.min(low, high)) / all);
}
