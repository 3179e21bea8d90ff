/**
 * The choice of `augmentation.policy: auto`, made on the validation split only: among the
 * candidates whose overall validation NDCG@10 is not below A's and whose tail-item recall
 * does not fall by more than the gate allows (evaluate.maxDrop), the best on sparse users.
 * The same guard rail as the A/B gate, applied on validation, so the choice is one the gate
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

export interface ScoredCandidate extends PolicyCandidate {
  /** Absent when the candidate was not trained (see `skipped`). */
  valid?: ValidationFigures;
  /** Synthetic positives in the candidate's training set. */
  syntheticRows?: number;
  seconds?: number;
  skipped?: string;
}

export interface PolicyChoice {
  /** The chosen candidate's label, or undefined when no candidate was trained. */
  chosen?: string;
  /** True when the chosen candidate beats A on sparse users without losing overall. */
  beatsA: boolean;
  reason: string;
}

const f = (x: number) => x.toFixed(4);

/**
 * The eligible candidates (overall >= A's, tail recall >= A's x (1 - maxDrop)) ranked by
 * sparse-user NDCG@10, then overall (first in grid order on ties). When none is eligible,
 * the best overall stands in as B, so the run still trains and evaluates one; the gate then
 * keeps A.
 */
export function choosePolicy(
  a: ValidationFigures,
  candidates: ScoredCandidate[],
  maxDrop = 0.05,
): PolicyChoice {
  const trained = candidates.filter(
    (c): c is ScoredCandidate & { valid: ValidationFigures } => c.valid !== undefined,
  );
  if (trained.length === 0)
    return {
      beatsA: false,
      reason:
        candidates.length === 0
          ? 'no augmentation source produced rows: B is trained on the real data only'
          : 'no candidate could be trained within the budget: B is trained on the real data only',
    };
  const better = (x: ValidationFigures, y: ValidationFigures) =>
    x.sparseNdcg10 > y.sparseNdcg10 || (x.sparseNdcg10 === y.sparseNdcg10 && x.ndcg10 > y.ndcg10);
  // No tail item in validation: nothing to guard.
  const tailKept = (v: ValidationFigures) =>
    !(a.tailRecall10 > 0) || v.tailRecall10 >= a.tailRecall10 * (1 - maxDrop);
  const eligible = trained.filter((c) => c.valid.ndcg10 >= a.ndcg10 && tailKept(c.valid));
  if (eligible.length > 0) {
    let best = eligible[0]!;
    for (const c of eligible) if (better(c.valid, best.valid)) best = c;
    const gain = best.valid.sparseNdcg10 - a.sparseNdcg10;
    const figures = `validation NDCG@10 sparse users ${f(best.valid.sparseNdcg10)} vs A ${f(a.sparseNdcg10)}, overall ${f(best.valid.ndcg10)} vs A ${f(a.ndcg10)}`;
    return gain > 0
      ? {
          chosen: best.label,
          beatsA: true,
          reason: `${best.label} is best on sparse users (${figures})`,
        }
      : {
          chosen: best.label,
          beatsA: false,
          reason: `no candidate beats A on sparse users without losing overall or on tail items; B is the closest, ${best.label} (${figures})`,
        };
  }
  let best = trained[0]!;
  for (const c of trained) if (c.valid.ndcg10 > best.valid.ndcg10) best = c;
  return {
    chosen: best.label,
    beatsA: false,
    reason: `every candidate is below A overall or loses tail-item recall on validation (best overall ${best.label}: ${f(best.valid.ndcg10)} vs A ${f(a.ndcg10)}); B is that candidate`,
  };
}
