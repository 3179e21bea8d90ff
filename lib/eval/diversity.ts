import { runSteps } from '../async/steps.ts';
import type { Steps } from '../async/steps.ts';
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
  return runSteps(intraListDiversitySteps(lists, width, count, [k], byItem, nUsers))[0]!;
}

const MAX_REMEMBERED_PAIRS = 1 << 22;

/**
 * {@link intraListDiversity} at several cutoffs in one pass (a list's first k pairs are among
 * its first k' > k, and each cutoff's sums keep the same order, so every figure is the same as
 * alone), as steps (lib/async/steps.ts) that yield after each list: a list whose pairs are
 * not remembered yet walks the train users of popular items, ~10 ms at 10M interactions.
 */
export function* intraListDiversitySteps(
  lists: Int32Array,
  width: number,
  count: number,
  ks: readonly number[],
  byItem: Csr,
  nUsers: number,
): Steps<number[]> {
  const { indptr, indices } = byItem;
  const nItems = indptr.length - 1;
  const stamp = new Int32Array(nUsers).fill(-1);
  // Shared users of an ordered pair (i marked, j walked), kept across lists: the top lists of
  // a trained model share most of their items. Bounded, as a Map holds at most 2^24 entries.
  const shared = new Map<number, number>();
  const total = new Float64Array(ks.length);
  const measured = new Int32Array(ks.length);
  const similarity = new Float64Array(ks.length);
  const lens = new Int32Array(ks.length);
  const widest = Math.min(Math.max(0, ...ks), width);
  let mark = 0;
  for (let l = 0; l < count; l++) {
    const off = l * width;
    let len = 0;
    while (len < widest && lists[off + len]! >= 0) len++;
    for (let c = 0; c < ks.length; c++) lens[c] = Math.min(len, ks[c]!, width);
    similarity.fill(0);
    for (let a = 0; a < len - 1; a++) {
      const i = lists[off + a]!;
      const degI = indptr[i + 1]! - indptr[i]!;
      let marked = false;
      for (let b = a + 1; b < len; b++) {
        const j = lists[off + b]!;
        const degJ = indptr[j + 1]! - indptr[j]!;
        if (degI === 0 || degJ === 0) continue;
        const key = i * nItems + j;
        let common = shared.get(key);
        if (common === undefined) {
          if (!marked) {
            mark++;
            for (let p = indptr[i]!; p < indptr[i + 1]!; p++) stamp[indices[p]!] = mark;
            marked = true;
          }
          common = 0;
          for (let p = indptr[j]!; p < indptr[j + 1]!; p++)
            if (stamp[indices[p]!] === mark) common++;
          if (shared.size < MAX_REMEMBERED_PAIRS) shared.set(key, common);
        }
        const cosine = common / Math.sqrt(degI * degJ);
        for (let c = 0; c < ks.length; c++) if (b < lens[c]!) similarity[c]! += cosine;
      }
    }
    for (let c = 0; c < ks.length; c++) {
      const n = lens[c]!;
      if (n < 2) continue;
      total[c]! += 1 - similarity[c]! / ((n * (n - 1)) / 2);
      measured[c]!++;
    }
    yield;
  }
  return Array.from(total, (t, c) => (measured[c]! > 0 ? t / measured[c]! : NaN));
}
