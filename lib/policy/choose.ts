/**
 * The choice of `augmentation.policy: auto`, made on the validation split only, in two steps
 * against the winner's curse (halves.ts):
 * 1. on the users it ranks on (`rankOn`: the selection half, or every validation user):
 *    among the candidates whose overall NDCG@10 is not below A's and whose tail-item recall
 *    does not fall by more than the gate allows (evaluate.maxDrop), the best on sparse users
 *    is the pick;
 * 2. on the confirmation half: the pick beats A when it is better on sparse users there too,
 *    under the same two guard rails. Ranked on the selection half, its lift there is an
 *    unbiased estimate; ranked on every user, the half was seen by the ranking and the check
 *    asks for a lift on both halves (a pick that wins on one half only is not confirmed).
 *    Ranked on every user, the pick is therefore made among the candidates that beat A on
 *    each half when there are any: the best sparse-user figure of all can be a candidate
 *    level with A overall, within noise, that one half shows below it, while others win on
 *    both (on the demo data with BPR-MF, every source together at 0.1935 overall vs A's
 *    0.1916, below A on the confirmation half, passed over candidates 13-19% above A overall
 *    and above it on the sparse users of each half).
 * The guard rails are the A/B gate's, applied on validation, so the choice is one the gate
 * can accept: overall and tail items on the users that rank, and the cold users (too few to
 * split in halves) on every validation user, by the gate's own rule (railBlocks: a segment
 * smaller than `minSegmentUsers` blocks only when its whole interval is below zero). Pure:
 * the figures come from the search.
 */
import { railBlocks } from '../eval/decision.ts';
import type { PolicyCandidate } from './grid.ts';

/** Validation figures of one trained model: NDCG@10 overall and on sparse users, tail recall. */
export interface ValidationFigures {
  ndcg10: number;
  sparseNdcg10: number;
  /** Recall@10 on tail items (NaN when no validation item is in the tail). */
  tailRecall10: number;
}

/** NDCG@10 of the cold users (the evaluation's segment) among every validation user. */
export interface ColdFigures {
  users: number;
  ndcg10: number;
  /**
   * A candidate's: the top of the interval of its change against A (NDCG@10 units, paired
   * per user, at the gate's level); absent for A.
   */
  deltaHigh?: number;
}

/** The figures on every validation user, and on each half (selection, confirmation). */
export interface SplitFigures extends ValidationFigures {
  selection: ValidationFigures;
  confirmation: ValidationFigures;
  /** Absent where the scorer measured no cold users. */
  coldUsers?: ColdFigures;
}

/** The guard rails' allowance: the gate's `evaluate.maxDrop` and `evaluate.minSegmentUsers`. */
export interface PolicyGuard {
  maxDrop: number;
  minSegmentUsers: number;
}

const DEFAULT_GUARD: PolicyGuard = { maxDrop: 0.05, minSegmentUsers: 50 };

export interface ScoredCandidate extends PolicyCandidate {
  /** Absent when the candidate was not trained (see `skipped`). */
  valid?: SplitFigures;
  /** Synthetic positives in the candidate's training set. */
  syntheticRows?: number;
  /** The earlier candidate with the same training set, whose figures these are (not trained again). */
  sameAs?: string;
  seconds?: number;
  skipped?: string;
}

/**
 * Which validation users rank the candidates: `selection`, the half early stopping saw
 * (the confirmation half stays unseen by any choice), or `all`, every validation user (twice
 * the users, so a less noisy ranking, and the confirmation half is a consistency check).
 */
export type RankOn = 'selection' | 'all';

export interface PolicyChoice {
  /** The chosen candidate's label, or undefined when no candidate was trained. */
  chosen?: string;
  /**
   * True when the pick beats A on sparse users without losing overall or on tail items, on
   * the selection half and again on the confirmation half.
   */
  beatsA: boolean;
  reason: string;
}

const f = (x: number) => x.toFixed(4);

/** Whether the candidate's cold users fall as the gate's cold-user rail would not accept. */
export function coldUsersBlock(a: SplitFigures, x: SplitFigures, guard: PolicyGuard): boolean {
  const cold = x.coldUsers;
  if (!a.coldUsers || cold?.deltaHigh === undefined) return false;
  return railBlocks(
    {
      n: a.coldUsers.users,
      meanA: a.coldUsers.ndcg10,
      delta: cold.ndcg10 - a.coldUsers.ndcg10,
      ciHigh: cold.deltaHigh,
    },
    { maxDrop: guard.maxDrop, mode: 'relative', minUsers: guard.minSegmentUsers },
  );
}

/** `x` keeps A's overall NDCG@10 and, within `maxDrop`, its tail recall. */
function eligible(a: ValidationFigures, x: ValidationFigures, maxDrop: number): boolean {
  // No tail item among these users: nothing to guard.
  const tailKept = !(a.tailRecall10 > 0) || x.tailRecall10 >= a.tailRecall10 * (1 - maxDrop);
  return x.ndcg10 >= a.ndcg10 && tailKept;
}

/** A candidate's cold users against A's, with the top of the interval of the change. */
const coldWords = (a: SplitFigures, x: SplitFigures) =>
  `${f(x.coldUsers!.ndcg10)} vs A ${f(a.coldUsers!.ndcg10)} on ${a.coldUsers!.users} users, the interval of the change up to ${x.coldUsers!.deltaHigh! >= 0 ? '+' : ''}${f(x.coldUsers!.deltaHigh!)}`;

const figures = (x: ValidationFigures, a: ValidationFigures) =>
  `sparse users ${f(x.sparseNdcg10)} vs A ${f(a.sparseNdcg10)}, overall ${f(x.ndcg10)} vs A ${f(a.ndcg10)}`;

