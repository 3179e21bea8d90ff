import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  AUTO_THREADS_MIN_WORK,
  ThreadBarrier,
  ThreadPool,
  balancedRanges,
  resolveThreads,
} from '../../../lib/compute/thread-pool.ts';

const entry = new URL('./fixtures/pool-worker.ts', import.meta.url);
type Job = { kind: string; value?: number; steps?: number; failAt?: number };
const start = (inits: unknown[], signal?: AbortSignal) =>
  ThreadPool.start<Job, number>('test', entry, inits, signal);

describe('thread pool', () => {
  it('runs job k on thread k, answers in thread order, and its writes are seen after the round', async () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const pool = await start([0, 1].map((thread) => ({ thread, shared })));
    try {
      expect(pool.size).toBe(2);
      expect(
        await pool.run([
          { kind: 'add', value: 1 },
          { kind: 'add', value: 2 },
        ]),
      ).toEqual([1, 12]);
      await pool.run([
        { kind: 'add', value: 3 },
        { kind: 'add', value: 4 },
      ]);
      expect([...shared]).toEqual([4, 6]);
      await expect(pool.run([{ kind: 'add', value: 1 }])).rejects.toThrow('1 jobs for 2 threads');
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('names the thread and its error; a failed setup, a crash and an abort end the wait', async () => {
    const shared = new Int32Array(new SharedArrayBuffer(8));
    await expect(start([{ thread: 0, shared, failSetup: true }])).rejects.toThrow(
      'test thread 0: bad init',
    );
    const pool = await start([0, 1].map((thread) => ({ thread, shared })));
    try {
      await expect(pool.run([{ kind: 'add', value: 1 }, { kind: 'throw' }])).rejects.toThrow(
        'test thread 1: row 7 is out of range',
      );
      // A thread that never answers: the abort's reason ends the wait.
      const ctrl = new AbortController();
      const spinning = pool.run([{ kind: 'spin' }, { kind: 'add', value: 1 }], ctrl.signal);
      setTimeout(() => ctrl.abort(new Error('cancelled by Temporal')), 200);
      await expect(spinning).rejects.toThrow('cancelled by Temporal');
    } finally {
      await pool.close();
    }
    const crashing = await start([{ thread: 0, shared }]);
    try {
      await expect(crashing.run([{ kind: 'exit' }])).rejects.toThrow('exited with code 3');
      await expect(crashing.run([{ kind: 'add', value: 1 }])).rejects.toThrow('exited with code 3');
    } finally {
      await crashing.close();
    }
  }, 30_000);

  it('a barrier orders the steps of a job across threads; a failed step releases the others', async () => {
    const shared = new Int32Array(new SharedArrayBuffer(4 * 8));
    const barrier = ThreadBarrier.state(2);
    const pool = await start([0, 1].map((thread) => ({ thread, shared, barrier })));
    try {
      // Each step reads what the other thread wrote in the step before: 1, 2, 3, 4.
      const job = { kind: 'steps', steps: 4 };
      expect(await pool.run([job, job])).toEqual([4, 4]);
      expect([...shared]).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
      // Thread 1 fails in step 1: thread 0, waiting for it at the barrier, is let go.
      const failing = { kind: 'steps', steps: 4, failAt: 1 };
      await expect(pool.run([failing, failing])).rejects.toThrow(
        'test thread 0: another thread of the round failed',
      );
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('resolves the thread count: a setting as given, 0 one per core for large epochs only', () => {
    expect(resolveThreads(3, 10)).toBe(3);
    expect(resolveThreads(1, 10 ** 9)).toBe(1);
    expect(resolveThreads(0, AUTO_THREADS_MIN_WORK)).toBe(availableParallelism());
    expect(resolveThreads(undefined, AUTO_THREADS_MIN_WORK)).toBe(availableParallelism());
    expect(resolveThreads(0, AUTO_THREADS_MIN_WORK - 1)).toBe(1);
  });

  it('splits 0..n into contiguous ranges of about equal cost', () => {
    expect(balancedRanges(8, 2, () => 1)).toEqual([0, 4, 8]);
    // One heavy element: it ends the first range.
    expect(balancedRanges(5, 2, (i) => (i === 1 ? 10 : 1))).toEqual([0, 2, 5]);
    // More parts than elements: empty ranges at the end.
    expect(balancedRanges(2, 4, () => 1)).toEqual([0, 1, 2, 2, 2]);
    expect(balancedRanges(0, 2, () => 1)).toEqual([0, 0, 0]);
  });
});
