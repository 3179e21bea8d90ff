/**
 * The sampling side of pairwise training: positive rows in a seeded order and, per
 * positive, a negative item - one of the user's explicit negatives (label 0, e.g. an
 * LLM's disliked item) half of the time when the user has any, otherwise a uniformly drawn
 * item that is not one of the user's positives. Per-user sorted CSRs, no per-row objects.
 */
import type { Rng } from '../training/random.ts';
import { shuffled } from '../training/training-loop.ts';
import type { TrainingSet } from './types.ts';

/** Share of negatives taken from the user's explicit negatives, when there are some. */
const EXPLICIT_SHARE = 0.5;
const MAX_REJECTIONS = 32;
/** Ints per packed positive: user, item, weight (float32 bits). */
export const RECORD = 3;

/** Per-user lookups of the set, built on first use (see {@link TrainingPairs.lookup}). */
interface Lookup {
  posPtr: Int32Array;
  posItems: Int32Array;
  negPtr: Int32Array;
  negItems: Int32Array;
  /**
   * A one-hash Bloom filter of the (user, item) positives, ~8 bits per positive: most drawn
   * negatives are not positives, and the filter says so from one bit (it fits in cache)
   * instead of a binary search over the user's items (several cache misses). A set bit
   * falls through to the search, so answers are exact.
   */
  filter: Int32Array;
  filterShift: number;
}

export class TrainingPairs {
  /** Rows with label 1. */
  readonly positives: Int32Array;
  private built: Lookup | undefined;

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
   * The per-user CSRs and the filter, built when a negative is first drawn: a trainer whose
   * sampling runs on a worker thread never draws here, and at 10M rows they cost about a
   * second of the training thread's time.
   */
  private lookup(): Lookup {
    if (this.built) return this.built;
    const { n, nUsers, user, item, label } = this.set;
    const [posPtr, posItems] = byUser(nUsers, n, user, item, (k) => label[k] === 1);
    const [negPtr, negItems] = byUser(nUsers, n, user, item, (k) => label[k] === 0);
    const bits = Math.max(10, Math.min(30, Math.ceil(Math.log2(8 * this.positives.length))));
    const filter = new Int32Array(2 ** (bits - 5));
    const filterShift = 32 - bits;
    for (let k = 0; k < n; k++) {
      if (label[k] !== 1) continue;
      const h = hash(user[k]!, item[k]!, filterShift);
      filter[h >>> 5]! |= 1 << (h & 31);
    }
    return (this.built = { posPtr, posItems, negPtr, negItems, filter, filterShift });
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

  isPositive(u: number, i: number): boolean {
    const { filter, filterShift, posPtr, posItems } = this.lookup();
    const h = hash(u, i, filterShift);
    if ((filter[h >>> 5]! & (1 << (h & 31))) === 0) return false;
    let lo = posPtr[u]!;
    let hi = posPtr[u + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const v = posItems[mid]!;
      if (v === i) return true;
      if (v < i) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  /** A negative item for user u (see the class comment). */
  negative(u: number, rng: Rng): number {
    const { negPtr, negItems } = this.lookup();
    const n0 = negPtr[u]!;
    const nn = negPtr[u + 1]! - n0;
    if (nn > 0 && rng.next() < EXPLICIT_SHARE) return negItems[n0 + rng.int(nn)]!;
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
  /**
   * A negative item for user u among `pool` (the items of one of `blocks` blocks of a
   * random partition of the catalog, `blockOf[item] === block`), drawn as {@link negative}
   * draws from the whole catalog: one of the user's explicit negatives in the block when
   * there are some, else a uniform item of the pool that is not a positive of u. The share
   * of explicit ones is raised so that, over the blocks, it stays EXPLICIT_SHARE as far as
   * it can (only the blocks holding one of the user's explicit negatives can use them).
   */
  negativeWithin(
    u: number,
    rng: Rng,
    pool: Int32Array,
    blockOf: Int32Array,
    block: number,
    blocks: number,
  ): number {
    const { negPtr, negItems } = this.lookup();
    const n0 = negPtr[u]!;
    const n1 = negPtr[u + 1]!;
    let inBlock = 0;
    for (let k = n0; k < n1; k++) if (blockOf[negItems[k]!] === block) inBlock++;
    if (inBlock > 0) {
      // The chance that a block holds at least one of the user's n1 - n0 explicit negatives
      // (worked out only here: most users have none in the block).
      const covered = 1 - (1 - 1 / blocks) ** (n1 - n0);
      if (rng.next() < Math.min(1, EXPLICIT_SHARE / covered)) {
        let pick = rng.int(inBlock);
        for (let k = n0; k < n1; k++)
          if (blockOf[negItems[k]!] === block && pick-- === 0) return negItems[k]!;
      }
    }
    const n = pool.length;
    for (let t = 0; t < MAX_REJECTIONS; t++) {
      const j = pool[rng.int(n)]!;
      if (!this.isPositive(u, j)) return j;
    }
    const start = rng.int(n);
    for (let d = 0; d < n; d++) {
      const j = pool[(start + d) % n]!;
      if (!this.isPositive(u, j)) return j;
    }
    return pool[start]!; // every item of the block is positive: nothing better exists
  }
}

function hash(u: number, i: number, shift: number): number {
  return Math.imul(Math.imul(u, 0x9e3779b1) ^ i, 0x85ebca6b) >>> shift;
}

/** Items of the rows passing `keep`, grouped by user and sorted: [indptr, items]. */
function byUser(
  nUsers: number,
  n: number,
  user: Int32Array,
  item: Int32Array,
  keep: (k: number) => boolean,
): [Int32Array, Int32Array] {
  const ptr = new Int32Array(nUsers + 1);
  for (let k = 0; k < n; k++) if (keep(k)) ptr[user[k]! + 1]!++;
  for (let u = 0; u < nUsers; u++) ptr[u + 1]! += ptr[u]!;
  const items = new Int32Array(ptr[nUsers]!);
  const fill = ptr.slice(0, nUsers);
  for (let k = 0; k < n; k++) if (keep(k)) items[fill[user[k]!]!++] = item[k]!;
  for (let u = 0; u < nUsers; u++) items.subarray(ptr[u]!, ptr[u + 1]!).sort();
  return [ptr, items];
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
