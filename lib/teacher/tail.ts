/**
 * Tail protection: a strong model's top items lean to the most popular ones, and synthetic
 * positives on them amplify popularity (the tail recall fell to 0). The head items
 * are never proposed.
 */
import { itemCounts } from '../eval/csr.ts';
import type { Csr } from '../eval/types.ts';

/**
 * A 0/1 mask of the `share` most popular items by train count (ties: lower item id first):
 * floor(share x nItems) of them.
 */
export function headItems(train: Csr, nItems: number, share: number): Uint8Array {
  if (!(share >= 0 && share < 1))
    throw new RangeError(`excludeTopPopular must be in [0, 1), got ${share}`);
  const mask = new Uint8Array(nItems);
  const take = Math.floor(share * nItems + 1e-9);
  if (take === 0) return mask;
  const counts = itemCounts(train, nItems);
  const order = Int32Array.from({ length: nItems }, (_, i) => i);
  order.sort((a, b) => counts[b]! - counts[a]! || a - b);
  for (let r = 0; r < take; r++) mask[order[r]!] = 1;
  return mask;
}
