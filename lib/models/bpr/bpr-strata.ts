/**
 * How BPR-MF's SGD splits over T threads and stays reproducible (stratified SGD, as DSGD,
 * Gemulla et al. 2011): users are split into T blocks of about equal positives, fixed for
 * the run, and each epoch the items are split into T blocks of about equal positives drawn
 * afresh from (seed, epoch). Thread t owns the users of block t and draws their samples from
 * its own seeded stream; a sample's negative is drawn from its positive's item block, so
 * each sample touches one item block. An epoch is T steps: in step r thread t steps its
 * samples of item block (t + r) mod T. Within a step no two threads touch the same user,
 * item or bias, so the result of every step is fixed by the order within a thread: the same
 * for a given (data, seed, T) on every run, whatever the threads' timing. Redrawing the item
 * blocks every epoch lets every pair of items meet as positive and negative (a fixed split
 * would never rank one block's items against the other's).
 * T = 1 is not run this way (bpr-train.ts keeps its one-thread loop).
 */
import { epochRng } from '../../training/training-loop.ts';
import type { Rng } from '../../training/random.ts';
import { MAX_REJECTIONS } from '../training-pairs.ts';
import type { TrainingPairs, UserRows } from '../training-pairs.ts';
import type { BprSamples } from './bpr-samples.ts';
import type { TrainingSet } from '../types.ts';

/**
 * A partition of ids 0..counts.length into `blocks` blocks of about equal total count:
 * largest first, each to the block with the least so far (the lowest on ties).
 */
export function balancedBlocks(counts: Int32Array, blocks: number): Int32Array {
  const order = byCount(counts);
  const load = new Float64Array(blocks);
  const out = new Int32Array(counts.length);
  for (const id of order) {
    let best = 0;
    for (let b = 1; b < blocks; b++) if (load[b]! < load[best]!) best = b;
    out[id] = best;
    load[best]! += counts[id]!;
  }
  return out;
}

/** Ids by count, largest first (the lowest id first on ties). */
export function byCount(counts: Int32Array): Int32Array {
  return Int32Array.from(counts.keys()).sort((a, b) => counts[b]! - counts[a]! || a - b);
}

/**
 * Epoch `epoch`'s item blocks: items dealt in order of popularity (`order`, from
 * {@link byCount}), each run of `blocks` items to the blocks in a seeded order, so blocks
 * get about equal positives and a fresh mix every epoch. A function of (order, seed, epoch).
 */
export function epochItemBlocks(
  order: Int32Array,
  blocks: number,
  seed: number,
  epoch: number,
): Int32Array {
  // Stream `blocks` of the epoch: the threads use streams 0 .. blocks - 1.
  const rng = threadEpochRng(seed, epoch, blocks);
  const out = new Int32Array(order.length);
  const deal = Int32Array.from({ length: blocks }, (_, b) => b);
  for (let k = 0; k < order.length; k++) {
    const slot = k % blocks;
    if (slot === 0)
      for (let x = blocks - 1; x > 0; x--) {
        const y = rng.int(x + 1);
        [deal[x], deal[y]] = [deal[y]!, deal[x]!];
      }
    out[order[k]!] = deal[slot]!;
  }
  return out;
}

/** Positives per user and per item of a set. */
export function positiveCounts(set: TrainingSet): { users: Int32Array; items: Int32Array } {
  const users = new Int32Array(set.nUsers);
  const items = new Int32Array(set.nItems);
  for (let k = 0; k < set.n; k++)
    if (set.label[k] === 1) {
      users[set.user[k]!]!++;
      items[set.item[k]!]!++;
    }
  return { users, items };
}

/** The rows (positives and explicit negatives) of the users in block `block`. */
export function rowsOfBlock(set: TrainingSet, userBlock: Int32Array, block: number): TrainingSet {
  let n = 0;
  for (let k = 0; k < set.n; k++) if (userBlock[set.user[k]!] === block) n++;
  const out: TrainingSet = {
    nUsers: set.nUsers,
    nItems: set.nItems,
    n,
    user: new Int32Array(n),
    item: new Int32Array(n),
    label: new Uint8Array(n),
    weight: new Float32Array(n),
  };
  for (let k = 0, q = 0; k < set.n; k++) {
    if (userBlock[set.user[k]!] !== block) continue;
    out.user[q] = set.user[k]!;
    out.item[q] = set.item[k]!;
    out.label[q] = set.label[k]!;
    out.weight[q++] = set.weight[k]!;
  }
  return out;
}

/** Thread `thread`'s generator for `epoch`: a function of (seed, epoch, thread) only. */
export function threadEpochRng(seed: number, epoch: number, thread: number): Rng {
  const base = epochRng(seed, epoch);
  let rng = base.fork();
  for (let t = 0; t < thread; t++) rng = base.fork();
  return rng;
}

