/**
 * A fixed set of worker threads for one training run (BPR-MF's and iALS's `model.threads`):
 * each thread is started once with its own init data, then given one job per round; a
 * round ends when every thread has answered. The weights live in a shared wasm memory that
 * the threads read and write in place; messages carry only job descriptions and small
 * results. The owning thread only waits (never blocks), so heartbeats and cancellation get
 * through while the threads compute.
 *
 * Every job is bracketed by an atomic operation on a shared counter on both sides, so
 * whatever one thread wrote to shared memory before answering is seen by every thread that
 * reads after the round (the JS memory model orders plain accesses through atomics).
 * Threads whose jobs run in steps meet between steps at a {@link ThreadBarrier} instead
 * of ending a round per step: a round costs a message to and from every thread, and the
 * owning thread's event loop in between.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from './ts-worker.ts';

/** Work (samples or rows per epoch) from which `threads: 0` uses every core. */
export const AUTO_THREADS_MIN_WORK = 100_000;

/**
 * The threads a run uses: `setting` when set (1..n), else (0 or absent) one per core when
 * an epoch has at least `minWork` units of work, one below that (starting threads costs
 * ~0.3 s, more than a small epoch saves).
 */
export function resolveThreads(
  setting: number | undefined,
  work: number,
  minWork = AUTO_THREADS_MIN_WORK,
): number {
  if (setting !== undefined && setting > 0) return setting;
  return work >= minWork ? availableParallelism() : 1;
}

/** What each thread gets as `workerData.data`. */
export interface PoolThreadData<Init> {
  init: Init;
  /** The shared counter every job is bracketed by (see the module comment). */
  fence: Int32Array;
}

/** What a thread answers: to the start (round 0) or to a job of a numbered round. */
type Reply<R> = { round: number } & ({ ready: true } | { result: R } | { error: string });

/** A job as posted: its round, so that an answer to an abandoned round is told apart. */
interface Posted<Job> {
  round: number;
  job: Job;
}

export class ThreadPool<Job, Result> {
  private readonly fence = new Int32Array(new SharedArrayBuffer(4));
  private readonly workers: Worker[] = [];
  /** Per thread: the answer awaited from it, if any. */
  private readonly waiting: (((r: Reply<Result>) => void) | undefined)[] = [];
  private failure: Error | undefined;
  private rounds = 0;

  private constructor(
    private readonly name: string,
    entry: URL,
    inits: unknown[],
  ) {
    inits.forEach((init, t) => {
      const data: PoolThreadData<unknown> = { init, fence: this.fence };
      const worker = startTsWorker(entry, data);
      worker.on('message', (reply: Reply<Result>) => this.answer(t, reply));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`exited with code ${code}`));
      });
      this.workers.push(worker);
      this.waiting.push(undefined);
    });
  }

  /**
   * Starts one thread per element of `inits` (running `entry`, a module that calls
   * {@link serveJobs}) and resolves once each has set itself up.
   */
  static async start<Job, Result>(
    name: string,
    entry: URL,
    inits: unknown[],
    signal?: AbortSignal,
  ): Promise<ThreadPool<Job, Result>> {
    const pool = new ThreadPool<Job, Result>(name, entry, inits);
    try {
      await pool.round(undefined, signal);
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Job k to thread k; resolves with their results in thread order. */
  async run(jobs: Job[], signal?: AbortSignal): Promise<Result[]> {
    if (jobs.length !== this.workers.length)
      throw new RangeError(`${jobs.length} jobs for ${this.workers.length} threads`);
    return this.round(jobs, signal);
  }

  async close(): Promise<void> {
    this.waiting.fill(undefined);
    await Promise.all(
      this.workers.map((w) => {
        w.removeAllListeners();
        return w.terminate();
      }),
    );
  }

  /**
   * Posts `jobs` (none: awaits the threads' ready signal) and awaits every answer; when a
   * job fails, the others are still awaited (no thread writes shared memory after this
   * returns), then the first failure in thread order is thrown. An abort ends the wait at
   * once and leaves the pool unusable (close it).
   */
  private async round(jobs: Job[] | undefined, signal?: AbortSignal): Promise<Result[]> {
    signal?.throwIfAborted();
    if (this.failure) throw this.failure;
    const round = jobs ? ++this.rounds : 0;
    Atomics.add(this.fence, 0, 1);
    const answers = this.workers.map(
      (w, t) =>
        new Promise<Result>((resolve, reject) => {
          this.waiting[t] = (r) => {
            if ('error' in r) reject(new Error(`${this.name} thread ${t}: ${r.error}`));
            else resolve('result' in r ? r.result : (undefined as Result));
          };
          if (jobs) w.postMessage({ round, job: jobs[t]! } satisfies Posted<Job>);
        }),
    );
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.failure ??= new Error(`${this.name} threads: abandoned after an abort`);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      const settled = await Promise.race([Promise.allSettled(answers), aborted]);
      Atomics.load(this.fence, 0);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      return settled.map((s) => (s as PromiseFulfilledResult<Result>).value);
    } finally {
      signal?.removeEventListener('abort', onAbort!);
    }
  }

  /** Hands a thread's reply to its waiter; a reply to an earlier round is dropped. */
  private answer(t: number, reply: Reply<Result>): void {
    if (reply.round !== this.rounds) return;
    const resolve = this.waiting[t];
    this.waiting[t] = undefined;
    resolve?.(reply);
  }

  private fail(err: Error): void {
    this.failure ??= new Error(`${this.name} thread: ${err.message}`);
    for (let t = 0; t < this.waiting.length; t++)
      this.answer(t, { round: this.rounds, error: err.message });
  }
}

