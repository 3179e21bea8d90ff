/**
 * Train / valid / test assignment over kept rows. Pure functions of their inputs: the
 * same rows (and seed) always give the same split.
 */
import { Rng } from '../training/random.ts';

export const SPLIT_TRAIN = 0;
export const SPLIT_VALID = 1;
export const SPLIT_TEST = 2;

/** Users need this many rows to give one to test and one to valid. */
export const LEAVE_LAST_OUT_MIN_ROWS = 3;

/**
 * Temporal leave-last-out per user over rows grouped by user (`user[k]` runs). For each
 * user with at least 3 rows, the latest row goes to test and the second latest to valid;
 * the rest stay in train. "Latest" is by timestamp, ties broken by the larger (dense) item
 * index; without timestamps (`ts` null) by position, i.e. file order. Users with 1 or 2
 * rows keep all of them in train: holding one out would leave too little to learn from
 * (and with kCore >= 3 there are none). Returns the part of each row (0 train, 1 valid,
 * 2 test).
 */
export function leaveLastOut(
  user: Int32Array,
  item: Int32Array,
  ts: Float64Array | null,
): Uint8Array {
  const n = user.length;
  const part = new Uint8Array(n); // all train
  for (let s = 0; s < n;) {
    const u = user[s]!;
    let e = s;
    let last = -1;
    let second = -1;
    while (e < n && user[e] === u) {
      if (last < 0 || later(e, last, item, ts)) {
        second = last;
        last = e;
      } else if (second < 0 || later(e, second, item, ts)) {
        second = e;
      }
      e++;
    }
    if (e - s >= LEAVE_LAST_OUT_MIN_ROWS) {
      part[last] = SPLIT_TEST;
      part[second] = SPLIT_VALID;
    }
    s = e;
  }
  return part;
}

function later(a: number, b: number, item: Int32Array, ts: Float64Array | null): boolean {
  if (!ts) return a > b;
  const ta = ts[a]!;
  const tb = ts[b]!;
  return ta > tb || (ta === tb && item[a]! > item[b]!);
}

/**
 * Seeded random split: each row independently goes to train / valid / test with the given
 * ratios (which must sum to 1).
 */
export function randomSplit(
  count: number,
  ratios: { train: number; valid: number; test: number },
  seed: number,
): Uint8Array {
  const sum = ratios.train + ratios.valid + ratios.test;
  if (!(Math.abs(sum - 1) < 1e-9) || ratios.train < 0 || ratios.valid < 0 || ratios.test < 0)
    throw new Error(`split ratios must be non-negative and sum to 1 (got ${sum})`);
  const rng = new Rng((seed ^ 0x5eed5eed) >>> 0);
  const a = ratios.train;
  const b = a + ratios.valid;
  const part = new Uint8Array(count);
  for (let q = 0; q < count; q++) {
    const r = rng.next();
    part[q] = r < a ? SPLIT_TRAIN : r < b ? SPLIT_VALID : SPLIT_TEST;
  }
  return part;
}
