/**
 * The reference recommenders of every A/B report, evaluated by full ranking: Popularity,
 * ItemKNN, RP3beta and EASE (their beta and lambda chosen on the validation split). On large data this runs on a worker thread, so that it overlaps ranking models A
 * and B on the calling thread: at 10M interactions ItemKNN alone takes ~16 s (fit 3.5 s,
 * ranking 12.5 s, since a popular item is in thousands of items' neighbour lists). The same
 * code runs on either thread, so the summaries do not depend on where they were computed.
 */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../compute/ts-worker.ts';
import { nonEmptyRows } from '../../eval/csr.ts';
import { evaluateFullRankingAsync } from '../../eval/full-ranking.ts';
import type { EvalData, EvalSummary, Scorer } from '../../eval/types.ts';
import { PopularityScorer } from './popularity.ts';
import { fitTunedBaseline } from './tuned.ts';
import type { KnownChoice } from './tuned.ts';

/** Ranked users x items from which the baselines move to a worker thread (~0.3 s to start). */
export const BASELINE_THREAD_MIN_PAIRS = 1 << 24;

export type BaselineName = 'popularity' | 'itemknn' | 'rp3beta' | 'ease';

/** What the ranking measures (the options every evaluation of a run shares). */
export interface BaselineEvalOptions {
  ks: number[];
  coldThreshold: number;
  tailFraction: number;
  sparseFraction?: number;
  diversity?: boolean;
}

export interface BaselineResults {
  /** Per baseline that ran (EASE is left out above its catalog limit or without a valid split). */
  summaries: Partial<Record<BaselineName, EvalSummary>>;
  /** Seconds per baseline (ItemKNN: fit and ranking; EASE: its lambda search too). */
  seconds: Partial<Record<BaselineName, number>>;
  /** Settings chosen on validation (EASE's lambda and the candidates' validation NDCG@10). */
  chosen: Partial<Record<BaselineName, Record<string, unknown>>>;
  /** Why a baseline did not run. */
  skipped: Partial<Record<BaselineName, string>>;
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
  /**
   * Settings chosen earlier on the same train and validation splits (e.g. by the teacher's
   * search): those baselines are refitted with them instead of searching again.
   */
  known?: KnownChoices;
}

/** Per baseline, a setting chosen earlier on the same splits (tuned.ts's KnownChoice). */
export type KnownChoices = Partial<Record<BaselineName, KnownChoice>>;

/** Messages from the baseline thread. */
export type BaselineMessage =
  | { progress: [BaselineName, number, number] }
  | { result: Omit<BaselineResults, 'threaded'> }
  | { error: string };

/**
 * Runs `work` (ranking the models) and, when `enabled`, the baselines: on large data on a
 * thread started first, so that they overlap `work`; on small data on this thread after it.
 * If `work` fails, the thread is stopped and its outcome is ignored.
 */
export async function evaluateBaselinesAlongside<T>(
  data: EvalData,
  options: BaselineEvalOptions,
  run: Omit<BaselineRunOptions, 'threaded'> & { enabled: boolean },
  work: () => Promise<T>,
): Promise<{ result: T; baselines?: BaselineResults }> {
  const stop = new AbortController();
  const start = (threaded: boolean) =>
    evaluateBaselines(data, options, {
      threaded,
      onProgress: run.onProgress,
      ...(run.known ? { known: run.known } : {}),
      signal: run.signal ? AbortSignal.any([run.signal, stop.signal]) : stop.signal,
    });
  const early = run.enabled && baselinesWantThread(data) ? start(true) : undefined;
  // Awaited only when `work` succeeds; a failure of `work` must not leave it unhandled.
  early?.catch(() => undefined);
  try {
    const result = await work();
    const baselines = run.enabled ? await (early ?? start(false)) : undefined;
    return { result, baselines };
  } finally {
    stop.abort();
  }
}

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
  const out: Omit<BaselineResults, 'threaded'> = {
    summaries: {},
    seconds: {},
    chosen: {},
    skipped: {},
  };
  const fit = async (name: BaselineName): Promise<Scorer | undefined> => {
    if (name === 'popularity') return PopularityScorer.fit(data.train, data.nItems);
    const tuned = await fitTunedBaseline(
      name,
      data.train,
      data.nItems,
      data.valid,
      run.signal,
      run.known?.[name],
    );
    if ('skipped' in tuned) {
      out.skipped[name] = tuned.skipped;
      return undefined;
    }
    if (tuned.chosen) out.chosen[name] = tuned.chosen;
    return tuned.scorer;
  };
  for (const name of BASELINES) {
    const t0 = performance.now();
    run.signal?.throwIfAborted();
    const scorer = await fit(name);
    if (!scorer) continue;
    const result = await evaluateFullRankingAsync(data, scorer, {
      ...options,
      signal: run.signal,
      onProgress: (done, total) => run.onProgress?.(name, done, total),
    });
    out.summaries[name] = result.summary;
    out.seconds[name] = (performance.now() - t0) / 1000;
  }
  return out;
}

/** Every reference recommender, cheapest first. */
export const BASELINES: readonly BaselineName[] = ['popularity', 'itemknn', 'rp3beta', 'ease'];

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
      known: run.known,
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