/**
 * A pool thread's side: `setup` builds its state from the init data, then `handle` answers
 * each job (its result is posted back; a throw is reported as the job's error).
 */
export function serveJobs<Init, Job, Result>(
  data: unknown,
  setup: (init: Init) => (job: Job) => Result,
  port: {
    on(event: 'message', f: (posted: Posted<Job>) => void): unknown;
    postMessage(m: unknown): void;
  },
): void {
  const { init, fence } = data as PoolThreadData<Init>;
  let handle: (job: Job) => Result;
  try {
    handle = setup(init);
  } catch (err) {
    port.postMessage({ round: 0, error: (err as Error).message } satisfies Reply<Result>);
    return;
  }
  port.postMessage({ round: 0, ready: true } satisfies Reply<Result>);
  port.on('message', ({ round, job }: Posted<Job>) => {
    Atomics.load(fence, 0);
    try {
      const result = handle(job);
      Atomics.add(fence, 0, 1);
      port.postMessage({ round, result } satisfies Reply<Result>);
    } catch (err) {
      Atomics.add(fence, 0, 1);
      port.postMessage({ round, error: (err as Error).message } satisfies Reply<Result>);
    }
  });
}

/**
 * Boundaries of `parts` contiguous ranges of 0..n of about equal total `cost`:
 * range t is [b[t], b[t + 1]).
 */
export function balancedRanges(n: number, parts: number, cost: (i: number) => number): number[] {
  let total = 0;
  for (let i = 0; i < n; i++) total += cost(i);
  const bounds = [0];
  let sum = 0;
  for (let i = 0; i < n && bounds.length < parts; i++) {
    sum += cost(i);
    if (sum >= (total * bounds.length) / parts) bounds.push(i + 1);
  }
  while (bounds.length <= parts) bounds.push(n);
  return bounds;
}

/**
 * A barrier for the threads of one job round: threads that work in steps which must not
 * overlap (BPR-MF's strata, iALS's half-epochs) meet here between steps without a round
 * trip through the owning thread. Built with {@link ThreadBarrier.state} on the owning
 * thread, used by pool threads only (it blocks: never on the owning thread); each thread
 * wraps the same state, and every one must arrive at every meeting. A thread whose job
 * fails calls {@link ThreadBarrier.break}, so the others leave with an error instead of
 * waiting for it forever; a broken barrier stays broken (the pool is closed after).
 */
export class ThreadBarrier {
  /** Shared state for `parties` threads: [arrived, generation, broken]. */
  static state(parties: number): { parties: number; cells: Int32Array } {
    return { parties, cells: new Int32Array(new SharedArrayBuffer(12)) };
  }

  private readonly cells: Int32Array;
  private readonly parties: number;

  constructor(state: { parties: number; cells: Int32Array }) {
    this.cells = state.cells;
    this.parties = state.parties;
  }

  /** Returns once every party has arrived (each call is one meeting); throws once broken. */
  arrive(): void {
    const { cells, parties } = this;
    const generation = Atomics.load(cells, GENERATION);
    if (Atomics.add(cells, ARRIVED, 1) === parties - 1) {
      Atomics.store(cells, ARRIVED, 0);
      Atomics.add(cells, GENERATION, 1);
      Atomics.notify(cells, GENERATION);
      return;
    }
    // A partner that is nearly done is caught by a short spin (tens of microseconds),
    // without a sleep and a wake-up.
    for (let spin = 0; spin < SPINS && Atomics.load(cells, GENERATION) === generation; spin++);
    while (Atomics.load(cells, GENERATION) === generation) {
      if (Atomics.load(cells, BROKEN) !== 0) throw new Error('another thread of the round failed');
      // Bounded waits: a thread being terminated is never stuck in one.
      Atomics.wait(cells, GENERATION, generation, WAIT_MS);
    }
  }

  /** Releases every waiting party with an error (this thread's job failed). */
  break(): void {
    Atomics.store(this.cells, BROKEN, 1);
    Atomics.notify(this.cells, GENERATION);
  }
}

const ARRIVED = 0;
const GENERATION = 1;
const BROKEN = 2;
const SPINS = 20_000;
const WAIT_MS = 50;
