import { runSteps } from '../async/steps.ts';
import type { Steps } from '../async/steps.ts';
import { bootstrapMeansCiSteps } from './bootstrap.ts';
import type { EvalResult, MetricKey } from './types.ts';
import { wilcoxonSignedRank } from './wilcoxon.ts';
import type { WilcoxonOptions } from './wilcoxon.ts';

/** Where a paired effect was measured. */
export type SegmentName = 'all' | 'coldUsers' | 'sparseUsers' | 'tailItems';

/** Paired effect of B over A on one metric and segment (delta = B - A per user). */
export interface Effect {
  metric: MetricKey;
  segment: SegmentName;
  /** Users in the pairing (those where the metric is defined for both). */
  n: number;
  meanA: number;
  meanB: number;
  /** Mean of the per-user deltas B - A. */
  delta: number;
  /** Percentile-bootstrap interval of `delta`. */
  ciLow: number;
  ciHigh: number;
  /** Two-sided Wilcoxon signed-rank p-value (NaN when every delta is zero). */
  p: number;
  wins: number;
  losses: number;
  ties: number;
}

/** Options of {@link compareResults}. */
export interface CompareOptions {
  /** Metrics to compare. @default every per-user metric of the results */
  metrics?: MetricKey[];
  /** Bootstrap resamples (>= 1000 recommended). @default 2000 */
  resamples?: number;
  /** Bootstrap seed. @default 0 */
  seed?: number;
  /** Confidence level of the intervals. @default 0.95 */
  level?: number;
  wilcoxon?: WilcoxonOptions;
}

/** All paired effects of B over A. `tailItems` holds `tailRecall@K` (recall on tail items). */
export interface Comparison {
  level: number;
  resamples: number;
  seed: number;
  effects: Record<SegmentName, Partial<Record<MetricKey, Effect>>>;
}

/**
 * Paired comparison of two evaluations of the same users (same data, same options, different
 * models): per-user deltas B - A, a bootstrap interval of their mean and a Wilcoxon
 * signed-rank p-value, for every metric on all users, cold users and sparse users, and tail recall on
 * users with a tail test item. All metrics of a segment share one seeded joint bootstrap
 * (common random numbers), so results are reproducible and the draws are paid once.
 *
 * @throws Error when the two results were not computed on the same users and cutoffs
 */
export function compareResults(
  a: EvalResult,
  b: EvalResult,
  options: CompareOptions = {},
): Comparison {
  return runSteps(compareResultsSteps(a, b, options));
}

/** {@link compareResults} as steps (see lib/async/steps.ts). */
export function* compareResultsSteps(
  a: EvalResult,
  b: EvalResult,
  options: CompareOptions = {},
): Steps<Comparison> {
  assertSameUsers(a, b);
  const level = options.level ?? 0.95;
  const resamples = options.resamples ?? 2000;
  const seed = options.seed ?? 0;
  const metrics = options.metrics ?? (Object.keys(a.perUser) as MetricKey[]);
  for (const m of metrics) {
    metricValues(a, m);
    metricValues(b, m);
  }
  const stats = { level, resamples, seed, wilcoxon: options.wilcoxon ?? {} };
  const tail = metrics.filter((m) => m.startsWith('tailRecall@'));
  const rest = metrics.filter((m) => !m.startsWith('tailRecall@'));
  return {
    level,
    resamples,
    seed,
    effects: {
      all: yield* pairedEffectsSteps(rest, 'all', a, b, undefined, stats),
      coldUsers: yield* pairedEffectsSteps(rest, 'coldUsers', a, b, a.segments.coldUsers, stats),
      sparseUsers: yield* pairedEffectsSteps(
        rest,
        'sparseUsers',
        a,
        b,
        a.segments.sparseUsers,
        stats,
      ),
      tailItems: yield* pairedEffectsSteps(tail, 'tailItems', a, b, a.segments.tailUsers, stats),
    },
  };
}

/**
 * Paired effects of `b` over `a` for several metrics on one segment (`positions` into the
 * users; all when omitted). One joint bootstrap serves every metric; a user where either
 * value is NaN is left out of that metric.
 */
export function pairedEffects(
  ...args: Parameters<typeof pairedEffectsSteps>
): Partial<Record<MetricKey, Effect>> {
  return runSteps(pairedEffectsSteps(...args));
}

/** {@link pairedEffects} as steps (see lib/async/steps.ts). */
export function* pairedEffectsSteps(
  metrics: MetricKey[],
  segment: SegmentName,
  a: EvalResult,
  b: EvalResult,
  positions: Int32Array | undefined,
  stats: { level: number; resamples: number; seed: number; wilcoxon: WilcoxonOptions },
): Steps<Partial<Record<MetricKey, Effect>>> {
  const total = positions ? positions.length : a.users.length;
  const columns = metrics.map((metric) => {
    const va = metricValues(a, metric);
    const vb = metricValues(b, metric);
    const d = new Float64Array(total);
    for (let q = 0; q < total; q++) {
      const pos = positions ? positions[q]! : q;
      d[q] = vb[pos]! - va[pos]!; // NaN when either is NaN
    }
    return d;
  });
  const cis = yield* bootstrapMeansCiSteps(columns, stats);
  const out: Partial<Record<MetricKey, Effect>> = {};
  for (const [c, metric] of metrics.entries()) {
    yield; // a signed-rank test sorts every user's delta
    const va = metricValues(a, metric);
    const vb = metricValues(b, metric);
    const d = columns[c]!;
    const used = new Float64Array(total);
    let n = 0;
    let sumA = 0;
    let sumB = 0;
    let wins = 0;
    let losses = 0;
    for (let q = 0; q < total; q++) {
      const delta = d[q]!;
      if (delta !== delta) continue;
      const pos = positions ? positions[q]! : q;
      sumA += va[pos]!;
      sumB += vb[pos]!;
      if (delta > 0) wins++;
      else if (delta < 0) losses++;
      used[n++] = delta;
    }
    const ci = cis[c]!;
    out[metric] = {
      metric,
      segment,
      n,
      meanA: n ? sumA / n : NaN,
      meanB: n ? sumB / n : NaN,
      delta: ci.mean,
      ciLow: ci.low,
      ciHigh: ci.high,
      p: n ? wilcoxonSignedRank(used.subarray(0, n), stats.wilcoxon).p : NaN,
      wins,
      losses,
      ties: n - wins - losses,
    };
  }
  return out;
}

/** The per-user values of `metric`; throws when the result has no such metric. */
export function metricValues(result: EvalResult, metric: MetricKey): Float64Array {
  const v = result.perUser[metric];
  if (!v) {
    const known = Object.keys(result.perUser).join(', ');
    throw new Error(`metric ${metric} is not in this result (it has ${known})`);
  }
  return v;
}

function assertSameUsers(a: EvalResult, b: EvalResult): void {
  const same =
    a.nItems === b.nItems &&
    a.users.length === b.users.length &&
    a.ks.join() === b.ks.join() &&
    a.users.every((u, q) => u === b.users[q]) &&
    a.segments.coldUsers.length === b.segments.coldUsers.length &&
    a.segments.sparseUsers.length === b.segments.sparseUsers.length &&
    a.segments.tailUsers.length === b.segments.tailUsers.length;
  if (!same) {
    throw new Error(
      'A and B were not evaluated on the same users, items and cutoffs; evaluate both models ' +
        'on the same EvalData with the same options',
    );
  }
}
