/**
 * Item popularity from the real train positives: counts, the long tail (items outside the
 * top 20% by count) and 20 equal-size popularity buckets for the report's curves.
 */

export const HEAD_SHARE = 0.2;
export const POPULARITY_BUCKETS = 20;

export interface Popularity {
  /** Real train positives per item. */
  count: Int32Array;
  /** 1 for a long-tail item. */
  tail: Uint8Array;
  tailItems: number;
  /** Popularity bucket per item, 0 = the most popular 5% of items. */
  bucket: Uint8Array;
}

/** Items ranked by count descending, ties by id ascending (deterministic). */
export function popularity(realItems: Int32Array, nItems: number): Popularity {
  const count = new Int32Array(nItems);
  for (let k = 0; k < realItems.length; k++) count[realItems[k]!]!++;
  // One native numeric sort of packed keys (exact in float64): -count * nItems + id.
  const keys = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) keys[i] = -count[i]! * nItems + i;
  keys.sort();
  const head = Math.ceil(HEAD_SHARE * nItems);
  const tail = new Uint8Array(nItems);
  const bucket = new Uint8Array(nItems);
  for (let r = 0; r < nItems; r++) {
    const k = keys[r]!;
    const id = ((k % nItems) + nItems) % nItems;
    if (r >= head) tail[id] = 1;
    bucket[id] = Math.floor((r * POPULARITY_BUCKETS) / nItems);
  }
  return { count, tail, tailItems: nItems - head, bucket };
}
