/**
 * Preprocess: ingested interactions -> train / valid / test on dense indices. Pure, on
 * typed arrays, with no comparison sort of rows: one counting sort groups rows by user,
 * dedupe uses a per-item stamp, and each k-core round is one sequential pass over the
 * shrinking row list (rounds are few: typically < 10).
 *
 * Steps, in order:
 * 1. drop invalid rows (indices out of range, infinite ratings, bad or missing timestamps
 *    when the table has timestamps);
 * 2. positives: rating >= positiveThreshold; rows without a rating (NaN) are positives;
 * 3. dedupe (user, item), keeping the latest row (by timestamp, then by row order);
 * 4. iterative k-core on users and items;
 * 5. dense re-index in order of the ingest index (ID maps and item metadata follow);
 * 6. split (see `split.ts`).
 */
import type { IdMap } from './id-map.ts';
import { leaveLastOut, randomSplit } from './split.ts';
import { computeStats } from './stats.ts';
import type { DataStats } from './stats.ts';
import { emptyItemMeta, selectItemMeta } from './table.ts';
import type { Interactions, ItemMeta } from './table.ts';

export interface PreprocessConfig {
  /** A row is a positive when rating >= this; rows without a rating always are. @default 4 */
  positiveThreshold: number;
  /** Minimum rows per user and per item, applied until stable; 0 or 1 = off. @default 5 */
  kCore: number;
  /** @default leave-last-out */
  split: 'leave-last-out' | 'random';
  /** Ratios of the random split. @default 0.8 / 0.1 / 0.1 */
  ratios?: { train: number; valid: number; test: number };
  /** Seed of the random split. @default 42 */
  seed?: number;
}

/** The ingested data preprocess starts from. */
export interface PreprocessInput {
  table: Interactions;
  users: IdMap;
  items: IdMap;
  /** Item metadata aligned to `items`; empty metadata when absent. */
  meta?: ItemMeta;
}

export interface PreprocessResult {
  train: Interactions;
  valid: Interactions;
  test: Interactions;
  /** Original IDs of the new dense indices. */
  users: IdMap;
  items: IdMap;
  /** Item metadata aligned to the new item indices. */
  meta: ItemMeta;
  /** New dense index -> ingest's dense index. */
  userOrigin: Int32Array;
  itemOrigin: Int32Array;
  stats: DataStats;
  /** What "latest" means for dedupe and leave-last-out: the timestamps, or without them the file order. */
  order: 'timestamp' | 'file';
  /** Rows left after each step. */
  counts: {
    input: number;
    invalid: number;
    positives: number;
    afterDedupe: number;
    afterKCore: number;
    /** Rounds until no user or item was below k (the last round removes nothing). */
    kCoreRounds: number;
    /** Users / items that had rows after dedupe but none after the k-core. */
    kCoreRemovedUsers: number;
    kCoreRemovedItems: number;
    /** Lowest and highest rating among the valid rows (NaN when no row has one). */
    ratingMin: number;
    ratingMax: number;
  };
}

/**
 * Runs the steps above. Output rows are grouped by user (ascending new index), in input
 * order within a user; every user and item index in [0, users.size) / [0, items.size)
 * has at least one row in some split.
 */
