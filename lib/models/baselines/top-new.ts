/**
 * A quick base model's top new items per user: item kNN fitted on the train split (no
 * training loop) ranks the items each user has not interacted with. The LLM expansion's
 * candidates (after LLMRec, whose base model proposes them) and resample's hard negatives.
 * Each also comes as steps (lib/async/steps.ts), so activities let the event loop in
 * between chunks of users.
 */
import { runSteps, runStepsAsync } from '../../async/steps.ts';
import type { Steps } from '../../async/steps.ts';
import { csrFromCoo } from '../../eval/csr.ts';
import { TopKSelector } from '../../eval/topk.ts';
import type { Csr, Scorer } from '../../eval/types.ts';
import { ItemKnnScorer } from './item-knn.ts';

export interface TopNewItems {
  /** `items[u * perUser + c]`: candidate c of the r-th requested user (-1 when fewer). */
  items: Int32Array;
  /** Base-model score of each candidate. */
  scores: Float32Array;
  perUser: number;
}

/** Top `perUser` items not in each user's train history, best first. */
export function topNewItems(...args: Parameters<typeof topNewItemsSteps>): TopNewItems {
  return runSteps(topNewItemsSteps(...args));
}

export function topNewItemsAsync(
  ...args: Parameters<typeof topNewItemsSteps>
): Promise<TopNewItems> {
  return runStepsAsync(topNewItemsSteps(...args));
}

function* topNewItemsSteps(
  train: Csr,
  nItems: number,
  users: Int32Array,
  perUser: number,
): Steps<TopNewItems> {
  const knn = yield* ItemKnnScorer.fitSteps(train, nItems);
  return yield* topUnseenSteps(knn, train, nItems, users, perUser);
}

/** Items a ranking must not propose beyond the user's own `seen` rows. */
export interface UnseenExclusions {
  /** Per user, more items to leave out (e.g. the validation split). */
  rows?: Csr;
  /** 1 = never proposed to anyone (e.g. the most popular items). */
  items?: Uint8Array;
}

/**
 * Any scorer's top `perUser` items for each of `users`, leaving out the user's `seen` items
 * and the `exclude`d ones; best first (ties: lower item id), -1 where fewer remain.
 */
export function topUnseenItemsAsync(
  ...args: Parameters<typeof topUnseenSteps>
): Promise<TopNewItems> {
  return runStepsAsync(topUnseenSteps(...args));
}

function* topUnseenSteps(
  scorer: Scorer,
  seen: Csr,
  nItems: number,
  users: Int32Array,
  perUser: number,
  exclude: UnseenExclusions = {},
): Steps<TopNewItems> {
  const items = new Int32Array(users.length * perUser).fill(-1);
  const scores = new Float32Array(users.length * perUser);
  const top = new TopKSelector(perUser);
  const chunk = Math.max(1, Math.floor(4_194_304 / nItems));
  const buf = new Float32Array(chunk * nItems);
  const mask = (rows: Csr, u: number, o: number) => {
    for (let a = rows.indptr[u]!; a < rows.indptr[u + 1]!; a++)
      buf[o + rows.indices[a]!] = -Infinity;
  };
  for (let start = 0; start < users.length; start += chunk) {
    const batch = users.subarray(start, Math.min(users.length, start + chunk));
    scorer.scoreUsers(batch, buf);
    for (let r = 0; r < batch.length; r++) {
      const u = batch[r]!;
      const o = r * nItems;
      mask(seen, u, o);
      if (exclude.rows) mask(exclude.rows, u, o);
      if (exclude.items)
        for (let i = 0; i < nItems; i++) if (exclude.items[i]) buf[o + i] = -Infinity;
      const m = top.select(buf, o, nItems);
      const w = (start + r) * perUser;
      for (let c = 0; c < m; c++) {
        items[w + c] = top.ids[c]!;
        scores[w + c] = top.scores[c]!;
      }
    }
    yield;
  }
  return { items, scores, perUser };
}

/** The same lists for every user as a CSR over users (rows of users not asked are empty). */
export function topNewItemsCsr(...args: Parameters<typeof topNewItemsCsrSteps>): Csr {
  return runSteps(topNewItemsCsrSteps(...args));
}

export function topNewItemsCsrAsync(...args: Parameters<typeof topNewItemsCsrSteps>): Promise<Csr> {
  return runStepsAsync(topNewItemsCsrSteps(...args));
}

function* topNewItemsCsrSteps(train: Csr, nItems: number, perUser: number): Steps<Csr> {
  const nUsers = train.indptr.length - 1;
  const users = Int32Array.from({ length: nUsers }, (_, u) => u);
  const top = yield* topNewItemsSteps(train, nItems, users, perUser);
  let n = 0;
  const user = new Int32Array(top.items.length);
  const item = new Int32Array(top.items.length);
  for (let k = 0; k < top.items.length; k++) {
    if (top.items[k]! < 0) continue;
    user[n] = Math.floor(k / perUser);
    item[n++] = top.items[k]!;
  }
  return csrFromCoo(user, item, n, nUsers);
}

/**
 * The item-kNN score of each (user, item) row: how plausible a base model finds a synthetic
 * positive (LLMRec prunes the least plausible). Each distinct user is scored once.
 */
export function knnRowScores(...args: Parameters<typeof knnRowScoresSteps>): Float32Array {
  return runSteps(knnRowScoresSteps(...args));
}

export function knnRowScoresAsync(
  ...args: Parameters<typeof knnRowScoresSteps>
): Promise<Float32Array> {
  return runStepsAsync(knnRowScoresSteps(...args));
}

function* knnRowScoresSteps(
  train: Csr,
  nItems: number,
  rows: { n: number; user: Int32Array; item: Int32Array },
  /** An item-kNN already fitted on `train` with the default options, to reuse. */
  fitted?: ItemKnnScorer,
): Steps<Float32Array> {
  const knn = fitted ?? (yield* ItemKnnScorer.fitSteps(train, nItems));
  const out = new Float32Array(rows.n);
  const buf = new Float32Array(nItems);
  const one = new Int32Array(1);
  let current = -1;
  for (let k = 0; k < rows.n; k++) {
    const u = rows.user[k]!;
    if (u !== current) {
      one[0] = u;
      knn.scoreUsers(one, buf);
      current = u;
      yield;
    }
    out[k] = buf[rows.item[k]!]!;
  }
  return out;
}
