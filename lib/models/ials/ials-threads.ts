/**
 * iALS on T threads. An epoch is one job per thread, in four phases with a barrier between
 * each (thread-pool.ts ThreadBarrier): solve the user rows, the users' Gram matrix, solve
 * the item rows (and each item's objective terms), the items' Gram matrix. Within a phase
 * the threads take chunks of rows (or of Gram-matrix rows) from a shared counter as they
 * get free, so a thread slowed by the rest of the machine holds up no other. Every row is
 * solved by the same code as the one-thread loop, and reads only the fixed side; every
 * Gram entry and objective term is computed whole by one thread; the caller sums the terms
 * in item order. So the factors and losses are the same bits for every thread count and
 * every run, whichever thread took which chunk. This thread only waits meanwhile.
 */
import type { ArenaPlace, WasmArena } from '../../compute/arena.ts';
import type { WasmMemory } from '../../compute/wasm-writer.ts';
import { ThreadBarrier, ThreadPool, balancedRanges } from '../../compute/thread-pool.ts';
import type { Observations } from './ials.ts';

/**
 * Chunks of rows per thread and phase, of about equal work each: a chunk is a small share
 * of a phase (what a thread can be left to finish alone at its end), and large next to the
 * cost of taking one.
 */
const ROW_CHUNKS_PER_THREAD = 32;
/** Chunks of Gram-matrix rows per thread (each reads the whole table once). */
const GRAM_CHUNKS_PER_THREAD = 4;

/** The phases of an epoch, in order: each one's index among the chunk counters. */
export const PHASE = { users: 0, gramUsers: 1, items: 2, gramItems: 3 } as const;

/** Where one side's observations are in the shared memory. */
export interface ObservationPlaces {
  ptr: ArenaPlace;
  other: ArenaPlace;
  extra: ArenaPlace;
  target: ArenaPlace;
}

export interface IalsThreadInit {
  memory: WasmMemory;
  bytes: number;
  dim: number;
  steps: number;
  lambda: number;
  users: ArenaPlace;
  items: ArenaPlace;
  /** The Gram matrices (float64, upper triangle) of the users and the items tables. */
  usersGram: ArenaPlace;
  itemsGram: ArenaPlace;
  byUser: ObservationPlaces;
  byItem: ObservationPlaces;
  /** This thread's Gram matrix plus lambda (float32, full) and the kernel's scratch. */
  gram: ArenaPlace;
  scratch: ArenaPlace;
  /** Per item: its share of the objective (float64, written while its row is solved). */
  itemLoss: ArenaPlace;
  /** Per phase: the next chunk to take (reset before each epoch). */
  next: Int32Array;
  /** Per phase, the bounds of its chunks (chunk c: rows b[c] .. b[c + 1]). */
  chunks: Record<keyof typeof PHASE, number[]>;
  barrier: ReturnType<typeof ThreadBarrier.state>;
}

/** An epoch's job: no parameters (everything it reads is in the shared memory). */
export type IalsJob = Record<string, never>;

/** The tables the threads work on, all in `arena` (shared). */
export interface IalsTables {
  users: Float32Array;
  items: Float32Array;
  usersGram: Float64Array;
  itemsGram: Float64Array;
  byUser: Observations;
  byItem: Observations;
  itemLoss: Float64Array;
  /** Per thread: its Gram matrix plus lambda, then the kernel's scratch. */
  threadScratch: { gram: Float32Array; scratch: Float32Array }[];
}

export class IalsThreads {
  private constructor(
    private readonly pool: ThreadPool<IalsJob, void>,
    private readonly next: Int32Array,
  ) {}

  static async start(
    arena: WasmArena,
    tables: IalsTables,
    o: { dim: number; steps: number; lambda: number },
    signal?: AbortSignal,
  ): Promise<IalsThreads> {
    const T = tables.threadScratch.length;
    const next = new Int32Array(new SharedArrayBuffer(4 * Object.keys(PHASE).length));
    const places = (obs: Observations): ObservationPlaces => ({
      ptr: arena.placeOf(obs.ptr),
      other: arena.placeOf(obs.other),
      extra: arena.placeOf(obs.extra),
      target: arena.placeOf(obs.target),
    });
    const f64Place = (a: Float64Array): ArenaPlace => ({ at: a.byteOffset, n: 2 * a.length });
    // Matrix row a of the upper triangle has dim - a entries.
    // A row costs its observations plus the Gram product (about dim of them); matrix row a
    // of the Gram matrix's upper triangle, dim - a entries.
    const rowChunks = (obs: Observations) =>
      balancedRanges(
        obs.ptr.length - 1,
        ROW_CHUNKS_PER_THREAD * T,
        (r) => obs.ptr[r + 1]! - obs.ptr[r]! + o.dim,
      );
    const gramChunks = balancedRanges(o.dim, GRAM_CHUNKS_PER_THREAD * T, (a) => o.dim - a);
    const chunks = {
      users: rowChunks(tables.byUser),
      gramUsers: gramChunks,
      items: rowChunks(tables.byItem),
      gramItems: gramChunks,
    };
    const barrier = ThreadBarrier.state(T);
    const inits = tables.threadScratch.map((scratch): IalsThreadInit => ({
      memory: arena.memory,
      bytes: arena.bytes,
      ...o,
      users: arena.placeOf(tables.users),
      items: arena.placeOf(tables.items),
      usersGram: f64Place(tables.usersGram),
      itemsGram: f64Place(tables.itemsGram),
      byUser: places(tables.byUser),
      byItem: places(tables.byItem),
      gram: arena.placeOf(scratch.gram),
      scratch: arena.placeOf(scratch.scratch),
      itemLoss: f64Place(tables.itemLoss),
      next,
      chunks,
      barrier,
    }));
    const entry = new URL('./ials-thread-worker.ts', import.meta.url);
    const pool = await ThreadPool.start<IalsJob, void>('iALS', entry, inits, signal);
    return new IalsThreads(pool, next);
  }

  get threads(): number {
    return this.pool.size;
  }

  /**
   * One epoch (see the module comment), from the items' Gram matrix in `tables.itemsGram`;
   * leaves both Gram matrices' upper triangles there and each item's objective term in
   * `tables.itemLoss`.
   */
  async epoch(signal?: AbortSignal): Promise<void> {
    this.next.fill(0);
    await this.pool.run(Array<IalsJob>(this.pool.size).fill({}), signal);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
