/**
 * (user, item) ordering without comparison sorts: an LSD pair of counting sorts (by item,
 * then stably by user), O(n + nUsers + nItems). Packing (user, item) into one 32-bit key
 * would overflow at 100K x 20K, and a comparator sort of 10M rows is ~10x slower.
 */
import { bad } from './validate.ts';

/** Real positives as a per-user CSR, items ascending and unique within a user. */
export interface PositiveCsr {
  /** Row offsets, length nUsers + 1. */
  ptr: Int32Array;
  items: Int32Array;
  /** Input rows repeating an earlier (user, item). */
  duplicates: number;
}

/**
 * Sorts and dedupes the real split; checks its ids on the way (throws naming the row).
 * Only one temporary column: the second pass walks item buckets in order, so the item is
 * the loop variable and never needs storing.
 */
export function realPositives(
  user: Int32Array,
  item: Int32Array,
  n: number,
  nUsers: number,
  nItems: number,
): PositiveCsr {
  const byItem = new Int32Array(nItems + 1);
  const ptr = new Int32Array(nUsers + 1);
  for (let k = 0; k < n; k++) {
    const u = user[k]!;
    const i = item[k]!;
    if (!(u >= 0 && u < nUsers)) bad('train', k, 'user', u, `a user index in [0, ${nUsers})`);
    if (!(i >= 0 && i < nItems)) bad('train', k, 'item', i, `an item index in [0, ${nItems})`);
    byItem[i + 1]!++;
    ptr[u + 1]!++;
  }
  for (let i = 0; i < nItems; i++) byItem[i + 1]! += byItem[i]!;
  for (let u = 0; u < nUsers; u++) ptr[u + 1]! += ptr[u]!;
  const usersByItem = new Int32Array(n);
  const fillI = byItem.slice(0, nItems);
  for (let k = 0; k < n; k++) usersByItem[fillI[item[k]!]!++] = user[k]!;
  const items = new Int32Array(n);
  const fillU = ptr.slice(0, nUsers);
  for (let i = 0; i < nItems; i++) {
    for (let p = byItem[i]!, end = byItem[i + 1]!; p < end; p++)
      items[fillU[usersByItem[p]!]!++] = i;
  }
  // Dedupe in place: within a user, repeats are now adjacent.
  let w = 0;
  let duplicates = 0;
  let start = 0;
  for (let u = 0; u < nUsers; u++) {
    const end = ptr[u + 1]!;
    let prev = -1;
    for (let p = start; p < end; p++) {
      const i = items[p]!;
      if (i === prev) duplicates++;
      else items[w++] = prev = i;
    }
    start = end;
    ptr[u + 1] = w;
  }
  return { ptr, items: duplicates > 0 ? items.slice(0, w) : items, duplicates };
}

/**
 * A stable (user, item) order of rows: `perm[ptr[u] .. ptr[u+1])` are the rows of user u,
 * items ascending, rows with equal (user, item) in input order. Ids must be in range.
 */
export function orderByUserItem(
  user: Int32Array,
  item: Int32Array,
  n: number,
  nUsers: number,
  nItems: number,
): { ptr: Int32Array; perm: Int32Array } {
  const byItem = new Int32Array(nItems + 1);
  const ptr = new Int32Array(nUsers + 1);
  for (let k = 0; k < n; k++) {
    byItem[item[k]! + 1]!++;
    ptr[user[k]! + 1]!++;
  }
  for (let i = 0; i < nItems; i++) byItem[i + 1]! += byItem[i]!;
  for (let u = 0; u < nUsers; u++) ptr[u + 1]! += ptr[u]!;
  const tmp = new Int32Array(n);
  for (let k = 0; k < n; k++) tmp[byItem[item[k]!]!++] = k;
  const perm = new Int32Array(n);
  const fill = ptr.slice(0, nUsers);
  for (let p = 0; p < n; p++) {
    const k = tmp[p]!;
    perm[fill[user[k]!]!++] = k;
  }
  return { ptr, perm };
}
