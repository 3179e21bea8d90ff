import { Rng } from './random.ts';
import type { Interactions } from './table.ts';

export interface PreprocessConfig {
  /** Rating at or above which a row is a positive; rows without rating are positives. */
  positiveThreshold: number;
  /** Minimum interactions per user and per item, applied until stable (0 = off). */
  kCore: number;
  split: 'leave-last-out' | 'random';
  ratios: { train: number; valid: number; test: number };
  seed: number;
}

export interface Splits {
  train: Interactions;
  valid: Interactions;
  test: Interactions;
  /** New dense user index -> ingest's dense user index. */
  userOrigin: Int32Array;
  /** New dense item index -> ingest's dense item index. */
  itemOrigin: Int32Array;
  counts: { input: number; positives: number; deduped: number; kcore: number; kcoreRounds: number };
}

/**
 * Positives -> dedupe (user, item) keeping the latest -> iterative k-core -> dense
 * re-index -> split. Everything is O(rows + users + items) on typed arrays: counting
 * sorts instead of comparison sorts, linear scans instead of per-user arrays.
 */
export function preprocess(
  t: Interactions,
  nUsers: number,
  nItems: number,
  cfg: PreprocessConfig,
): Splits {
  const n = t.n;
  // Without timestamps, row order stands in for time.
  let hasTs = false;
  for (let k = 0; k < n && !hasTs; k++) hasTs = !Number.isNaN(t.ts[k]!);
  const time = (k: number) => (hasTs ? t.ts[k]! : k);

  // 1. Positives.
  const keep = new Uint8Array(n);
  let positives = 0;
  for (let k = 0; k < n; k++) {
    const r = t.rating[k]!;
    if (Number.isNaN(r) || r >= cfg.positiveThreshold) {
      keep[k] = 1;
      positives++;
    }
  }

  // 2. Dedupe: rows grouped by (user, item) via two stable counting sorts.
  const byItem = countingSort(t.item, nItems, keep, n, null);
  const order = countingSort(t.user, nUsers, null, byItem.length, byItem);
  let deduped = 0;
  for (let s = 0; s < order.length;) {
    let e = s + 1;
    const u = t.user[order[s]!]!;
    const it = t.item[order[s]!]!;
    while (e < order.length && t.user[order[e]!] === u && t.item[order[e]!] === it) e++;
    let best = order[s]!;
    for (let q = s + 1; q < e; q++) {
      const k = order[q]!;
      if (time(k) >= time(best)) best = k;
      keep[k] = 0;
    }
    keep[order[s]!] = 0;
    keep[best] = 1;
    deduped++;
    s = e;
  }

  // 3. Iterative k-core on users and items.
  const uDeg = new Int32Array(nUsers);
  const iDeg = new Int32Array(nItems);
  let alive = deduped;
  let rounds = 0;
  if (cfg.kCore > 1) {
    for (;;) {
      uDeg.fill(0);
      iDeg.fill(0);
      for (let k = 0; k < n; k++) {
        if (keep[k]) {
          uDeg[t.user[k]!]!++;
          iDeg[t.item[k]!]!++;
        }
      }
      let removed = 0;
      for (let k = 0; k < n; k++) {
        if (keep[k] && (uDeg[t.user[k]!]! < cfg.kCore || iDeg[t.item[k]!]! < cfg.kCore)) {
          keep[k] = 0;
          removed++;
        }
      }
      rounds++;
      alive -= removed;
      if (removed === 0) break;
    }
  }

  // 4. Dense re-index in order of the old index (deterministic).
  const newUser = new Int32Array(nUsers).fill(-1);
  const newItem = new Int32Array(nItems).fill(-1);
  for (let k = 0; k < n; k++) {
    if (keep[k]) {
      newUser[t.user[k]!] = 0;
      newItem[t.item[k]!] = 0;
    }
  }
  const userOrigin = assignDense(newUser);
  const itemOrigin = assignDense(newItem);

  // 5. Split.
  const part = new Uint8Array(n); // 0 train, 1 valid, 2 test, 255 dropped
  part.fill(255);
  if (cfg.split === 'leave-last-out') leaveLastOut(t, keep, order, time, part);
  else randomSplit(keep, n, cfg, part);

  const take = (p: number): Interactions => {
    let m = 0;
    for (let k = 0; k < n; k++) if (part[k] === p) m++;
    const out: Interactions = {
      n: m,
      user: new Int32Array(m),
      item: new Int32Array(m),
      rating: new Float32Array(m),
      ts: new Float64Array(m),
    };
    // Rows in (user, item) order: sorted output compresses better and reads predictably.
    let j = 0;
    for (let q = 0; q < order.length; q++) {
      const k = order[q]!;
      if (part[k] !== p) continue;
      out.user[j] = newUser[t.user[k]!]!;
      out.item[j] = newItem[t.item[k]!]!;
      out.rating[j] = t.rating[k]!;
      out.ts[j] = t.ts[k]!;
      j++;
    }
    return out;
  };
  return {
    train: take(0),
    valid: take(1),
    test: take(2),
    userOrigin,
    itemOrigin,
    counts: { input: n, positives, deduped, kcore: alive, kcoreRounds: rounds },
  };
}

