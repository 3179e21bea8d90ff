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
import type { BprSamples } from './bpr-samples.ts';
import { RECORD } from '../training-pairs.ts';
import type { TrainingPairs } from '../training-pairs.ts';
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

/**
 * One thread's samples per epoch, one stratum per item block of the epoch: its positives
 * whose item is in the block, in a seeded order (each `negatives` times), each with a
 * negative from the block. The positives are grouped by block first and each group is
 * shuffled apart (a group is 1/T of the thread's records, so the shuffle's random swaps
 * range over less memory), straight into the buffers the strata are views of: nothing of
 * the epoch's size is allocated per epoch. An epoch's strata are valid until the next is
 * drawn.
 */
export class StrataSampler {
  /** This thread's positives as [user, item, weight's float32 bits] records, in row order. */
  private readonly records: Int32Array;
  /** The records grouped by the epoch's item block, each group shuffled. */
  private readonly grouped: Int32Array;
  /** Every stratum's samples, one stratum after another. */
  private readonly columns: Omit<BprSamples, 'n'>;

  constructor(
    private readonly pairs: TrainingPairs,
    /** Items by positives, largest first (of the whole set: every thread deals the same). */
    private readonly itemOrder: Int32Array,
    private readonly blocks: number,
    private readonly negatives: number,
    private readonly seed: number,
    private readonly thread: number,
    /** Where the strata are drawn (each column as long as an epoch's samples); else new arrays. */
    columns?: Omit<BprSamples, 'n'>,
  ) {
    const { positives, set } = pairs;
    this.records = new Int32Array(RECORD * positives.length);
    const bits = new Float32Array(this.records.buffer);
    positives.forEach((row, k) => {
      this.records[RECORD * k] = set.user[row]!;
      this.records[RECORD * k + 1] = set.item[row]!;
      bits[RECORD * k + 2] = set.weight[row]!;
    });
    this.grouped = new Int32Array(this.records.length);
    const n = positives.length * negatives;
    if (columns && Object.values(columns).some((c) => c.length !== n))
      throw new RangeError(`strata columns of ${columns.user.length} samples for ${n}`);
    this.columns = columns ?? {
      user: new Int32Array(n),
      pos: new Int32Array(n),
      neg: new Int32Array(n),
      weight: new Float32Array(n),
    };
  }

  /** The epoch's item blocks and this thread's strata (see the class comment). */
  epoch(epoch: number): { itemBlock: Int32Array; strata: BprSamples[] } {
    const { pairs, blocks, negatives, records, grouped, columns } = this;
    const itemBlock = epochItemBlocks(this.itemOrder, blocks, this.seed, epoch);
    const pools = Array.from({ length: blocks }, () => [] as number[]);
    for (let i = 0; i < itemBlock.length; i++) pools[itemBlock[i]!]!.push(i);
    const blockItems = pools.map((items) => Int32Array.from(items));
    // Group the records by their item's block (a counting sort: row order within a block).
    const first = new Int32Array(blocks + 1);
    for (let r = 1; r < records.length; r += RECORD) first[itemBlock[records[r]!]! + 1]!++;
    for (let b = 0; b < blocks; b++) first[b + 1]! += first[b]!;
    const fill = first.slice(0, blocks);
    for (let r = 0; r < records.length; r += RECORD) {
      const to = RECORD * fill[itemBlock[records[r + 1]!]!]!++;
      grouped[to] = records[r]!;
      grouped[to + 1] = records[r + 1]!;
      grouped[to + 2] = records[r + 2]!;
    }
    const weights = new Float32Array(grouped.buffer);
    const rng = threadEpochRng(this.seed, epoch, this.thread);
    const strata: BprSamples[] = [];
    for (let b = 0; b < blocks; b++) {
      const start = RECORD * first[b]!;
      const end = RECORD * first[b + 1]!;
      shuffleRecords(grouped, start, end, rng);
      const at = first[b]! * negatives;
      const n = (first[b + 1]! - first[b]!) * negatives;
      const s: BprSamples = {
        n,
        user: columns.user.subarray(at, at + n),
        pos: columns.pos.subarray(at, at + n),
        neg: columns.neg.subarray(at, at + n),
        weight: columns.weight.subarray(at, at + n),
      };
      for (let k = 0, r = start; k < n; k++) {
        const u = grouped[r]!;
        s.user[k] = u;
        s.pos[k] = grouped[r + 1]!;
        s.neg[k] = pairs.negativeWithin(u, rng, blockItems[b]!, itemBlock, b, blocks);
        s.weight[k] = weights[r + 2]!;
        r += RECORD;
        if (r === end) r = start;
      }
      strata.push(s);
    }
    return { itemBlock, strata };
  }
}

/** A seeded Fisher-Yates shuffle, in place, of the RECORD-int records in a[start .. end). */
function shuffleRecords(a: Int32Array, start: number, end: number, rng: Rng): void {
  for (let k = (end - start) / RECORD - 1; k > 0; k--) {
    const x = start + RECORD * k;
    const y = start + RECORD * rng.int(k + 1);
    for (let c = 0; c < RECORD; c++) {
      const t = a[x + c]!;
      a[x + c] = a[y + c]!;
      a[y + c] = t;
    }
  }
}
