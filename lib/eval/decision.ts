import { runSteps, runStepsAsync } from '../async/steps.ts';
import type { Steps } from '../async/steps.ts';
import { compareResultsSteps } from './compare.ts';
import type { CompareOptions, Comparison, Effect } from './compare.ts';
import type { EvalResult, MetricKey } from './types.ts';

/** Guard-rail segments that must not drop. */
export type GuardRail = 'coldUsers' | 'sparseUsers' | 'tailItems';

const RAIL_WORDS: Record<GuardRail, string> = {
  coldUsers: 'cold users',
  sparseUsers: 'sparse users',
  tailItems: 'tail items',
};

/** When B replaces A. */
export interface DecisionConfig {
  /** Primary metric. @default 'ndcg@10' */
  metric?: MetricKey;
  /**
   * Required lift: the lower bound of the confidence interval of the mean per-user delta
   * (B - A, absolute metric units) must be strictly above this. Must be >= 0, so B = A
   * (all deltas 0, interval 0..0) can never promote.
   */
  minLift: number;
  /**
   * Largest allowed drop of the primary metric on each guard-rail segment, as a fraction of
   * A's segment mean (`relative`, 0.02 = 2%) or in metric units (`absolute`). Relative is
   * the default because segment levels differ a lot (cold users score far below average).
   * It is judged on the point estimate: segments are small and their intervals wide, so
   * demanding a confident "no drop" would block almost every candidate.
   */
  maxDrop: number;
  /**
   * A guard-rail segment with fewer users than this is too small for its point estimate to
   * mean anything (on 12 users one user's hit moves the mean NDCG@10 by up to 0.08): there a
   * drop beyond `maxDrop` fails only when the change's interval lies wholly below zero. 0
   * judges every segment on its point estimate. @default 50
   */
  minSegmentUsers?: number;
  /** @default 'relative' */
  maxDropMode?: 'relative' | 'absolute';
  /** The Wilcoxon p-value of the primary metric must be below this. @default 0.05 */
  alpha?: number;
  /**
   * Segments to guard. On `tailItems` the guarded metric is recall on tail test items at
   * the primary metric's K (`tailRecall@K`; the smallest K for `mrr`); on the user segments
   * it is the primary metric. @default all three
   */
  guardRails?: GuardRail[];
}

/** One check of the rule, for reports. */
export interface DecisionCheck {
  name: 'lift' | 'significance' | GuardRail;
  passed: boolean;
  reason: string;
}

/** The verdict, its reasons in plain words (verdict first) and the checks behind it. */
export interface Decision {
  promote: boolean;
  reasons: string[];
  checks: DecisionCheck[];
}

/**
 * Promote B when (1) the CI lower bound of its primary-metric delta is above `minLift`,
 * (2) the signed-rank p-value is below `alpha`, and (3) no guard-rail segment drops more
 * than `maxDrop` (a segment smaller than `minSegmentUsers` only when its whole interval is
 * below zero too). Reads the comparison only; it recomputes nothing.
 */
export function decide(cmp: Comparison, config: DecisionConfig): Decision {
  const metric = config.metric ?? 'ndcg@10';
  const alpha = config.alpha ?? 0.05;
  const mode = config.maxDropMode ?? 'relative';
  const minUsers = config.minSegmentUsers ?? DEFAULT_MIN_SEGMENT_USERS;
  validate(config, alpha, minUsers);
  const main = cmp.effects.all[metric];
  if (!main) throw new Error(`the comparison has no effect for ${metric} on all users`);
  const name = metricLabel(metric);
  const level = `${Math.round(cmp.level * 100)}% CI`;
  const checks: DecisionCheck[] = [];

  const liftOk = main.ciLow > config.minLift;
  const summary =
    `${name} ${changeWords(main.delta, 4)} (${level} ${fmt(main.ciLow)}..${fmt(main.ciHigh)}, ` +
    `${fmtP(main.p)}, n=${main.n} users; ${main.wins} better, ${main.losses} worse, ${main.ties} tied)`;
  checks.push({
    name: 'lift',
    passed: liftOk,
    reason: liftOk
      ? `${summary} - the CI lower bound is above the required lift ${config.minLift}`
      : `${summary} - the CI lower bound ${fmt(main.ciLow)} is not above the required lift ${config.minLift}`,
  });
  const sigOk = main.p < alpha;
  checks.push({
    name: 'significance',
    passed: sigOk,
    reason: sigOk
      ? `signed-rank test: ${fmtP(main.p)} is below alpha ${alpha}`
      : `signed-rank test: ${fmtP(main.p)} is not below alpha ${alpha}`,
  });

  for (const rail of config.guardRails ?? DEFAULT_RAILS) {
    const key = guardRailMetric(rail, metric, cmp);
    const effect = cmp.effects[rail][key];
    if (!effect) throw new Error(`the comparison has no effect for ${key} on ${rail}`);
    checks.push(guardCheck(rail, effect, { maxDrop: config.maxDrop, mode, minUsers }, level));
  }

  const promote = checks.every((c) => c.passed);
  const failed = checks.filter((c) => !c.passed).length;
  const verdict = promote
    ? `promote B: ${name} improved beyond the required lift and no guard rail dropped`
    : `keep A: ${failed} of ${checks.length} checks failed`;
  return { promote, reasons: [verdict, ...checks.map((c) => c.reason)], checks };
}

