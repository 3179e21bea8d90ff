/**
 * The reference recommenders of every A/B report, evaluated by full ranking: Popularity and
 * ItemKNN. On large data this runs on a worker thread, so that it overlaps ranking models A
 * and B on the calling thread: at 10M interactions ItemKNN alone takes ~16 s (fit 3.5 s,
 * ranking 12.5 s, since a popular item is in thousands of items' neighbour lists). The same
 * code runs on either thread, so the summaries do not depend on where they were computed.
 */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../compute/ts-worker.ts';
import { nonEmptyRows } from '../../eval/csr.ts';
import { evaluateFullRankingAsync } from '../../eval/full-ranking.ts';
import type { EvalData, EvalSummary, Scorer } from '../../eval/types.ts';
import { ItemKnnScorer } from './item-knn.ts';
import { PopularityScorer } from './popularity.ts';

/** Ranked users x items from which the baselines move to a worker thread (~0.3 s to start). */
export const BASELINE_THREAD_MIN_PAIRS = 1 << 24;

export type BaselineName = 'popularity' | 'itemknn';

/** What the ranking measures (the options every evaluation of a run shares). */
export interface BaselineEvalOptions {
  ks: number[];
  coldThreshold: number;
  tailFraction: number;
}

export interface BaselineResults {
  summaries: Record<BaselineName, EvalSummary>;
  /** Seconds per baseline (ItemKNN: fit and ranking). */
  seconds: Record<BaselineName, number>;
  /** Whether they ran on a worker thread. */
  threaded: boolean;
}

export interface BaselineRunOptions {
  /** Per batch of ranked users, as EvalOptions.onProgress, with the baseline's name. */
  onProgress?: (name: BaselineName, done: number, total: number) => void;
  /** Stops the evaluation (and the thread) with the signal's reason. */
  signal?: AbortSignal;
  /** @default when users with test items x items >= BASELINE_THREAD_MIN_PAIRS */
  threaded?: boolean;
}

/** Messages from the baseline thread. */
export type BaselineMessage =
  | { progress: [BaselineName, number, number] }
  | { result: Omit<BaselineResults, 'threaded'> }
  | { error: string };

export async function evaluateBaselines(
  data: EvalData,
  options: BaselineEvalOptions,
  run: BaselineRunOptions = {},
): Promise<BaselineResults> {
  if (!(run.threaded ?? baselinesWantThread(data)))
    return evaluateBaselinesHere(data, options, run).then((r) => ({ ...r, threaded: false }));
  return onThread(data, options, run);
}

/** Both baselines, one after the other, on this thread. */
export async function evaluateBaselinesHere(
  data: EvalData,
  options: BaselineEvalOptions,
  run: Omit<BaselineRunOptions, 'threaded'> = {},
): Promise<Omit<BaselineResults, 'threaded'>> {
  const fit: Record<BaselineName, () => Promise<Scorer>> = {
    popularity: () => Promise.resolve(PopularityScorer.fit(data.train, data.nItems)),
    itemknn: () => ItemKnnScorer.fitAsync(data.train, data.nItems),
  };
  const summaries = {} as Record<BaselineName, EvalSummary>;
  const seconds = {} as Record<BaselineName, number>;
  for (const name of ['popularity', 'itemknn'] as const) {
    const t0 = performance.now();
    run.signal?.throwIfAborted();
    const result = await evaluateFullRankingAsync(data, await fit[name](), {
      ...options,
      signal: run.signal,
      onProgress: (done, total) => run.onProgress?.(name, done, total),
    });
    summaries[name] = result.summary;
    seconds[name] = (performance.now() - t0) / 1000;
  }
  return { summaries, seconds };
}

function onThread(
  data: EvalData,
  options: BaselineEvalOptions,
  run: BaselineRunOptions,
): Promise<BaselineResults> {
  run.signal?.throwIfAborted();
  return new Promise<BaselineResults>((resolve, reject) => {
    const worker: Worker = startTsWorker(new URL('./baseline-worker.ts', import.meta.url), {
      data,
      options,
    });
    let settled = false;
    const finish = (err: unknown, result?: BaselineResults) => {
      if (settled) return;
      settled = true;
      run.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (result) resolve(result);
      else reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onAbort = () => finish(run.signal!.reason);
    run.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: BaselineMessage) => {
      if ('progress' in m) run.onProgress?.(...m.progress);
      else if ('result' in m) finish(undefined, { ...m.result, threaded: true });
      else finish(new Error(`baseline evaluation thread: ${m.error}`));
    });
    worker.on('error', (err) => finish(err));
    worker.on('exit', (code) =>
      finish(new Error(`baseline evaluation thread exited (code ${code}) without a result`)),
    );
  });
}

/** True when ranking the test users is large enough to be worth a thread. */
export function baselinesWantThread(data: EvalData): boolean {
  return nonEmptyRows(data.test).length * data.nItems >= BASELINE_THREAD_MIN_PAIRS;
}
