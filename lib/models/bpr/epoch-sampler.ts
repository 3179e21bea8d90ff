/**
 * BPR-MF's samples, one epoch ahead on a worker thread: while the training thread runs
 * epoch e's batches, the sampler draws epoch e + 1 (drawing is about a third of an epoch's
 * work at 1M samples). The samples are those of sampleBprEpoch whichever thread draws them,
 * so results do not depend on it. Small epochs are drawn in-thread: starting a thread costs
 * more than they do. Every epoch of a threaded sampler comes from the thread, so the
 * training thread's event loop is never held by drawing.
 */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../compute/ts-worker.ts';
import { sampleBprEpoch } from './bpr-samples.ts';
import type { BprSamples } from './bpr-samples.ts';
import type { TrainingPairs } from '../training-pairs.ts';
import type { TrainingSet } from '../types.ts';

/** Samples per epoch from which drawing moves to a thread. */
export const THREAD_MIN_SAMPLES = 250_000;

export interface SamplerInit {
  set: TrainingSet;
  seed: number;
  negatives: number;
}
export interface SamplerRequest {
  epoch: number;
}
export type SamplerReply =
  { epoch: number; samples: BprSamples; error?: undefined } | { epoch: number; error: string };

export interface EpochSampler {
  /** Where samples are drawn. */
  readonly threaded: boolean;
  /** Epoch `epoch`'s samples; `next` (if any) is requested at once, to be drawn meanwhile. */
  epoch(epoch: number, next?: number): Promise<BprSamples>;
  close(): Promise<void>;
}

export function openEpochSampler(
  pairs: TrainingPairs,
  seed: number,
  negatives: number,
  threaded = pairs.positives.length * negatives >= THREAD_MIN_SAMPLES,
): EpochSampler {
  if (!threaded) {
    pairs.prepareNegatives();
    return {
      threaded: false,
      epoch: (epoch) => Promise.resolve(sampleBprEpoch(pairs, seed, epoch, negatives)),
      close: () => Promise.resolve(),
    };
  }
  return new ThreadSampler(pairs, seed, negatives);
}

class ThreadSampler implements EpochSampler {
  readonly threaded = true;
  private readonly worker: Worker;
  private readonly pending = new Map<number, Promise<BprSamples>>();
  private readonly waiters = new Map<number, (reply: SamplerReply) => void>();
  private failure: Error | undefined;

  constructor(pairs: TrainingPairs, seed: number, negatives: number) {
    const set = pairs.set;
    // Posting a view copies its whole buffer: send views of part of one as copies.
    const init: SamplerInit = {
      set: {
        ...set,
        user: own(set.user),
        item: own(set.item),
        label: own(set.label),
        weight: own(set.weight),
      },
      seed,
      negatives,
    };
    this.worker = startTsWorker(new URL('./sampler-worker.ts', import.meta.url), init);
    this.worker.on('message', (reply: SamplerReply) => {
      this.waiters.get(reply.epoch)?.(reply);
      this.waiters.delete(reply.epoch);
    });
    const fail = (err: Error) => {
      this.failure = new Error(`BPR sampling thread: ${err.message}`);
      for (const [epoch, resolve] of this.waiters) resolve({ epoch, error: this.failure.message });
      this.waiters.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (code !== 0) fail(new Error(`exited with code ${code}`));
    });
  }

  epoch(epoch: number, next?: number): Promise<BprSamples> {
    // Not asked for ahead (the first epoch) it is asked for now, from the thread too:
    // drawing it here would hold the event loop (over a second at 10M rows).
    const p = this.request(epoch);
    this.pending.delete(epoch);
    if (next !== undefined) void this.request(next);
    return p;
  }

  async close(): Promise<void> {
    this.waiters.clear();
    this.worker.removeAllListeners();
    await this.worker.terminate();
  }

  private request(epoch: number): Promise<BprSamples> {
    let p = this.pending.get(epoch);
    if (p) return p;
    p = new Promise<BprSamples>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.waiters.set(epoch, (reply) =>
        reply.error === undefined ? resolve(reply.samples) : reject(new Error(reply.error)),
      );
      this.worker.postMessage({ epoch } satisfies SamplerRequest);
    });
    // A prefetched epoch nobody asks for (early stop) must not be an unhandled rejection.
    p.catch(() => undefined);
    this.pending.set(epoch, p);
    return p;
  }
}

/** `a` if it spans its whole buffer, else a copy that does. */
function own<T extends Int32Array | Uint8Array | Float32Array>(a: T): T {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : (a.slice() as T);
}