/** Bytes of drawn records per bucket: the shuffle's random swaps stay in a core's L2 cache. */
export const BUCKET_BYTES = 1 << 18;

/**
 * One thread's samples per epoch, one stratum per item block of the epoch: its positives
 * whose item is in the block, in a seeded uniformly random order (repeated `negatives`
 * times), each with a negative from the block: one of the user's explicit negatives in the
 * block, as often as keeps their share of all its negatives at the user's explicit share
 * (training-pairs.ts's explicitShareOf) where it can,
 * else a uniform item of the block that is not a positive of the user (up to MAX_REJECTIONS
 * draws, then a walk from a random start). With one block this is the scheme of
 * TrainingPairs.negative (bpr-samples.ts's one-thread epochs), drawn in another order.
 *
 * An epoch is drawn in three passes, none of them random in a large array:
 * 1. each positive (in user order) goes to a random bucket of its item's block;
 * 2. in user order, each positive and its negatives are drawn into its bucket: the user's
 *    positives are marked in a per-item array first, so rejecting one is one cached read;
 * 3. each bucket (about BUCKET_BYTES: in L2) is shuffled (Fisher-Yates) and written out.
 * A uniform bucket per element, then a uniform order within each, then the buckets in turn,
 * is a uniformly random permutation (Rao and Sandelius), so the order is that of one
 * Fisher-Yates shuffle of the block's positives; the negatives are drawn per sample from
 * the same distribution whatever the order they are drawn in. All buffers are allocated
 * here (per positive: 8 bytes of per-user rows, 2 of bucket, 4 x (3 + negatives) drawn; 8
 * per item), and an epoch's strata are valid until the next is drawn into the same columns.
 */
export class StrataSampler {
  private readonly rows: UserRows;
  /** posWeights read as ints (a view): weights are moved as their bits. */
  private readonly weightBits: Int32Array;
  /** Ints per drawn record: user, item, weight bits, then its `negatives` negatives. */
  private readonly width: number;
  /** log2 of the buckets per block. */
  private readonly bucketBits: number;
  /** Each positive's bucket: block << bucketBits | random bucket within the block. */
  private readonly bucketOf: Uint16Array;
  /** Start of each bucket's records in `drawn` (and a write cursor per bucket). */
  private readonly bucketStart: Int32Array;
  private readonly cursor: Int32Array;
  private readonly drawn: Int32Array;
  /** marks[item] === u + 1: item is a positive of u, once u's positives are marked. */
  private readonly marks: Int32Array;
  /** The epoch's items grouped by block; block b at [poolStart[b], poolStart[b + 1]). */
  private readonly pool: Int32Array;
  private readonly poolStart: Int32Array;
  /** Per block, the current user's explicit negatives in it. */
  private readonly explicitIn: Int32Array;
  private ownColumns: Omit<BprSamples, 'n'> | undefined;

  constructor(
    pairs: TrainingPairs,
    /** Items by positives, largest first (of the whole set: every thread deals the same). */
    private readonly itemOrder: Int32Array,
    private readonly blocks: number,
    private readonly negatives: number,
    private readonly seed: number,
    private readonly thread: number,
    /** Where the strata are drawn (each column as long as an epoch's samples); else new arrays. */
    private readonly columns?: Omit<BprSamples, 'n'>,
    bucketBytes = BUCKET_BYTES,
  ) {
    this.rows = pairs.byUser();
    const { posWeights } = this.rows;
    const m = posWeights.length;
    this.weightBits = new Int32Array(posWeights.buffer, posWeights.byteOffset, m);
    if (columns) checkColumns(columns, m * negatives);
    this.width = 3 + negatives;
    const bytes = 4 * this.width * m;
    const blockBits = Math.ceil(Math.log2(blocks));
    const wanted = Math.ceil(Math.log2(Math.max(1, bytes / (blocks * bucketBytes))));
    // Bucket ids fit 16 bits.
    this.bucketBits = Math.max(0, Math.min(wanted, 16 - blockBits));
    this.bucketOf = new Uint16Array(m);
    this.bucketStart = new Int32Array((blocks << this.bucketBits) + 1);
    this.cursor = new Int32Array(blocks << this.bucketBits);
    this.drawn = new Int32Array(this.width * m);
    const nItems = pairs.set.nItems;
    this.marks = new Int32Array(nItems);
    this.pool = new Int32Array(nItems);
    this.poolStart = new Int32Array(blocks + 1);
    this.explicitIn = new Int32Array(blocks);
  }