/**
 * Stable counting sort of row indices by `key` (values in [0, buckets)). Takes either
 * rows with `mask` set among 0..n-1, or the given `rows` order.
 */
function countingSort(
  key: Int32Array,
  buckets: number,
  mask: Uint8Array | null,
  n: number,
  rows: Int32Array | null,
): Int32Array {
  const count = new Int32Array(buckets + 1);
  let total = 0;
  for (let q = 0; q < n; q++) {
    const k = rows ? rows[q]! : q;
    if (mask && !mask[k]) continue;
    count[key[k]! + 1]!++;
    total++;
  }
  for (let b = 0; b < buckets; b++) count[b + 1]! += count[b]!;
  const out = new Int32Array(total);
  for (let q = 0; q < n; q++) {
    const k = rows ? rows[q]! : q;
    if (mask && !mask[k]) continue;
    out[count[key[k]!]!++] = k;
  }
  return out;
}

/** Marks used entries (0) with consecutive new indices; returns new -> old. */
function assignDense(map: Int32Array): Int32Array {
  let next = 0;
  for (let i = 0; i < map.length; i++) if (map[i] === 0) map[i] = next++;
  const origin = new Int32Array(next);
  for (let i = 0; i < map.length; i++) if (map[i]! >= 0) origin[map[i]!] = i;
  return origin;
}

/**
 * Per user, the latest row (by time, ties by larger item id) goes to test, the second
 * latest to valid, the rest to train. Users with fewer than 3 rows keep all in train:
 * they cannot be evaluated without leaving nothing to learn from.
 */
function leaveLastOut(
  t: Interactions,
  keep: Uint8Array,
  order: Int32Array,
  time: (k: number) => number,
  part: Uint8Array,
): void {
  const later = (a: number, b: number) =>
    time(a) > time(b) || (time(a) === time(b) && t.item[a]! > t.item[b]!);
  for (let s = 0; s < order.length;) {
    const u = t.user[order[s]!]!;
    let e = s;
    let count = 0;
    let last = -1;
    let second = -1;
    while (e < order.length && t.user[order[e]!] === u) {
      const k = order[e]!;
      e++;
      if (!keep[k]) continue;
      count++;
      part[k] = 0;
      if (last < 0 || later(k, last)) {
        second = last;
        last = k;
      } else if (second < 0 || later(k, second)) {
        second = k;
      }
    }
    if (count >= 3) {
      part[last] = 2;
      part[second] = 1;
    }
    s = e;
  }
}

function randomSplit(keep: Uint8Array, n: number, cfg: PreprocessConfig, part: Uint8Array): void {
  const rng = new Rng(cfg.seed ^ 0x5eed);
  const a = cfg.ratios.train;
  const b = a + cfg.ratios.valid;
  for (let k = 0; k < n; k++) {
    if (!keep[k]) continue;
    const r = rng.next();
    part[k] = r < a ? 0 : r < b ? 1 : 2;
  }
}
