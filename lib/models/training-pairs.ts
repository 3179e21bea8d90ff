/**
 * The sampling side of pairwise training: positive rows in a seeded order and, per
 * positive, a negative item - one of the user's explicit negatives (label 0, e.g. an
 * LLM's disliked item) for the user's explicit share of samples (explicitShareOf), otherwise
 * a uniformly drawn item that is not one of the user's positives. Per-user sorted CSRs, no
 * per-row objects. (BPR-MF draws whole epochs with the same scheme: bpr/bpr-strata.ts.)
 */
import type { Rng } from '../training/random.ts';
import { shuffled } from '../training/training-loop.ts';
import type { TrainingSet } from './types.ts';

/** The largest share of a user's negatives taken from their explicit negatives. */
export const EXPLICIT_SHARE = 0.5;

/**
 * The share of a user's samples whose negative is one of their explicit negatives: their
 * weight over the weight of the user's positives, at most EXPLICIT_SHARE, so a disliked row
 * counts about as often as a row of its weight. (A flat half would make one disliked item
 * at weight 0.25 the negative of every other sample of a user with five positives: on the
 * demo data, LLM-like dislikes taken so cost BPR-MF 28% of its validation NDCG@10.) Sums in
 * row order, in float64, as the Python worker does.
 */
export function explicitShareOf(posWeightSum: number, negWeightSum: number): number {
  if (!(negWeightSum > 0)) return 0;
  return posWeightSum > 0 ? Math.min(EXPLICIT_SHARE, negWeightSum / posWeightSum) : EXPLICIT_SHARE;
}
/** Uniform draws rejected (as positives) before a walk to the next free item. */
export const MAX_REJECTIONS = 32;
/** Ints per packed positive: user, item, weight (float32 bits). */
export const RECORD = 3;

/**
 * The set's rows grouped by user: positives in [posPtr[u], posPtr[u+1]) of posItems and
 * posWeights (in row order), explicit negatives likewise (sorted by item: the order
 * {@link TrainingPairs.negative} picks from) and each user's explicit share. Memory: 8 bytes
 * per positive, 4 per explicit negative, 16 per user.
 */
export interface UserRows {
  posPtr: Int32Array;
  posItems: Int32Array;
  posWeights: Float32Array;
  negPtr: Int32Array;
  negItems: Int32Array;
  /** Per user, the share of their samples with an explicit negative (explicitShareOf). */
  explicitShare: Float64Array;
}

/**
 * What {@link TrainingPairs.isPositive} reads: each user's positives sorted (same
 * [posPtr[u], posPtr[u+1]) ranges as UserRows) and a one-hash Bloom filter of the
 * (user, item) positives, ~8 bits per positive: most drawn negatives are not positives,
 * and the filter says so from one bit (it fits in cache) instead of a binary search over
 * the user's items (several cache misses). A set bit falls through to the search, so
 * answers are exact. Memory: 5 bytes per positive.
 */
interface PositiveIndex {
  sorted: Int32Array;
  bits: Int32Array;
  shift: number;
}

export class TrainingPairs {
  /** Rows with label 1. */
  readonly positives: Int32Array;
  private rows: UserRows | undefined;
  private index: PositiveIndex | undefined;

  /** Validates the set (precise errors) and finds its positives; lookups come later. */
  constructor(readonly set: TrainingSet) {
    validateTrainingSet(set);
    const { n, label } = set;
    let p = 0;
    for (let k = 0; k < n; k++) if (label[k] === 1) p++;
    if (p === 0) throw new Error('the training set has no positive row (label 1)');
    this.positives = new Int32Array(p);
    for (let k = 0, q = 0; k < n; k++) if (label[k] === 1) this.positives[q++] = k;
  }

  /**
   * The rows by user, built on the first call: a trainer whose sampling runs on another
   * thread never needs them here. Samplers ask for them when they are constructed, not in
   * their first epoch.
   */
  byUser(): UserRows {
    if (this.rows) return this.rows;
    const pos = groupByUser(this.set, 1);
    const neg = groupByUser(this.set, 0);
    const explicitShare = new Float64Array(this.set.nUsers);
    const sum = (w: Float32Array, from: number, to: number) => {
      let s = 0;
      for (let k = from; k < to; k++) s += w[k]!;
      return s;
    };
    for (let u = 0; u < this.set.nUsers; u++) {
      const n0 = neg.ptr[u]!;
      const n1 = neg.ptr[u + 1]!;
      if (n0 === n1) continue;
      explicitShare[u] = explicitShareOf(
        sum(pos.weights, pos.ptr[u]!, pos.ptr[u + 1]!),
        sum(neg.weights, n0, n1),
      );
      neg.items.subarray(n0, n1).sort();
    }
    return (this.rows = {
      posPtr: pos.ptr,
      posItems: pos.items,
      posWeights: pos.weights,
      negPtr: neg.ptr,
      negItems: neg.items,
      explicitShare,
    });
  }

  private positiveIndex(): PositiveIndex {
    if (this.index) return this.index;
    const { posPtr, posItems } = this.byUser();
    const sorted = posItems.slice();
    for (let u = 0; u < this.set.nUsers; u++) sorted.subarray(posPtr[u]!, posPtr[u + 1]!).sort();
    const size = Math.max(10, Math.min(30, Math.ceil(Math.log2(8 * this.positives.length))));
    const bits = new Int32Array(2 ** (size - 5));
    const shift = 32 - size;
    for (let u = 0; u < this.set.nUsers; u++)
      for (let k = posPtr[u]!; k < posPtr[u + 1]!; k++) {
        const h = hash(u, posItems[k]!, shift);
        bits[h >>> 5]! |= 1 << (h & 31);
      }
    return (this.index = { sorted, bits, shift });
  }