/**
 * Picks on the selection half (ranked by sparse-user NDCG@10, then overall; the first in
 * grid order on ties) and confirms on the other; with `rankOn: all`, picks on every user
 * among the candidates that beat A on each half, or if none does, the best eligible one
 * (not confirmed). When no candidate is eligible, the best overall stands in as B, so the
 * run still trains and evaluates one; the gate then keeps A.
 */
export function choosePolicy(
  a: SplitFigures,
  candidates: ScoredCandidate[],
  guard: PolicyGuard = DEFAULT_GUARD,
  rankOn: RankOn = 'selection',
): PolicyChoice {
  const { maxDrop } = guard;
  const trained = candidates.filter(
    (c): c is ScoredCandidate & { valid: SplitFigures } => c.valid !== undefined,
  );
  if (trained.length === 0)
    return {
      beatsA: false,
      reason:
        candidates.length === 0
          ? 'no augmentation source produced rows: B is trained on the real data only'
          : 'no candidate could be trained within the budget: B is trained on the real data only',
    };
  const ranked = (x: SplitFigures): ValidationFigures => (rankOn === 'all' ? x : x.selection);
  const sel = (c: { valid: SplitFigures }) => ranked(c.valid);
  const users = rankOn === 'all' ? 'every validation user' : 'the selection half';
  const aSel = ranked(a);
  const better = (x: ValidationFigures, y: ValidationFigures) =>
    x.sparseNdcg10 > y.sparseNdcg10 || (x.sparseNdcg10 === y.sparseNdcg10 && x.ndcg10 > y.ndcg10);
  const kept = trained.filter((c) => eligible(aSel, sel(c), maxDrop));
  const coldBlocked = new Set(kept.filter((c) => coldUsersBlock(a, c.valid, guard)));
  const pool = kept.filter((c) => !coldBlocked.has(c));
  if (pool.length === 0) {
    let best = trained[0]!;
    for (const c of trained) if (sel(c).ndcg10 > sel(best).ndcg10) best = c;
    const cold =
      coldBlocked.size > 0 ? `, or its cold users fall (${coldBlocked.size} of them)` : '';
    return {
      chosen: best.label,
      beatsA: false,
      reason: `on ${users} every candidate is below A overall or loses tail-item recall${cold} (best overall ${best.label}: ${f(sel(best).ndcg10)} vs A ${f(aSel.ndcg10)}); B is that candidate`,
    };
  }
  const bestOf = (cs: typeof pool) => {
    let best = cs[0]!;
    for (const c of cs) if (better(sel(c), sel(best))) best = c;
    return best;
  };
  // The candidate the cold-user rail passed over, when it would have been the pick.
  const passedCold = bestOf(kept);
  const coldNote = coldBlocked.has(passedCold)
    ? `; ${passedCold.label} scores higher on sparse users (${f(sel(passedCold).sparseNdcg10)}) but its cold users fall (${coldWords(a, passedCold.valid)})`
    : '';
  // Better on sparse users of a half, under the same two guard rails.
  const beatsOn = (c: (typeof pool)[number], half: 'selection' | 'confirmation') =>
    c.valid[half].sparseNdcg10 > a[half].sparseNdcg10 && eligible(a[half], c.valid[half], maxDrop);
  const top = bestOf(pool);
  if (rankOn === 'all') {
    // Every user ranks, so each half is a consistency check: the best of the candidates
    // that pass it, when any does.
    const confirmed = pool.filter((c) => beatsOn(c, 'selection') && beatsOn(c, 'confirmation'));
    if (confirmed.length > 0) {
      const best = bestOf(confirmed);
      const passedOver =
        best === top
          ? ''
          : `; ${top.label} scores higher on sparse users (${f(sel(top).sparseNdcg10)}) but does not beat A on each half`;
      return {
        chosen: best.label,
        beatsA: true,
        reason: `${best.label} is best on ${users} among the candidates that beat A on each half of them (${figures(sel(best), aSel)}; confirmation half: ${figures(best.valid.confirmation, a.confirmation)})${passedOver}${coldNote}`,
      };
    }
  }
  const best = top;
  const picked = `${best.label} is best on ${users} (${figures(sel(best), aSel)})`;
  if (!(sel(best).sparseNdcg10 > aSel.sparseNdcg10))
    return {
      chosen: best.label,
      beatsA: false,
      reason: `no candidate beats A on sparse users of ${users} without losing overall or on tail items; B is the closest: ${picked}${coldNote}`,
    };
  if (rankOn === 'all') {
    const lost = (['selection', 'confirmation'] as const).find((half) => !beatsOn(best, half))!;
    return {
      chosen: best.label,
      beatsA: false,
      reason: `${picked} but does not beat A on the ${lost} half (${figures(best.valid[lost], a[lost])}, tail recall ${f(best.valid[lost].tailRecall10)} vs A ${f(a[lost].tailRecall10)}), nor does any other candidate on both: its lift is not confirmed${coldNote}`,
    };
  }
  const conf = best.valid.confirmation;
  const confirmed = beatsOn(best, 'confirmation');
  return {
    chosen: best.label,
    beatsA: confirmed,
    reason:
      (confirmed
        ? `${picked} and beats A on the confirmation half too (${figures(conf, a.confirmation)})`
        : `${picked} but does not beat A on the confirmation half (${figures(conf, a.confirmation)}, tail recall ${f(conf.tailRecall10)} vs A ${f(a.confirmation.tailRecall10)}): its lift is not confirmed`) +
      coldNote,
  };
}