export function preprocess(input: PreprocessInput, cfg: PreprocessConfig): PreprocessResult {
  const t = input.table;
  const n = t.n;
  const nUsers = input.users.size;
  const nItems = input.items.size;
  const { user, item, rating, ts } = t;

  // 1 + 2. Valid positives.
  let hasTs = false;
  for (let k = 0; k < n && !hasTs; k++) hasTs = ts[k] === ts[k];
  const keep = new Uint8Array(n);
  let invalid = 0;
  let positives = 0;
  let ratingMin = Infinity;
  let ratingMax = -Infinity;
  const threshold = cfg.positiveThreshold;
  for (let k = 0; k < n; k++) {
    const u = user[k]!;
    const i = item[k]!;
    const r = rating[k]!;
    const time = ts[k]!;
    if (
      !(u >= 0 && u < nUsers && i >= 0 && i < nItems) ||
      r === Infinity ||
      r === -Infinity ||
      (hasTs && !(time >= 0 && time < Infinity))
    ) {
      invalid++;
      continue;
    }
    if (r < ratingMin) ratingMin = r;
    if (r > ratingMax) ratingMax = r;
    if (r !== r || r >= threshold) {
      keep[k] = 1;
      positives++;
    }
  }

  // 3. Gather kept rows into user-grouped columns (one stable counting sort). Every later
  // pass then reads memory sequentially: random gathers through a row-index list would
  // miss the cache on every access, which dominates at 10M rows.
  // Without timestamps, the row's position in the file stands in for time (set back to
  // NaN in the output).
  const g = groupByUser(t, nUsers, keep, positives, !hasTs);
  const U = g.user;
  const I = g.item;
  const R = g.rating;
  const T = g.ts;
  // Dedupe each user's rows with a per-item stamp: no sort by item needed.
  const stampUser = new Int32Array(nItems).fill(-1);
  const stampPos = new Int32Array(nItems);
  let m = 0;
  for (let q = 0; q < positives; q++) {
    const u = U[q]!;
    const i = I[q]!;
    if (stampUser[i] === u) {
      // Duplicate (user, item): the latest timestamp wins; on a tie the later row, as rows
      // keep file order within a user.
      const at = stampPos[i]!;
      if (T[q]! >= T[at]!) {
        R[at] = R[q]!;
        T[at] = T[q]!;
      }
      continue;
    }
    stampUser[i] = u;
    stampPos[i] = m;
    U[m] = u;
    I[m] = i;
    R[m] = R[q]!;
    T[m] = T[q]!;
    m++;
  }
  const afterDedupe = m;

  // 4. k-core: count degrees, drop rows of users or items below k, repeat until nothing
  // changes. Each round is one sequential pass over the shrinking columns.
  let rounds = 0;
  let removedUsers = 0;
  let removedItems = 0;
  if (cfg.kCore > 1) {
    const k = cfg.kCore;
    const uDeg = new Int32Array(nUsers);
    const iDeg = new Int32Array(nItems);
    for (;;) {
      uDeg.fill(0);
      iDeg.fill(0);
      for (let q = 0; q < m; q++) {
        uDeg[U[q]!]!++;
        iDeg[I[q]!]!++;
      }
      if (rounds === 0) {
        for (let u = 0; u < nUsers; u++) if (uDeg[u]! > 0) removedUsers++;
        for (let i = 0; i < nItems; i++) if (iDeg[i]! > 0) removedItems++;
      }
      rounds++;
      let j = 0;
      for (let q = 0; q < m; q++) {
        const u = U[q]!;
        const i = I[q]!;
        if (uDeg[u]! < k || iDeg[i]! < k) continue;
        U[j] = u;
        I[j] = i;
        R[j] = R[q]!;
        T[j] = T[q]!;
        j++;
      }
      if (j === m) break;
      m = j;
    }
    // Users and items present before minus those left (the last round removed nothing).
    for (let u = 0; u < nUsers; u++) if (uDeg[u]! > 0) removedUsers--;
    for (let i = 0; i < nItems; i++) if (iDeg[i]! > 0) removedItems--;
  }
  const afterKCore = m;

  // 5. Dense re-index in order of the ingest index.
  const newUser = new Int32Array(nUsers).fill(-1);
  const newItem = new Int32Array(nItems).fill(-1);
  for (let q = 0; q < m; q++) {
    newUser[U[q]!] = 0;
    newItem[I[q]!] = 0;
  }
  const userOrigin = assignDense(newUser);
  const itemOrigin = assignDense(newItem);
  for (let q = 0; q < m; q++) {
    U[q] = newUser[U[q]!]!;
    I[q] = newItem[I[q]!]!;
  }
  const kept: Interactions = {
    n: m,
    user: U.subarray(0, m),
    item: I.subarray(0, m),
    rating: R.subarray(0, m),
    ts: T.subarray(0, m),
  };

  // 6. Split the kept rows (grouped by user, file order within a user).
  const part =
    cfg.split === 'random'
      ? randomSplit(m, cfg.ratios ?? { train: 0.8, valid: 0.1, test: 0.1 }, cfg.seed ?? 42)
      : leaveLastOut(kept.user, kept.item, kept.ts);
  if (!hasTs) kept.ts.fill(NaN);
  const [train, valid, test] = partition(kept, part);
  const users = input.users.select(userOrigin);
  const items = input.items.select(itemOrigin);
  const meta = selectItemMeta(input.meta ?? emptyItemMeta(nItems), itemOrigin);
  return {
    train,
    valid,
    test,
    users,
    items,
    meta,
    userOrigin,
    itemOrigin,
    stats: computeStats(train, valid, test, users.size, items.size),
    order: hasTs ? 'timestamp' : 'file',
    counts: {
      input: n,
      invalid,
      positives,
      afterDedupe,
      afterKCore,
      kCoreRounds: rounds,
      kCoreRemovedUsers: removedUsers,
      kCoreRemovedItems: removedItems,
      ratingMin: ratingMin === Infinity ? NaN : ratingMin,
      ratingMax: ratingMax === -Infinity ? NaN : ratingMax,
    },
  };
}