  /** Positive rows in a fresh seeded order (Fisher-Yates). */
  shuffledPositives(rng: Rng): Int32Array {
    return shuffled(this.positives, rng);
  }

  /**
   * The positives as records [user, item, weight's float32 bits], RECORD ints each, in the
   * order of {@link shuffledPositives} for the same generator state (the same swaps, applied
   * to whole records). Reading them in order then costs one cache line per sample instead of
   * a random read of each column of the set (the larger part of drawing an epoch).
   */
  shuffledRecords(rng: Rng): Int32Array {
    return shuffled(this.records(), rng, RECORD);
  }

  private packed: Int32Array | undefined;

  private records(): Int32Array {
    if (this.packed) return this.packed;
    const { user, item, weight } = this.set;
    const rec = new Int32Array(RECORD * this.positives.length);
    const bits = new Float32Array(rec.buffer);
    for (let k = 0; k < this.positives.length; k++) {
      const row = this.positives[k]!;
      rec[RECORD * k] = user[row]!;
      rec[RECORD * k + 1] = item[row]!;
      bits[RECORD * k + 2] = weight[row]!;
    }
    return (this.packed = rec);
  }

  /**
   * Builds now what {@link negative} and {@link shuffledRecords} read on first use, so that
   * a sampler's first epoch does not pay for them.
   */
  prepareNegatives(): void {
    this.positiveIndex();
    this.records();
  }

  isPositive(u: number, i: number): boolean {
    const { sorted, bits, shift } = this.positiveIndex();
    const h = hash(u, i, shift);
    if ((bits[h >>> 5]! & (1 << (h & 31))) === 0) return false;
    const { posPtr } = this.byUser();
    let lo = posPtr[u]!;
    let hi = posPtr[u + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = sorted[mid]!;
      if (v === i) return true;
      if (v < i) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  /** A negative item for user u (see the class comment). */
  negative(u: number, rng: Rng): number {
    const { negPtr, negItems, explicitShare } = this.byUser();
    const n0 = negPtr[u]!;
    const nn = negPtr[u + 1]! - n0;
    if (nn > 0 && rng.next() < explicitShare[u]!) return negItems[n0 + rng.int(nn)]!;
    const nItems = this.set.nItems;
    for (let t = 0; t < MAX_REJECTIONS; t++) {
      const j = rng.int(nItems);
      if (!this.isPositive(u, j)) return j;
    }
    // A user with almost every item positive: walk from a random start to a free item.
    const start = rng.int(nItems);
    for (let d = 0; d < nItems; d++) {
      const j = (start + d) % nItems;
      if (!this.isPositive(u, j)) return j;
    }
    return start; // every item is positive: nothing better exists
  }
}

function hash(u: number, i: number, shift: number): number {
  return Math.imul(Math.imul(u, 0x9e3779b1) ^ i, 0x85ebca6b) >>> shift;
}

/** The items (and weights) of the rows labelled `label`, grouped by user (a counting sort). */
function groupByUser(
  set: TrainingSet,
  label: number,
): { ptr: Int32Array; items: Int32Array; weights: Float32Array } {
  const { n, nUsers, user } = set;
  const ptr = new Int32Array(nUsers + 1);
  for (let k = 0; k < n; k++) if (set.label[k] === label) ptr[user[k]! + 1]!++;
  for (let u = 0; u < nUsers; u++) ptr[u + 1]! += ptr[u]!;
  const items = new Int32Array(ptr[nUsers]!);
  const weights = new Float32Array(ptr[nUsers]!);
  const fill = ptr.slice(0, nUsers);
  for (let k = 0; k < n; k++) {
    if (set.label[k] !== label) continue;
    const at = fill[user[k]!]!++;
    items[at] = set.item[k]!;
    weights[at] = set.weight[k]!;
  }
  return { ptr, items, weights };
}

/** Throws naming the first bad row and column of a training set. */
export function validateTrainingSet(s: TrainingSet): void {
  const { n, nUsers, nItems } = s;
  if (!(nUsers > 0 && nItems > 1))
    throw new Error(`training set: nUsers ${nUsers}, nItems ${nItems}: expected >= 1 and >= 2`);
  for (const [name, a] of [
    ['user', s.user],
    ['item', s.item],
    ['label', s.label],
    ['weight', s.weight],
  ] as const) {
    if (a.length < n)
      throw new Error(`training set: column ${name} has ${a.length} rows, expected ${n}`);
  }
  for (let k = 0; k < n; k++) {
    const u = s.user[k]!;
    const i = s.item[k]!;
    const w = s.weight[k]!;
    const l = s.label[k]!;
    if (u < 0 || u >= nUsers)
      throw new Error(`training set row ${k}: user ${u} is not in [0, ${nUsers})`);
    if (i < 0 || i >= nItems)
      throw new Error(`training set row ${k}: item ${i} is not in [0, ${nItems})`);
    if (!(w > 0) || !Number.isFinite(w))
      throw new Error(`training set row ${k}: weight ${w} is not a finite number > 0`);
    if (l !== 0 && l !== 1) throw new Error(`training set row ${k}: label ${l} is not 0 or 1`);
  }
}