  /** The epoch's item blocks and this thread's strata (see the class comment). */
  epoch(
    epoch: number,
    columns = this.columns ?? this.defaultColumns(),
  ): { itemBlock: Int32Array; strata: BprSamples[] } {
    checkColumns(columns, (this.drawn.length / this.width) * this.negatives);
    const itemBlock = epochItemBlocks(this.itemOrder, this.blocks, this.seed, epoch);
    this.dealPool(itemBlock);
    const rng = threadEpochRng(this.seed, epoch, this.thread);
    this.assignBuckets(itemBlock, rng);
    this.drawRecords(itemBlock, rng);
    return { itemBlock, strata: this.shuffleOut(rng, columns) };
  }

  private defaultColumns(): Omit<BprSamples, 'n'> {
    const n = (this.drawn.length / this.width) * this.negatives;
    return (this.ownColumns ??= {
      user: new Int32Array(n),
      pos: new Int32Array(n),
      neg: new Int32Array(n),
      weight: new Float32Array(n),
    });
  }

  /** The items of each block, in item order (a counting sort). */
  private dealPool(itemBlock: Int32Array): void {
    const { pool, poolStart, blocks } = this;
    poolStart.fill(0);
    for (let i = 0; i < itemBlock.length; i++) poolStart[itemBlock[i]! + 1]!++;
    for (let b = 0; b < blocks; b++) poolStart[b + 1]! += poolStart[b]!;
    const at = poolStart.slice(0, blocks);
    for (let i = 0; i < itemBlock.length; i++) pool[at[itemBlock[i]!]!++] = i;
  }

  /** Pass 1: each positive's bucket (a uniform one of its item's block), and bucket sizes. */
  private assignBuckets(itemBlock: Int32Array, rng: Rng): void {
    const { bucketOf, bucketStart, bucketBits } = this;
    const { posItems } = this.rows;
    const shift = 32 - bucketBits;
    bucketStart.fill(0);
    for (let k = 0; k < posItems.length; k++) {
      const within = bucketBits === 0 ? 0 : rng.u32() >>> shift;
      const key = (itemBlock[posItems[k]!]! << bucketBits) | within;
      bucketOf[k] = key;
      bucketStart[key + 1]!++;
    }
    for (let key = 0; key < this.cursor.length; key++) bucketStart[key + 1]! += bucketStart[key]!;
  }

  /** Pass 2: user by user, each positive and its negatives into the next slot of its bucket. */
  private drawRecords(itemBlock: Int32Array, rng: Rng): void {
    const { bucketOf, bucketStart, cursor, drawn, width, marks, weightBits, negatives } = this;
    const { pool, poolStart, explicitIn } = this;
    const { posPtr, posItems, negPtr } = this.rows;
    const shift = this.bucketBits;
    cursor.set(bucketStart.subarray(0, cursor.length));
    const nUsers = posPtr.length - 1;
    for (let u = 0; u < nUsers; u++) {
      const k0 = posPtr[u]!;
      const k1 = posPtr[u + 1]!;
      if (k0 === k1) continue;
      const mark = u + 1;
      for (let k = k0; k < k1; k++) marks[posItems[k]!] = mark;
      const explicit = negPtr[u + 1]! > negPtr[u]! ? this.explicitShare(u, itemBlock) : 0;
      for (let k = k0; k < k1; k++) {
        const key = bucketOf[k]!;
        const block = key >>> shift;
        const at = width * cursor[key]!++;
        drawn[at] = u;
        drawn[at + 1] = posItems[k]!;
        drawn[at + 2] = weightBits[k]!;
        const p0 = poolStart[block]!;
        const n = poolStart[block + 1]! - p0;
        for (let j = 0; j < negatives; j++) {
          let neg: number;
          if (explicit > 0 && explicitIn[block]! > 0 && rng.next() < explicit)
            neg = this.explicitNegative(u, block, itemBlock, rng);
          else {
            // The first uniform draw here (most are not positives), the rest out of line.
            neg = pool[p0 + rng.int(n)]!;
            if (marks[neg] === mark) neg = this.redrawn(mark, p0, n, rng);
          }
          drawn[at + 3 + j] = neg;
        }
      }
    }
  }

  /**
   * Counts u's explicit negatives per block of the epoch (into explicitIn) and returns the
   * chance of taking one in a block that holds any: the user's explicit share over the
   * chance that a block holds at least one of them, capped at 1 (only such blocks can use
   * them).
   */
  private explicitShare(u: number, itemBlock: Int32Array): number {
    const { negPtr, negItems, explicitShare } = this.rows;
    const { explicitIn, blocks } = this;
    explicitIn.fill(0);
    const n0 = negPtr[u]!;
    const n1 = negPtr[u + 1]!;
    for (let k = n0; k < n1; k++) explicitIn[itemBlock[negItems[k]!]!]!++;
    const covered = 1 - (1 - 1 / blocks) ** (n1 - n0);
    return Math.min(1, explicitShare[u]! / covered);
  }