/** Marks used entries (0) with consecutive new indices; returns new -> old. */
function assignDense(map: Int32Array): Int32Array {
  let next = 0;
  for (let i = 0; i < map.length; i++) if (map[i] === 0) map[i] = next++;
  const origin = new Int32Array(next);
  for (let i = 0; i < map.length; i++) if (map[i]! >= 0) origin[map[i]!] = i;
  return origin;
}

/** Rows with `keep` set, copied into new columns grouped by user (stable counting sort). */
function groupByUser(
  t: Interactions,
  nUsers: number,
  keep: Uint8Array,
  count: number,
  rowAsTime: boolean,
): Interactions {
  const next = new Int32Array(nUsers + 1);
  const { user, item, rating, ts } = t;
  for (let k = 0; k < t.n; k++) if (keep[k]) next[user[k]! + 1]!++;
  for (let u = 0; u < nUsers; u++) next[u + 1]! += next[u]!;
  const out: Interactions = {
    n: count,
    user: new Int32Array(count),
    item: new Int32Array(count),
    rating: new Float32Array(count),
    ts: new Float64Array(count),
  };
  for (let k = 0; k < t.n; k++) {
    if (!keep[k]) continue;
    const u = user[k]!;
    const p = next[u]!++;
    out.user[p] = u;
    out.item[p] = item[k]!;
    out.rating[p] = rating[k]!;
    out.ts[p] = rowAsTime ? k : ts[k]!;
  }
  return out;
}

/** Rows of `t` into three tables by `part` (0, 1, 2), in one pass after counting. */
function partition(t: Interactions, part: Uint8Array): [Interactions, Interactions, Interactions] {
  const sizes = [0, 0, 0];
  for (let k = 0; k < t.n; k++) sizes[part[k]!]!++;
  const out = sizes.map((m) => ({
    n: m,
    user: new Int32Array(m),
    item: new Int32Array(m),
    rating: new Float32Array(m),
    ts: new Float64Array(m),
  })) as [Interactions, Interactions, Interactions];
  const at = [0, 0, 0];
  for (let k = 0; k < t.n; k++) {
    const p = part[k]!;
    const o = out[p]!;
    const j = at[p]!++;
    o.user[j] = t.user[k]!;
    o.item[j] = t.item[k]!;
    o.rating[j] = t.rating[k]!;
    o.ts[j] = t.ts[k]!;
  }
  return out;
}
