/**
 * Full-ranking scores of a NeuMF on the WebAssembly SIMD kernel (neumf-score-simd.ts), on
 * this thread and, for large requests, one worker thread (neumf-score-worker.ts) that
 * shares the kernel's memory: each takes half of every round of users. A user's scores come
 * from the same code on the same data whichever thread computes them, so results do not
 * depend on the threads. The worker starts on the first large request and joins once booted
 * (~0.3 s); until then this thread scores alone.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../compute/ts-worker.ts';
import {
  instantiate,
  newSharedMemory,
  wasmValidates,
  MAX_BYTES,
} from '../../compute/wasm-writer.ts';
import type { WasmMemory } from '../../compute/wasm-writer.ts';
import type { NeuMfWeights } from './neumf-weights.ts';
import { ROW_BLOCK } from './neumf-simd.ts';
import { assembleNeuMfScore, scratchBytes } from './neumf-score-simd.ts';
import type { ScoreLayout } from './neumf-score-simd.ts';
import { CTL, scoreUserRows } from './neumf-score-worker-protocol.ts';
import type { ScoreUser, ScoreWorkerData, UserRowsLayout } from './neumf-score-worker-protocol.ts';

/** Score floats per thread and round (4 MiB). */
const ROUND_FLOATS = 1 << 20;
/** Requests of at least this many pairs start the worker (~4 GFLOP, ~0.1-0.2 s of work). */
export const THREAD_MIN_PAIRS = 1 << 20;

type Product = (
  a: number,
  w: number,
  bias: number,
  mask: number,
  out: number,
  rows: number,
) => void;

/** True when this runtime runs the kernel and the shape fits it (sizes divisible by 4). */
export function neumfScorerAvailable(factors: number, layers: number[]): boolean {
  return (
    [factors, ...layers].every((s) => s > 0 && s % 4 === 0) &&
    typeof SharedArrayBuffer === 'function' &&
    wasmValidates(() =>
      assembleNeuMfScore({
        nItems: 1,
        factors: 4,
        layers: [4, 4],
        itemFirst: 0,
        itemGmf: 0,
        w: [0, 0],
        b: [0, 0],
        hm: 0,
        h0: 0,
      }),
    )
  );
}

export interface NeuMfScorerOptions {
  /** Threads that score (this one plus workers; at most 2). @default 2 when the machine has 2 cores */
  threads?: number;
  /** Requests of at least this many pairs use the worker. @default THREAD_MIN_PAIRS */
  threadMinPairs?: number;
  /**
   * A worker that scores no user for this long is taken for dead (a thread that crashed
   * never reports): its share is scored here and it is not used again. @default 10000
   */
  workerStallMs?: number;
}

export class NeuMfSimdScorer {
  private readonly memory: WasmMemory;
  private readonly bytes: Uint8Array;
  private readonly score: ScoreUser;
  private readonly rowsLayout: UserRowsLayout;
  private readonly roundUsers: number;
  /** Per thread: scratch and score rows (byte addresses). */
  private readonly scratch: number[] = [];
  private readonly out: number[] = [];
  private readonly ctl = new Int32Array(new SharedArrayBuffer(4 * CTL.size));
  private readonly users: Int32Array;
  private worker: Worker | undefined;
  private readonly threads: number;
  private readonly threadMinPairs: number;
  private readonly workerStallMs: number;
  /** Set when the worker was lost: no new one is started. */
  private workerLost = false;

  constructor(
    private readonly w: NeuMfWeights,
    options: NeuMfScorerOptions = {},
  ) {
    const { nUsers, nItems, factors: f, layers } = w;
    this.threads = Math.min(2, options.threads ?? availableParallelism());
    this.threadMinPairs = options.threadMinPairs ?? THREAD_MIN_PAIRS;
    this.workerStallMs = options.workerStallMs ?? 10_000;
    const h1 = layers[0]!;
    const pad = (rows: number) => Math.ceil(rows / ROW_BLOCK) * ROW_BLOCK;
    this.roundUsers = Math.max(1, Math.floor(ROUND_FLOATS / nItems));
    this.users = new Int32Array(new SharedArrayBuffer(4 * this.roundUsers));
    // Layout: the fixed arrays, then per thread a scratch and a round of score rows.
    let next = 0;
    const take = (floats: number) => {
      const at = next;
      next += Math.ceil((4 * floats) / 16) * 16;
      return at;
    };
    const t = w.tables;
    const lay: ScoreLayout = {
      nItems,
      factors: f,
      layers,
      itemFirst: take(pad(nItems) * h1),
      itemGmf: take(nItems * f),
      w: [0],
      b: [0],
      hm: take(layers.at(-1)!),
      h0: take(1),
    };
    for (let l = 1; l < layers.length; l++) {
      lay.w.push(take(layers[l - 1]! * layers[l]!));
      lay.b.push(take(layers[l]!));
    }
    const userFirst = take(pad(nUsers) * h1);
    const pg = take(nUsers * f);
    this.rowsLayout = { userFirst, pg, h1, factors: f, nItems };
    // Inputs of the first layer's halves, used once.
    const um = take(pad(nUsers) * f);
    const im = take(pad(nItems) * f);
    const w1 = take(2 * f * h1);
    const b1 = take(h1);
    for (let k = 0; k < 2; k++) {
      this.scratch.push(next);
      next += scratchBytes(layers);
      this.out.push(take(this.roundUsers * nItems));
    }
    if (next > MAX_BYTES) throw new RangeError(`NeuMF scoring needs ${next} bytes of wasm memory`);
    this.memory = newSharedMemory(next);
    const mem = new Float32Array(this.memory.buffer);
    const put = (at: number, a: Float32Array) => mem.set(a, at / 4);
    put(lay.itemGmf, t.itemGmf!);
    for (let l = 1; l < layers.length; l++) {
      put(lay.w[l]!, t[`w${l + 1}`]!);
      put(lay.b[l]!, t[`b${l + 1}`]!);
    }
    put(lay.hm, t.h!.subarray(f));
    put(lay.h0, t.h0!);
    put(um, t.userMlp!);
    put(im, t.itemMlp!);
    put(w1, t.w1!);
    put(b1, t.b1!);
    // The GMF user row times h_g: then a pair's GMF term is one dot product.
    for (let u = 0; u < nUsers; u++)
      for (let k = 0; k < f; k++) mem[pg / 4 + u * f + k] = t.userGmf![u * f + k]! * t.h![k]!;
    this.bytes = assembleNeuMfScore(lay);
    const e = instantiate(this.bytes, this.memory);
    (e.firstUser as Product)(um, w1, 0, 0, userFirst, nUsers);
    (e.firstItem as Product)(im, w1 + 4 * f * h1, b1, 0, lay.itemFirst, nItems);
    this.score = e.scoreUser as ScoreUser;
  }

