/**
 * iALS on T threads: within a half-epoch every row's solve reads only the fixed side, so
 * the rows are split into T contiguous ranges of about equal work and each thread solves
 * its range in place in the shared wasm memory, with the same code the one-thread loop
 * runs. A row's result does not depend on the thread that solved it, and the objective's
 * per-row terms are summed here in row order, so the factors and losses are the same bits
 * for every thread count. This thread only waits meanwhile.
 */
import type { ArenaPlace, WasmArena } from '../../compute/arena.ts';
import type { WasmMemory } from '../../compute/wasm-writer.ts';
import { ThreadPool, balancedRanges } from '../../compute/thread-pool.ts';
import { mirrorUpper } from './ials.ts';
import type { Observations } from './ials.ts';

/** Where one side's observations are: the row pointers (copied), the columns (shared). */
export interface ObservationPlaces {
  ptr: Int32Array;
  other: ArenaPlace;
  extra: ArenaPlace;
  target: ArenaPlace;
}

export interface IalsThreadInit {
  memory: WasmMemory;
  bytes: number;
  dim: number;
  steps: number;
  users: ArenaPlace;
  items: ArenaPlace;
  /** The Gram matrix plus lambda that the current half-epoch solves with. */
  gram: ArenaPlace;
  byUser: ObservationPlaces;
  byItem: ObservationPlaces;
  /** This thread's four CG vectors. */
  vectors: ArenaPlace[];
  /** Per user: its share of the objective (written by the `loss` job). */
  rowLoss: Float64Array;
  /** dim x dim: the Gram matrix a `gram-*` job adds its matrix rows to. */
  gramSum: Float64Array;
}

/**
 * Solve the rows from .. to of one table, write their objective terms (`loss`), or add
 * matrix rows from .. to of a table's Gram matrix (`gram-*`).
 */
export interface IalsJob {
  kind: 'users' | 'items' | 'loss' | 'gram-users' | 'gram-items';
  from: number;
  to: number;
}

/** The tables the threads work on, all in `arena` (shared). */
export interface IalsTables {
  users: Float32Array;
  items: Float32Array;
  gram: Float32Array;
  byUser: Observations;
  byItem: Observations;
  /** Per thread, four CG vectors of dim floats. */
  threadVectors: Float32Array[][];
}

export class IalsThreads {
  private readonly ranges: Record<'users' | 'items' | 'gram', number[]>;

  private constructor(
    private readonly pool: ThreadPool<IalsJob, void>,
    private readonly rowLoss: Float64Array,
    private readonly gramSum: Float64Array,
    tables: IalsTables,
    private readonly dim: number,
  ) {
    const T = pool.size;
    // A row costs its observations plus the Gram product (about dim of them).
    const rangesOf = (obs: Observations) =>
      balancedRanges(obs.ptr.length - 1, T, (r) => obs.ptr[r + 1]! - obs.ptr[r]! + dim);
    this.ranges = {
      users: rangesOf(tables.byUser),
      items: rangesOf(tables.byItem),
      // Matrix row a of the upper triangle has dim - a entries.
      gram: balancedRanges(dim, T, (a) => dim - a),
    };
  }

  static async start(
    arena: WasmArena,
    tables: IalsTables,
    dim: number,
    steps: number,
    signal?: AbortSignal,
  ): Promise<IalsThreads> {
    const nUsers = tables.byUser.ptr.length - 1;
    const rowLoss = new Float64Array(new SharedArrayBuffer(8 * nUsers));
    const gramSum = new Float64Array(new SharedArrayBuffer(8 * dim * dim));
    const places = (o: Observations): ObservationPlaces => ({
      ptr: o.ptr,
      other: arena.placeOf(o.other),
      extra: arena.placeOf(o.extra),
      target: arena.placeOf(o.target),
    });
    const inits = tables.threadVectors.map((vectors): IalsThreadInit => ({
      memory: arena.memory,
      bytes: arena.bytes,
      dim,
      steps,
      users: arena.placeOf(tables.users),
      items: arena.placeOf(tables.items),
      gram: arena.placeOf(tables.gram),
      byUser: places(tables.byUser),
      byItem: places(tables.byItem),
      vectors: vectors.map((v) => arena.placeOf(v)),
      rowLoss,
      gramSum,
    }));
    const entry = new URL('./ials-thread-worker.ts', import.meta.url);
    const pool = await ThreadPool.start<IalsJob, void>('iALS', entry, inits, signal);
    return new IalsThreads(pool, rowLoss, gramSum, tables, dim);
  }

  get threads(): number {
    return this.pool.size;
  }

  /** Re-solves every row of one table against the Gram matrix now in `tables.gram`. */
  async solve(kind: 'users' | 'items', signal?: AbortSignal): Promise<void> {
    await this.pool.run(this.jobs(kind, this.ranges[kind]), signal);
  }

  /** The Gram matrix of one table, the same bits as ials.ts `gram`. */
  async gram(table: 'users' | 'items', signal?: AbortSignal): Promise<Float64Array> {
    this.gramSum.fill(0);
    await this.pool.run(this.jobs(`gram-${table}`, this.ranges.gram), signal);
    mirrorUpper(this.gramSum, this.dim);
    return this.gramSum.slice();
  }

  /** The observed part of the objective (as RowProducts.loss summed over users in order). */
  async observedLoss(signal?: AbortSignal): Promise<number> {
    await this.pool.run(this.jobs('loss', this.ranges.users), signal);
    let sum = 0;
    for (const x of this.rowLoss) sum += x;
    return sum;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private jobs(kind: IalsJob['kind'], bounds: number[]): IalsJob[] {
    return Array.from({ length: this.pool.size }, (_, t) => ({
      kind,
      from: bounds[t]!,
      to: bounds[t + 1]!,
    }));
  }
}
