/**
 * The reference recommenders of every A/B report, evaluated by full ranking: Popularity,
 * ItemKNN, RP3beta and EASE (their beta and lambda chosen on the validation split). On large data this runs on a worker thread, so that it overlaps ranking models A
 * and B on the calling thread: at 10M interactions ItemKNN alone takes ~16 s (fit 3.5 s,
 * ranking 12.5 s, since a popular item is in thousands of items' neighbour lists). The same
 * code runs on either thread, so the summaries do not depend on where they were computed.
 */
import type { Worker } from 'node:worker_threads';
import { startTsWorker } from '../../compute/ts-worker.ts';
import { keepRows, nonEmptyRows } from '../../eval/csr.ts';
import { evaluateFullRankingAsync } from '../../eval/full-ranking.ts';
import type { Csr, EvalData, EvalSummary, Scorer } from '../../eval/types.ts';
import { EASE_MAX_ITEMS, fitEaseOnValidation } from '../ease/ease.ts';
import type { ValidationData } from '../types.ts';
import { validationNdcg10 } from '../validation-score.ts';
import { ItemKnnScorer } from './item-knn.ts';
import { PopularityScorer } from './popularity.ts';

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
}

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
  const fit: Record<BaselineName, () => Promise<Scorer | undefined>> = {
    popularity: () => Promise.resolve(PopularityScorer.fit(data.train, data.nItems)),
    itemknn: () => ItemKnnScorer.fitAsync(data.train, data.nItems),
    rp3beta: async () => {
      if (!data.valid) {
        out.skipped.rp3beta = 'no validation split to choose its beta on';
        return undefined;
      }
      // beta damps popular targets; chosen by validation NDCG@10, the test split unread.
      const candidates: { beta: number; validNdcg10: number }[] = [];
      let best: { beta: number; scorer: Scorer; score: number } | undefined;
      for (const beta of RP3_BETAS) {
        const scorer = await ItemKnnScorer.fitAsync(data.train, data.nItems, {
          similarity: 'rp3beta',
          beta,
        });
        const validNdcg10 = await validationNdcg10(scorer, validationOf(data), run.signal);
        candidates.push({ beta, validNdcg10 });
        if (!best || validNdcg10 > best.score) best = { beta, scorer, score: validNdcg10 };
      }
      out.chosen.rp3beta = { beta: best!.beta, candidates };
      return best!.scorer;
    },
    ease: async () => {
      const why = easeUnavailable(data);
      if (why) {
        out.skipped.ease = why;
        return undefined;
      }
      const choice = await fitEaseOnValidation(
        data.train,
        data.nItems,
        (scorer) => validationNdcg10(scorer, validationOf(data), run.signal),
        { signal: run.signal },
      );
      out.chosen.ease = { lambda: choice.lambda, candidates: choice.candidates };
      return choice.scorer;
    },
  };
  for (const name of BASELINES) {
    const t0 = performance.now();
    run.signal?.throwIfAborted();
    const scorer = await fit[name]();
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

/** rp3beta's candidate popularity exponents. */
const RP3_BETAS = [0, 0.25, 0.5, 0.75];

/** Why EASE cannot run on this data, or undefined when it can. */
function easeUnavailable(data: EvalData): string | undefined {
  if (data.nItems > EASE_MAX_ITEMS)
    return `the catalog has ${data.nItems} items, above EASE's dense limit of ${EASE_MAX_ITEMS}`;
  if (!data.valid) return 'no validation split to choose its lambda on';
  return undefined;
}

/**
 * How a baseline's setting is chosen without the test split: NDCG@10 on the validation items
 * of an even spread of at most VALIDATION_USERS users.
 */
function validationOf(data: EvalData): ValidationData {
  return { train: data.train, valid: evenRows(data.valid!, VALIDATION_USERS) };
}

const VALIDATION_USERS = 2000;

/** The rows of an even spread of at most `max` non-empty rows; the others emptied. */
function evenRows(csr: Csr, max: number): Csr {
  const rows = nonEmptyRows(csr);
  const stride = Math.max(1, Math.ceil(rows.length / max));
  return keepRows(
    csr,
    rows.filter((_, q) => q % stride === 0),
  );
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
