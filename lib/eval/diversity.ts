import type { Csr } from './types.ts';

/**
 * Intra-list diversity of recommendation lists by item co-occurrence: 1 minus the mean, over
 * every pair of items in a list's first `k`, of the cosine similarity of the two items' sets of
 * train users (|U_i and U_j| / sqrt(|U_i| |U_j|); 0 when either has no users). 1 means no two
 * recommended items were ever liked by the same user; 0 means every pair always was.
 * Needs no side information, so it is defined for every log.
 *
 * @param lists - `count` lists of `width` item ids each, row-major; -1 pads a short list
 * @param byItem - the train split as item x user rows (see `transposeCsr`)
 * @param nUsers - number of users (size of the marking scratch)
 * @returns the mean over lists with at least two items, NaN when there is none
 */
export function intraListDiversity(
  lists: Int32Array,
  width: number,
  count: number,
  k: number,
  byItem: Csr,
  nUsers: number,
): number {
  const stamp = new Int32Array(nUsers).fill(-1);
  let total = 0;
  let measured = 0;
  let mark = 0;
  for (let l = 0; l < count; l++) {
    const off = l * width;
    let len = 0;
    while (len < Math.min(k, width) && lists[off + len]! >= 0) len++;
    if (len < 2) continue;
    let similarity = 0;
    for (let a = 0; a < len - 1; a++) {
      const i = lists[off + a]!;
      const degI = byItem.indptr[i + 1]! - byItem.indptr[i]!;
      mark++;
      for (let p = byItem.indptr[i]!; p < byItem.indptr[i + 1]!; p++)
        stamp[byItem.indices[p]!] = mark;
      for (let b = a + 1; b < len; b++) {
        const j = lists[off + b]!;
        const degJ = byItem.indptr[j + 1]! - byItem.indptr[j]!;
        if (degI === 0 || degJ === 0) continue;
        let common = 0;
        for (let p = byItem.indptr[j]!; p < byItem.indptr[j + 1]!; p++)
          if (stamp[byItem.indices[p]!] === mark) common++;
        similarity += common / Math.sqrt(degI * degJ);
      }
    }
    total += 1 - similarity / ((len * (len - 1)) / 2);
    measured++;
  }
  return measured > 0 ? total / measured : NaN;
}
