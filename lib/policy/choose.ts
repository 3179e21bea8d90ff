/**
 * The choice of `augmentation.policy: auto`, made on the validation split only, in two steps
 * against the winner's curse (halves.ts):
 * 1. on the selection half: among the candidates whose overall NDCG@10 is not below A's and
 *    whose tail-item recall does not fall by more than the gate allows (evaluate.maxDrop),
 *    the best on sparse users is the pick;
 * 2. on the confirmation half: the pick beats A when it is better on sparse users there too,
 *    under the same two guard rails. Its lift there is the honest estimate.
 * The guard rails are the A/B gate's, applied on validation, so the choice is one the gate
 * can accept. Pure: the figures come from the search.
 */
import type { PolicyCandidate } from './grid.ts';

/** Validation figures of one trained model: NDCG@10 overall and on sparse users, tail recall. */
export interface ValidationFigures {
  ndcg10: number;
  sparseNdcg10: number;
  /** Recall@10 on tail items (NaN when no validation item is in the tail). */
  tailRecall10: number;
}

/** The figures on every validation user, and on each half (selection, confirmation). */
export interface SplitFigures extends ValidationFigures {
  selection: ValidationFigures;
  confirmation: ValidationFigures;
}

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

/** `x` keeps A's overall NDCG@10 and, within `maxDrop`, its tail recall. */
function eligible(a: ValidationFigures, x: ValidationFigures, maxDrop: number): boolean {
  // No tail item among these users: nothing to guard.
  const tailKept = !(a.tailRecall10 > 0) || x.tailRecall10 >= a.tailRecall10 * (1 - maxDrop);
  return x.ndcg10 >= a.ndcg10 && tailKept;
}

const figures = (x: ValidationFigures, a: ValidationFigures) =>
  `sparse users ${f(x.sparseNdcg10)} vs A ${f(a.sparseNdcg10)}, overall ${f(x.ndcg10)} vs A ${f(a.ndcg10)}`;

/**
 * Picks on the selection half (ranked by sparse-user NDCG@10, then overall; the first in
 * grid order on ties) and confirms on the other. When no candidate is eligible on the
 * selection half, the best overall there stands in as B, so the run still trains and
 * evaluates one; the gate then keeps A.
 */
export function choosePolicy(
  a: SplitFigures,
  candidates: ScoredCandidate[],
  maxDrop = 0.05,
): PolicyChoice {
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
  const sel = (c: { valid: SplitFigures }) => c.valid.selection;
  const better = (x: ValidationFigures, y: ValidationFigures) =>
    x.sparseNdcg10 > y.sparseNdcg10 || (x.sparseNdcg10 === y.sparseNdcg10 && x.ndcg10 > y.ndcg10);
  const pool = trained.filter((c) => eligible(a.selection, sel(c), maxDrop));
  if (pool.length === 0) {
    let best = trained[0]!;
    for (const c of trained) if (sel(c).ndcg10 > sel(best).ndcg10) best = c;
    return {
      chosen: best.label,
      beatsA: false,
      reason: `on the selection half of the validation users every candidate is below A overall or loses tail-item recall (best overall ${best.label}: ${f(sel(best).ndcg10)} vs A ${f(a.selection.ndcg10)}); B is that candidate`,
    };
  }
  let best = pool[0]!;
  for (const c of pool) if (better(sel(c), sel(best))) best = c;
  const picked = `${best.label} is best on the selection half (${figures(sel(best), a.selection)})`;
  if (!(sel(best).sparseNdcg10 > a.selection.sparseNdcg10))
    return {
      chosen: best.label,
      beatsA: false,
      reason: `no candidate beats A on sparse users of the selection half without losing overall or on tail items; B is the closest: ${picked}`,
    };
  const conf = best.valid.confirmation;
  const confirmed =
    conf.sparseNdcg10 > a.confirmation.sparseNdcg10 && eligible(a.confirmation, conf, maxDrop);
  return {
    chosen: best.label,
    beatsA: confirmed,
    reason: confirmed
      ? `${picked} and beats A on the confirmation half too (${figures(conf, a.confirmation)})`
      : `${picked} but does not beat A on the confirmation half (${figures(conf, a.confirmation)}, tail recall ${f(conf.tailRecall10)} vs A ${f(a.confirmation.tailRecall10)}): its lift is not confirmed`,
  };
}