const DEFAULT_RAILS: GuardRail[] = ['coldUsers', 'sparseUsers', 'tailItems'];
const DEFAULT_MIN_SEGMENT_USERS = 50;

/**
 * Compare two evaluations and decide in one step, with intervals at level 1 - alpha.
 */
export function abTest(...args: Parameters<typeof abTestSteps>): {
  comparison: Comparison;
  decision: Decision;
} {
  return runSteps(abTestSteps(...args));
}

/** {@link abTest} for an activity: the event loop gets a turn every `sliceMs`. */
export function abTestAsync(
  a: EvalResult,
  b: EvalResult,
  config: DecisionConfig,
  options: Omit<CompareOptions, 'level'> = {},
  sliceMs?: number,
): Promise<{ comparison: Comparison; decision: Decision }> {
  return runStepsAsync(abTestSteps(a, b, config, options), sliceMs);
}

function* abTestSteps(
  a: EvalResult,
  b: EvalResult,
  config: DecisionConfig,
  options: Omit<CompareOptions, 'level'> = {},
): Steps<{ comparison: Comparison; decision: Decision }> {
  const level = 1 - (config.alpha ?? 0.05);
  const comparison = yield* compareResultsSteps(a, b, { ...options, level });
  return { comparison, decision: decide(comparison, config) };
}

/** How a guard rail judges a drop: the allowance, its units, and the smallest segment whose
 * point estimate is judged alone. */
export interface RailRule {
  maxDrop: number;
  mode: 'relative' | 'absolute';
  minUsers: number;
}

/** The segment's change the rule reads: its users, A's mean, B - A and the interval's top. */
export type RailChange = Pick<Effect, 'n' | 'meanA' | 'delta' | 'ciHigh'>;

/** The drop the rule compares with `maxDrop`: relative to A's mean, or in metric units. */
function railDrop(e: RailChange, mode: RailRule['mode']): number {
  // A mean of 0 cannot fall (metrics are >= 0), so the relative drop is 0 there.
  if (mode === 'absolute') return -e.delta;
  return e.meanA > 0 ? -e.delta / e.meanA : 0;
}

/**
 * Whether a guard rail blocks B: its drop exceeds `maxDrop`, and the segment is large enough
 * to judge on the point estimate or the whole interval of the change is below zero. The
 * A/B gate's rule; the policy applies it on validation (lib/policy/choose.ts).
 */
export function railBlocks(e: RailChange, rule: RailRule): boolean {
  if (e.n === 0 || !(railDrop(e, rule.mode) > rule.maxDrop)) return false;
  return e.n >= rule.minUsers || e.ciHigh < 0;
}

