/**
 * Candidates for the chooser, after LLMRec: a base recommender trained on the train split
 * (item-based kNN: quick, no training loop) proposes each user's top new items. Its scores
 * also say how plausible a (liked, disliked) pair is, for pruning in the resample stage.
 */
import { TopKSelector } from '../eval/topk.ts';
import type { Csr } from '../eval/types.ts';
import { ItemKnnScorer } from '../models/baselines/item-knn.ts';

export interface Candidates {
  /** `items[u * perUser + c]`: candidate c of the r-th requested user (-1 when fewer). */
  items: Int32Array;
  /** Base-model score of each candidate. */
  scores: Float32Array;
  perUser: number;
}

/** Top `perUser` items not in each user's train history, best first. */
export function proposeCandidates(
  train: Csr,
  nItems: number,
  users: Int32Array,
  perUser: number,
): Candidates {
  const knn = ItemKnnScorer.fit(train, nItems);
  const items = new Int32Array(users.length * perUser).fill(-1);
  const scores = new Float32Array(users.length * perUser);
  const top = new TopKSelector(perUser);
  const chunk = Math.max(1, Math.floor(4_194_304 / nItems));
  const buf = new Float32Array(chunk * nItems);
  for (let start = 0; start < users.length; start += chunk) {
    const batch = users.subarray(start, Math.min(users.length, start + chunk));
    knn.scoreUsers(batch, buf);
    for (let r = 0; r < batch.length; r++) {
      const u = batch[r]!;
      const o = r * nItems;
      for (let a = train.indptr[u]!; a < train.indptr[u + 1]!; a++)
        buf[o + train.indices[a]!] = -Infinity;
      const m = top.select(buf, o, nItems);
      const w = (start + r) * perUser;
      for (let c = 0; c < m; c++) {
        items[w + c] = top.ids[c]!;
        scores[w + c] = top.scores[c]!;
      }
    }
  }
  return { items, scores, perUser };
}