  /** One of u's explicit negatives in `block`, uniformly. */
  private explicitNegative(u: number, block: number, itemBlock: Int32Array, rng: Rng): number {
    const { negPtr, negItems } = this.rows;
    let pick = rng.int(this.explicitIn[block]!);
    const n1 = negPtr[u + 1]!;
    for (let k = negPtr[u]!; k < n1; k++)
      if (itemBlock[negItems[k]!] === block && pick-- === 0) return negItems[k]!;
    throw new Error(`user ${u} has no explicit negative in block ${block}`); // not reached
  }

  /**
   * After a first draw was a positive: the rest of the MAX_REJECTIONS uniform draws from the
   * block's pool[p0 .. p0 + n), then (a user with almost every item of the block positive)
   * a walk from a random start to an item that is not marked as the user's (`mark`).
   */
  private redrawn(mark: number, p0: number, n: number, rng: Rng): number {
    const { pool, marks } = this;
    for (let t = 1; t < MAX_REJECTIONS; t++) {
      const j = pool[p0 + rng.int(n)]!;
      if (marks[j] !== mark) return j;
    }
    const start = rng.int(n);
    for (let d = 0; d < n; d++) {
      const j = pool[p0 + ((start + d) % n)]!;
      if (marks[j] !== mark) return j;
    }
    return pool[p0 + start]!; // every item of the block is positive: nothing better exists
  }

  /**
   * Pass 3: each bucket shuffled in place (Fisher-Yates: step k fixes position k), each
   * record written out as it is fixed: stratum b's samples are its positives in that order,
   * once per negative.
   */
  private shuffleOut(rng: Rng, columns: Omit<BprSamples, 'n'>): BprSamples[] {
    const { bucketStart, bucketBits, negatives, blocks } = this;
    const { user, pos, neg, weight } = columns;
    const out = {
      ...columns,
      weight: new Int32Array(weight.buffer, weight.byteOffset, weight.length),
    };
    const strata: BprSamples[] = [];
    for (let b = 0; b < blocks; b++) {
      const first = bucketStart[b << bucketBits]!;
      const m = bucketStart[(b + 1) << bucketBits]! - first;
      const at = first * negatives;
      for (let key = b << bucketBits; key < (b + 1) << bucketBits; key++) {
        const r0 = bucketStart[key]!;
        const r1 = bucketStart[key + 1]!;
        shuffleBucket(this.drawn, this.width, r0, r1, rng, out, at + r0 - first, m, negatives);
      }
      const n = m * negatives;
      strata.push({
        n,
        user: user.subarray(at, at + n),
        pos: pos.subarray(at, at + n),
        neg: neg.subarray(at, at + n),
        weight: weight.subarray(at, at + n),
      });
    }
    return strata;
  }
}

/** Where the cache-warming reads go, so that they are not optimized away. */
let _sink = 0;

/**
 * Fisher-Yates over the `width`-int records [r0, r1) of `drawn` (step k fixes position k),
 * each written out to sample q0 + (k - r0) (and + j * stride for its j-th negative) as it
 * is fixed: read straight from the record it swaps with, whose place k's record then takes.
 */
function shuffleBucket(
  drawn: Int32Array,
  width: number,
  r0: number,
  r1: number,
  rng: Rng,
  out: { user: Int32Array; pos: Int32Array; neg: Int32Array; weight: Int32Array },
  q0: number,
  stride: number,
  negatives: number,
): void {
  const { user, pos, neg, weight } = out;
  // One sequential read first brings the bucket into cache at streaming speed; the swaps
  // would otherwise each miss on a line not read yet.
  for (let a = width * r0; a < width * r1; a += 16) _sink ^= drawn[a]!;
  for (let k = r1 - 1; k >= r0; k--) {
    const x = width * k;
    const y = k > r0 ? width * (r0 + rng.int(k - r0 + 1)) : x;
    const q = q0 + k - r0;
    user[q] = drawn[y]!;
    pos[q] = drawn[y + 1]!;
    weight[q] = drawn[y + 2]!;
    neg[q] = drawn[y + 3]!;
    for (let j = 1; j < negatives; j++) {
      const qj = q + j * stride;
      user[qj] = drawn[y]!;
      pos[qj] = drawn[y + 1]!;
      weight[qj] = drawn[y + 2]!;
      neg[qj] = drawn[y + 3 + j]!;
    }
    drawn[y] = drawn[x]!;
    drawn[y + 1] = drawn[x + 1]!;
    drawn[y + 2] = drawn[x + 2]!;
    drawn[y + 3] = drawn[x + 3]!;
    for (let c = 4; c < width; c++) drawn[y + c] = drawn[x + c]!;
  }
}

function checkColumns(columns: Omit<BprSamples, 'n'>, n: number): void {
  if (Object.values(columns).some((c) => c.length !== n))
    throw new RangeError(`strata columns of ${columns.user.length} samples for ${n}`);
}