function guardCheck(rail: GuardRail, e: Effect, rule: RailRule, level: string): DecisionCheck {
  const { maxDrop, mode, minUsers } = rule;
  const where = RAIL_WORDS[rail];
  const name = metricLabel(e.metric);
  if (e.n === 0) {
    return {
      name: rail,
      passed: true,
      reason: `${where}: no users in this segment, guard rail not applied`,
    };
  }
  const relative = mode === 'relative' && e.meanA > 0;
  // The change's interval, so a reader sees whether the segment's change is told apart from
  // noise (segments are small): as a share of A's mean where the drop is judged so.
  const interval = relative
    ? `${signed(e.ciLow / e.meanA, 1, true)}..${signed(e.ciHigh / e.meanA, 1, true)}`
    : `${signed(e.ciLow, 4)}..${signed(e.ciHigh, 4)}`;
  const levels = `(${fmt(e.meanA)} -> ${fmt(e.meanB)}, ${level} of the change ${interval}, n=${e.n} users)`;
  const drop = railDrop(e, mode);
  // From 0, a rise has no relative size.
  const change =
    mode === 'absolute'
      ? changeWords(e.delta, 4)
      : e.meanA > 0
        ? changeWords(e.delta / e.meanA, 1, true)
        : e.delta > 0
          ? 'rose from 0'
          : 'did not change';
  const allowed = mode === 'absolute' ? String(maxDrop) : `${round(maxDrop * 100, 2)}%`;
  if (drop > maxDrop) {
    const over = `${where}: ${name} ${change} ${levels}, more than the allowed ${allowed}`;
    if (e.n >= minUsers) return { name: rail, passed: false, reason: over };
    // Too few users for the point estimate: only a fall the interval tells apart from none counts.
    const few = `${e.n} users are too few to judge on the point estimate (fewer than ${minUsers})`;
    return railBlocks(e, rule)
      ? {
          name: rail,
          passed: false,
          reason: `${over}; ${few}, but the whole interval is below zero`,
        }
      : {
          name: rail,
          passed: true,
          reason: `${over}, but ${few} and the interval includes no change`,
        };
  }
  const tail = drop > 0 ? `, within the allowed ${allowed}` : '';
  return { name: rail, passed: true, reason: `${where}: ${name} ${change} ${levels}${tail}` };
}

/**
 * The metric a guard rail judges: the primary metric on the user segments; on tail items,
 * recall on tail test items at the primary metric's K (the smallest K for `mrr`).
 */
export function guardRailMetric(rail: GuardRail, metric: MetricKey, cmp: Comparison): MetricKey {
  if (rail !== 'tailItems') return metric;
  const at = metric.indexOf('@');
  if (at >= 0) return `tailRecall@${metric.slice(at + 1)}` as MetricKey;
  const ks = Object.keys(cmp.effects.tailItems)
    .map((k) => Number(k.slice(k.indexOf('@') + 1)))
    .sort((x, y) => x - y);
  if (ks.length === 0) throw new Error('the comparison has no tail-item effects');
  return `tailRecall@${ks[0]!}`;
}

function validate(config: DecisionConfig, alpha: number, minUsers: number): void {
  if (!(config.minLift >= 0)) throw new RangeError(`minLift must be >= 0, got ${config.minLift}`);
  if (!(config.maxDrop >= 0)) throw new RangeError(`maxDrop must be >= 0, got ${config.maxDrop}`);
  if (!(Number.isInteger(minUsers) && minUsers >= 0))
    throw new RangeError(`minSegmentUsers must be an integer >= 0, got ${minUsers}`);
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

const LABELS: Record<string, string> = {
  recall: 'Recall',
  ndcg: 'NDCG',
  hr: 'HR',
  map: 'MAP',
  novelty: 'Novelty',
  tailShare: 'Tail share',
  tailRecall: 'Recall on tail items',
};

/** Human name of a metric key: `ndcg@10` -> `NDCG@10`, `tailRecall@10` -> `Recall@10 on tail items`. */
export function metricLabel(metric: MetricKey): string {
  if (metric === 'mrr') return 'MRR';
  const [family = '', k = ''] = metric.split('@');
  if (family === 'tailRecall') return `Recall@${k} on tail items`;
  return `${LABELS[family] ?? family}@${k}`;
}

function changeWords(delta: number, digits: number, percent = false): string {
  const v = percent ? `${round(Math.abs(delta) * 100, digits)}%` : fmt(Math.abs(delta), digits);
  if (delta > 0) return `rose by ${v}`;
  if (delta < 0) return `fell by ${v}`;
  return 'did not change';
}

/** With its sign: +0.0012, -3.1%, 0% (a value that rounds to zero has none). */
function signed(x: number, digits: number, percent = false): string {
  if (!Number.isFinite(x)) return 'n/a';
  const n = percent ? round(x * 100, digits) : x.toFixed(digits);
  const v = Number(n) === 0 ? n.replace('-', '') : n;
  return `${Number(n) > 0 ? '+' : ''}${v}${percent ? '%' : ''}`;
}

function fmt(x: number, digits = 4): string {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

function fmtP(p: number): string {
  if (!Number.isFinite(p)) return 'p=n/a';
  return p < 0.0001 ? 'p<0.0001' : `p=${p.toFixed(4)}`;
}

/** Fixed digits without trailing zeros: 2.50 -> "2.5", 2.00 -> "2". */
function round(x: number, digits: number): string {
  const s = x.toFixed(digits);
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}
