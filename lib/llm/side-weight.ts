/**
 * How much item side information the no-LLM chooser mixes in, chosen on validation: on
 * questions whose answer is a held-out validation item, each weight of a small grid ranks the
 * candidates, and the weight whose rankings put the held-out item highest (mean reciprocal
 * rank; ties go to the smaller weight, 0 = the IDs alone) is kept. Fewer than
 * MIN_SIDE_QUESTIONS questions keep weight 0. The test split is never read.
 */
import { contentScores, mixScores } from './content-scores.ts';
import type { ItemFeatures } from './item-features.ts';
import { sequenceScores } from './sequence-chooser.ts';
import type { SequenceModel } from './sequence-train.ts';
import type { ChoiceRequest } from './types.ts';

export const SIDE_WEIGHTS: readonly number[] = [0, 0.25, 0.5, 1, 2, 4];

/** Fewer validation questions than this choose weight 0: too few to tell a weight's worth. */
export const MIN_SIDE_QUESTIONS = 50;

/** Validation figures of one weight. */
export interface SideWeightFigures {
  weight: number;
  /** Share of questions whose top-scored candidate is the held-out item. */
  hitRate: number;
  /** Mean reciprocal rank of the held-out item among the candidates. */
  mrr: number;
}

export interface SideWeightChoice {
  weight: number;
  questions: number;
  figures: SideWeightFigures[];
}

/** Rank (1 = top) of candidate `t` under `scores`; ties count against it. */
function rankOf(scores: ArrayLike<number>, t: number): number {
  let rank = 1;
  for (let k = 0; k < scores.length; k++) if (k !== t && scores[k]! >= scores[t]!) rank++;
  return rank;
}

/** Figures of every weight on the questions, and the chosen weight. */
export function chooseSideWeight(
  model: SequenceModel,
  features: ItemFeatures,
  questions: { requests: ChoiceRequest[]; truth: number[] },
  weights: readonly number[] = SIDE_WEIGHTS,
): SideWeightChoice {
  const { requests, truth } = questions;
  const n = requests.length;
  const hits = new Float64Array(weights.length);
  const rr = new Float64Array(weights.length);
  const profile = new Float64Array(features.names.length);
  const batch = 512;
  for (let start = 0; start < n; start += batch) {
    const part = requests.slice(start, start + batch);
    const seq = sequenceScores(model, part);
    part.forEach((req, b) => {
      const content = contentScores(features, req.history, req.candidates, profile);
      const t = truth[start + b]!;
      weights.forEach((w, g) => {
        const rank = rankOf(mixScores(seq[b]!, content, w), t);
        rr[g] = rr[g]! + 1 / rank;
        if (rank === 1) hits[g] = hits[g]! + 1;
      });
    });
  }
  const figures = weights.map((weight, g) => ({
    weight,
    hitRate: n ? hits[g]! / n : 0,
    mrr: n ? rr[g]! / n : 0,
  }));
  let best = 0;
  for (let g = 1; g < figures.length; g++) if (figures[g]!.mrr > figures[best]!.mrr) best = g;
  const decides = n >= MIN_SIDE_QUESTIONS && features.fields.length > 0;
  return { weight: decides ? figures[best]!.weight : 0, questions: n, figures };
}