  /** Scores of every item for each user, row-major into `out` (as Scorer.scoreUsers). */
  scoreUsers(userIds: Int32Array, out: Float32Array): void {
    const { nItems, nUsers } = this.w;
    if (out.length < userIds.length * nItems) throw new RangeError('score buffer is too small');
    // The kernel reads rows by address: an id out of range would read another array.
    for (let r = 0; r < userIds.length; r++)
      if (!(userIds[r]! >= 0 && userIds[r]! < nUsers))
        throw new RangeError(`user ${userIds[r]} has no embedding`);
    const large = userIds.length * nItems >= this.threadMinPairs;
    if (this.threads > 1 && !this.worker && !this.workerLost && large) this.startWorker();
    const mem = new Float32Array(this.memory.buffer);
    const ready = this.threaded;
    const per = ready ? 2 * this.roundUsers : this.roundUsers;
    for (let start = 0; start < userIds.length; start += per) {
      const n = Math.min(per, userIds.length - start);
      // This thread takes the first half of the round, the worker the rest.
      const mine = ready ? Math.ceil(n / 2) : n;
      let job = 0;
      if (mine < n) {
        this.users.set(userIds.subarray(start + mine, start + n));
        Atomics.store(this.ctl, CTL.count, n - mine);
        job = Atomics.add(this.ctl, CTL.seq, 1) + 1;
        Atomics.notify(this.ctl, CTL.seq);
      }
      this.scoreRows(userIds.subarray(start, start + mine), 0);
      out.set(mem.subarray(this.out[0]! / 4, this.out[0]! / 4 + mine * nItems), start * nItems);
      if (job) {
        const theirs = userIds.subarray(start + mine, start + n);
        let from = this.out[1]! / 4;
        if (!this.awaitJob(job)) {
          // Lost the worker: its share on this thread (buffer 0 is copied out already).
          this.stopWorker();
          this.scoreRows(theirs, 0);
          from = this.out[0]! / 4;
        } else if (Atomics.load(this.ctl, CTL.error))
          throw new Error('NeuMF scoring thread failed');
        out.set(mem.subarray(from, from + theirs.length * nItems), (start + mine) * nItems);
      }
    }
  }

  /**
   * Blocks until the worker finished `job`; false when it scored no user for
   * workerStallMs (the event loop is blocked here, so a crash is seen only this way).
   */
  private awaitJob(job: number): boolean {
    let progress = Atomics.load(this.ctl, CTL.progress);
    let since = Date.now();
    for (
      let d = Atomics.load(this.ctl, CTL.done);
      d !== job;
      d = Atomics.load(this.ctl, CTL.done)
    ) {
      Atomics.wait(this.ctl, CTL.done, d, 250);
      const now = Atomics.load(this.ctl, CTL.progress);
      if (now !== progress) [progress, since] = [now, Date.now()];
      else if (Date.now() - since > this.workerStallMs) return false;
    }
    return true;
  }

  /** True once the worker scores its share of each request. */
  get threaded(): boolean {
    return this.worker !== undefined && Atomics.load(this.ctl, CTL.ready) === 1;
  }

  private scoreRows(users: Int32Array, thread: number): void {
    const [out, scratch] = [this.out[thread]!, this.scratch[thread]!];
    scoreUserRows(this.score, this.rowsLayout, users, users.length, out, scratch);
  }

  private startWorker(): void {
    const data: ScoreWorkerData = {
      memory: this.memory,
      bytes: this.bytes,
      ctl: this.ctl,
      users: this.users,
      ...this.rowsLayout,
      scratch: this.scratch[1]!,
      out: this.out[1]!,
    };
    this.worker = startTsWorker(new URL('./neumf-score-worker.ts', import.meta.url), data);
    this.worker.unref();
    // A failed start leaves `ready` unset: this thread keeps scoring alone.
    this.worker.on('error', () => undefined);
  }

  dispose(): void {
    if (!this.worker) return;
    Atomics.store(this.ctl, CTL.quit, 1);
    Atomics.add(this.ctl, CTL.seq, 1);
    Atomics.notify(this.ctl, CTL.seq);
    void this.worker.terminate();
    this.worker = undefined;
  }

  private stopWorker(): void {
    this.workerLost = true;
    this.dispose();
  }
}
