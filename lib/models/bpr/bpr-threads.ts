/**
 * BPR-MF's SGD on T threads over weights in a shared wasm memory (bpr-strata.ts: how the
 * work is split so that results are reproducible for a given T). This thread partitions
 * the set, starts the threads, and per epoch posts one job to each and sums the losses
 * they answer in thread order; it only waits meanwhile. Within the epoch each thread draws
 * its samples, then steps its strata one per step, meeting the others at a barrier between
 * steps (thread-pool.ts ThreadBarrier), so the epoch costs one message round, not one per
 * step. Each thread's sample columns and running sums sit in the shared memory too (the
 * kernel's SGD loop reads them there), allocated once for the run.
 */
import { countAllocations } from '../../compute/arena.ts';
import type { Allocator, ArenaPlace, WasmArena } from '../../compute/arena.ts';
import type { WasmMemory } from '../../compute/wasm-writer.ts';
import { ThreadBarrier, ThreadPool } from '../../compute/thread-pool.ts';
import type { TrainingSet } from '../types.ts';
import type { BprMfWeights } from './bpr-mf.ts';
import { balancedBlocks, byCount, positiveCounts, rowsOfBlock } from './bpr-strata.ts';

/** Floats of each thread's SGD sums (two float64; bpr-sgd.ts SgdTables). */
const SUMS_FLOATS = 4;

/** One thread's arrays in the shared memory: its running sums and its epoch's sample columns. */
interface ThreadArrays<F, I> {
  sums: F;
  user: I;
  pos: I;
  neg: I;
  weight: F;
}

function threadArrays(alloc: Allocator, samples: number): ThreadArrays<Float32Array, Int32Array> {
  return {
    sums: alloc.floats(SUMS_FLOATS),
    user: alloc.ints(samples),
    pos: alloc.ints(samples),
    neg: alloc.ints(samples),
    weight: alloc.floats(samples),
  };
}

/** How a set splits over T threads: each thread's rows, and the samples it draws per epoch. */
export interface BprThreadPlan {
  threads: number;
  rows: TrainingSet[];
  samples: number[];
  /** Items by positives, largest first (see bpr-strata.ts epochItemBlocks). */
  itemOrder: Int32Array;
}

export function planBprThreads(
  set: TrainingSet,
  threads: number,
  negatives: number,
): BprThreadPlan {
  const counts = positiveCounts(set);
  const userBlock = balancedBlocks(counts.users, threads);
  const rows = Array.from({ length: threads }, (_, t) => rowsOfBlock(set, userBlock, t));
  const samples = rows.map((r) => r.label.reduce((n, l) => n + (l === 1 ? 1 : 0), 0) * negatives);
  return { threads, rows, samples, itemOrder: byCount(counts.items) };
}

/** Element counts of the threads' arrays, for sizing the arena (bpr-kernel.ts BprShape). */
export function bprThreadArrays(plan: BprThreadPlan): number[] {
  return countAllocations((alloc) => plan.samples.forEach((n) => threadArrays(alloc, n)));
}

export interface BprThreadInit {
  memory: WasmMemory;
  bytes: number;
  dim: number;
  /** Byte offsets of the factor tables and the item biases. */
  users: number;
  items: number;
  bias: number;
  /** This thread's sums and sample columns (each as long as its epoch's samples). */
  arrays: ThreadArrays<ArenaPlace, ArenaPlace>;
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
   * Starts the threads of `plan` on `w` (in `arena`, shared, with room for
   * {@link bprThreadArrays}, which are allocated here).
   */
  static async start(
    plan: BprThreadPlan,
    arena: WasmArena,
    w: BprMfWeights,
    o: { seed: number; negatives: number; lr: number; l2: number },
    signal?: AbortSignal,
  ): Promise<BprThreads> {
    const T = plan.threads;
    const barrier = ThreadBarrier.state(T);
    const inits = Array.from({ length: T }, (_, t): BprThreadInit => {
      const a = threadArrays(arena, plan.samples[t]!);
      return {
        memory: arena.memory,
        bytes: arena.bytes,
        dim: w.dim,
        users: arena.offsetOf(w.users),
        items: arena.offsetOf(w.items),
        bias: arena.offsetOf(w.itemBias),
        arrays: {
          sums: arena.placeOf(a.sums),
          user: arena.placeOf(a.user),
          pos: arena.placeOf(a.pos),
          neg: arena.placeOf(a.neg),
          weight: arena.placeOf(a.weight),
        },
        rows: plan.rows[t]!,
        itemOrder: plan.itemOrder,
        blocks: T,
        thread: t,
        barrier,
        seed: o.seed,
        negatives: o.negatives,
      };
    });
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
