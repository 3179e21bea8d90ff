/**
 * BPR-MF's SGD on T threads over weights in a shared wasm memory (bpr-strata.ts: how the
 * work is split so that results are reproducible for a given T). This thread partitions
 * the set, starts the threads, and per epoch posts one job to each and sums the losses
 * they answer in thread order; it only waits meanwhile. Within the epoch each thread draws
 * its samples, then steps its strata one per step, meeting the others at a barrier between
 * steps (thread-pool.ts ThreadBarrier), so the epoch costs one message round, not one per
 * step.
 */
import type { ArenaPlace, WasmArena } from '../../compute/arena.ts';
import type { WasmMemory } from '../../compute/wasm-writer.ts';
import { ThreadBarrier, ThreadPool } from '../../compute/thread-pool.ts';
import type { TrainingPairs } from '../training-pairs.ts';
import type { TrainingSet } from '../types.ts';
import type { BprMfWeights } from './bpr-mf.ts';
import { balancedBlocks, byCount, positiveCounts, rowsOfBlock } from './bpr-strata.ts';

/** Floats of scratch each thread needs in the shared memory (its `sq`, 16-byte aligned). */
export const SCRATCH_PER_THREAD = 4;

export interface BprThreadInit {
  memory: WasmMemory;
  bytes: number;
  dim: number;
  /** Byte offsets of the factor tables. */
  users: number;
  items: number;
  bias: ArenaPlace;
  sq: ArenaPlace;
  /** The rows of this thread's users. */
  rows: TrainingSet;
  /** Items by positives, largest first (see bpr-strata.ts epochItemBlocks). */
  itemOrder: Int32Array;
  /** Item blocks: strata per thread and steps per epoch (as many as threads). */
  blocks: number;
  thread: number;
  /** The barrier the threads meet at between steps. */
  barrier: ReturnType<typeof ThreadBarrier.state>;
  seed: number;
  negatives: number;
}

export interface BprJob {
  epoch: number;
  lr: number;
  l2: number;
}

export interface BprJobResult {
  reg: number;
  logLik: number;
  samples: number;
}

/** The most threads `set` can use: each needs users with positives and items to draw from. */
export function maxBprThreads(set: TrainingSet): number {
  const { users } = positiveCounts(set);
  const active = users.reduce((n, c) => n + (c > 0 ? 1 : 0), 0);
  return Math.max(1, Math.min(active, Math.floor(set.nItems / 2)));
}

export class BprThreads {
  private constructor(
    private readonly pool: ThreadPool<BprJob, BprJobResult>,
    private readonly lr: number,
    private readonly l2: number,
  ) {}

  /**
   * Starts `threads` threads on `w` (in `arena`, shared) with `scratch`
   * ({@link SCRATCH_PER_THREAD} floats per thread, in the arena).
   */
  static async start(
    pairs: TrainingPairs,
    arena: WasmArena,
    w: BprMfWeights,
    scratch: Float32Array,
    o: { threads: number; seed: number; negatives: number; lr: number; l2: number },
    signal?: AbortSignal,
  ): Promise<BprThreads> {
    const T = o.threads;
    const counts = positiveCounts(pairs.set);
    const userBlock = balancedBlocks(counts.users, T);
    const itemOrder = byCount(counts.items);
    const barrier = ThreadBarrier.state(T);
    const inits = Array.from({ length: T }, (_, t): BprThreadInit => ({
      memory: arena.memory,
      bytes: arena.bytes,
      dim: w.dim,
      users: arena.offsetOf(w.users),
      items: arena.offsetOf(w.items),
      bias: arena.placeOf(w.itemBias),
      sq: arena.placeOf(scratch.subarray(SCRATCH_PER_THREAD * t, SCRATCH_PER_THREAD * (t + 1))),
      rows: rowsOfBlock(pairs.set, userBlock, t),
      itemOrder,
      blocks: T,
      thread: t,
      barrier,
      seed: o.seed,
      negatives: o.negatives,
    }));
    const entry = new URL('./bpr-thread-worker.ts', import.meta.url);
    const pool = await ThreadPool.start<BprJob, BprJobResult>('BPR-MF', entry, inits, signal);
    return new BprThreads(pool, o.lr, o.l2);
  }

  get threads(): number {
    return this.pool.size;
  }

  /** One epoch; the mean loss (as the one-thread loop reports it) and samples. */
  async epoch(epoch: number, signal?: AbortSignal): Promise<{ loss: number; samples: number }> {
    const job: BprJob = { epoch, lr: this.lr, l2: this.l2 };
    let reg = 0;
    let logLik = 0;
    let samples = 0;
    for (const r of await this.pool.run(Array<BprJob>(this.pool.size).fill(job), signal)) {
      reg += r.reg;
      logLik += r.logLik;
      samples += r.samples;
    }
    return { loss: (this.l2 * reg - logLik) / Math.max(samples, 1), samples };
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
