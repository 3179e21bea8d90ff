/**
 * How BPR-MF's SGD splits over T threads and stays reproducible (stratified SGD, as DSGD,
 * Gemulla et al. 2011): users are split into T blocks of about equal positives, fixed for
 * the run, and each epoch the items are split into T blocks of about equal positives drawn
 * afresh from (seed, epoch). Thread t owns the users of block t and draws their samples from
 * its own seeded stream; a sample's negative is drawn from its positive's item block, so
 * each sample touches one item block. An epoch is T rounds: in round r thread t steps its
 * samples of item block (t + r) mod T. Within a round no two threads touch the same user,
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
 * One thread's samples per epoch, one stratum per item block of the epoch: its positives in
 * a seeded order (each `negatives` times), each with a negative from the positive's block.
 */
export class StrataSampler {
  constructor(
    private readonly pairs: TrainingPairs,
    /** Items by positives, largest first (of the whole set: every thread deals the same). */
    private readonly itemOrder: Int32Array,
    private readonly blocks: number,
    private readonly negatives: number,
    private readonly seed: number,
    private readonly thread: number,
  ) {}

  /** The epoch's item blocks and this thread's strata. */
  epoch(epoch: number): { itemBlock: Int32Array; strata: BprSamples[] } {
    const { pairs, blocks } = this;
    const itemBlock = epochItemBlocks(this.itemOrder, blocks, this.seed, epoch);
    const pools = Array.from({ length: blocks }, () => [] as number[]);
    for (let i = 0; i < itemBlock.length; i++) pools[itemBlock[i]!]!.push(i);
    const blockItems = pools.map((items) => Int32Array.from(items));
    const sizes = new Int32Array(blocks);
    const { item } = pairs.set;
    for (const row of pairs.positives) sizes[itemBlock[item[row]!]!]! += this.negatives;
    const strata = Array.from(sizes, (n) => ({
      n: 0,
      user: new Int32Array(n),
      pos: new Int32Array(n),
      neg: new Int32Array(n),
      weight: new Float32Array(n),
    }));
    const rng = threadEpochRng(this.seed, epoch, this.thread);
    const rec = pairs.shuffledRecords(rng);
    const weights = new Float32Array(rec.buffer);
    const end = rec.length;
    const n = (end / RECORD) * this.negatives;
    for (let k = 0, r = 0; k < n; k++) {
      const u = rec[r]!;
      const i = rec[r + 1]!;
      const b = itemBlock[i]!;
      const s = strata[b]!;
      const q = s.n++;
      s.user[q] = u;
      s.pos[q] = i;
      s.neg[q] = pairs.negativeWithin(u, rng, blockItems[b]!, itemBlock, b, blocks);
      s.weight[q] = weights[r + 2]!;
      r += RECORD;
      if (r === end) r = 0;
    }
    return { itemBlock, strata };
  }
}
