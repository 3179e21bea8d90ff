/**
 * Per-user ranking metrics over one top list. The list is given as a 0/1 relevance vector by
 * position (`rel[p] = 1` when the item at rank p + 1 is a test item); `m` is the list length
 * (it can be shorter than K when few items are rankable) and `nRel` the number of test items.
 * All functions are O(K) and allocation-free; the evaluator calls exactly these.
 */

/** Position discount 1 / log2(p + 1) for 1-based position p, precomputed up to `maxK`. */
export function discounts(maxK: number): Float64Array {
  const d = new Float64Array(maxK);
  for (let p = 0; p < maxK; p++) d[p] = 1 / Math.log2(p + 2);
  return d;
}

/** Number of relevant items among the first min(k, m) positions. */
export function hitsAt(rel: Uint8Array, m: number, k: number): number {
  const end = Math.min(k, m);
  let h = 0;
  for (let p = 0; p < end; p++) h += rel[p]!;
  return h;
}

/**
 * Recall@K = hits in the top K / number of test items. The denominator is the full test count
 * (not min(K, |test|)), the common definition, so a user with more test items than K cannot
 * reach 1. NaN when the user has no test item.
 */
export function recallAt(rel: Uint8Array, m: number, nRel: number, k: number): number {
  if (nRel <= 0) return NaN;
  return hitsAt(rel, m, k) / nRel;
}

/** HR@K (hit rate): 1 when at least one test item is in the top K, else 0. */
export function hitRateAt(rel: Uint8Array, m: number, k: number): number {
  return hitsAt(rel, m, k) > 0 ? 1 : 0;
}

/**
 * NDCG@K with binary gains: DCG = sum over hit positions p (1-based) of 1 / log2(p + 1);
 * IDCG = the DCG of a list with all min(K, |test|) top slots relevant. NaN without test items.
 */
export function ndcgAt(
  rel: Uint8Array,
  m: number,
  nRel: number,
  k: number,
  disc: Float64Array,
): number {
  if (nRel <= 0) return NaN;
  const end = Math.min(k, m);
  let dcg = 0;
  for (let p = 0; p < end; p++) if (rel[p]) dcg += disc[p]!;
  const ideal = Math.min(k, nRel);
  let idcg = 0;
  for (let p = 0; p < ideal; p++) idcg += disc[p]!;
  return dcg / idcg;
}

/**
 * AP@K = (1 / min(K, |test|)) * sum over hit positions p <= K of Precision@p. Normalizing by
 * min(K, |test|) makes a perfect top K score 1. MAP@K is its mean over users.
 */
export function averagePrecisionAt(rel: Uint8Array, m: number, nRel: number, k: number): number {
  if (nRel <= 0) return NaN;
  const end = Math.min(k, m);
  let hits = 0;
  let sum = 0;
  for (let p = 0; p < end; p++) {
    if (rel[p]) {
      hits++;
      sum += hits / (p + 1);
    }
  }
  return sum / Math.min(k, nRel);
}

/**
 * Mean of a per-position value over the first min(k, m) positions (novelty = mean self-
 * information, tail share = mean of a 0/1 tail flag). NaN for an empty list.
 */
export function meanAt(values: Float64Array, m: number, k: number): number {
  const end = Math.min(k, m);
  if (end === 0) return NaN;
  let s = 0;
  for (let p = 0; p < end; p++) s += values[p]!;
  return s / end;
}

/**
 * Self-information of each item, -log2 of its popularity share, with add-one smoothing so
 * items nobody trained on stay finite: -log2((count_i + 1) / (nUsers + 1)), where count_i is
 * the number of train interactions of item i (= train users, since feedback is binary).
 */
export function selfInformation(counts: Int32Array, nUsers: number): Float64Array {
  const out = new Float64Array(counts.length);
  const denom = nUsers + 1;
  // log2(1 / share) rather than -log2(share): the most popular item gets +0, not -0.
  for (let i = 0; i < counts.length; i++) out[i] = Math.log2(denom / (counts[i]! + 1));
  return out;
}

/**
 * Tail items as a 0/1 mask: the `tailFraction` of the catalog with the lowest train
 * popularity. Items are ordered by count, ties broken by id (lower id counts as more
 * popular), so the split is deterministic; the head is the ceil((1 - tailFraction) * nItems)
 * most popular items.
 */
export function tailItemMask(counts: Int32Array, tailFraction: number): Uint8Array {
  if (!(tailFraction >= 0 && tailFraction <= 1)) {
    throw new RangeError(`tailFraction must be in [0, 1], got ${tailFraction}`);
  }
  const n = counts.length;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => counts[b]! - counts[a]! || a - b);
  const head = Math.min(n, Math.ceil((1 - tailFraction) * n - 1e-9));
  const mask = new Uint8Array(n);
  for (let r = head; r < n; r++) mask[order[r]!] = 1;
  return mask;
}
