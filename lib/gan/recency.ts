/**
 * The generator conditioned on recency-weighted histories. CFGAN's condition is a user's
 * 0/1 train vector, which says nothing of the order the user acted in; on logs where what a
 * user did last predicts what they do next (leave-last-out splits above all), weighting each
 * entry of the condition by 2^(-r / h), r the user's later train rows, lets the trained
 * generator lean on the latest items - as the item-item baselines do (baselines/recency.ts).
 * The half-life is chosen on validation after training, "none" included, so a log without a
 * temporal signal keeps the plain condition. Training is unchanged, so the TypeScript and the
 * Python trainers both get it. Pure: no Temporal, no I/O.
 */
import type { Csr } from '../eval/types.ts';
import { chooseHistoryWeighting, recencyWeights } from '../models/baselines/recency.ts';
import type { HistoryWeighting } from '../models/baselines/recency.ts';
import type { GeneratorScorer } from './generator.ts';

/**
 * 2^(-rank / halfLife) per train entry, rescaled within each user so the weights sum to the
 * user's entry count: the hidden layer sees the input mass it was trained on, and only how
 * it is spread over the history changes. (Unscaled weights shrink a long history's input
 * towards zero, which the generator never saw in training: on MovieLens-100K's validation
 * split, a generator with reconstructionCoefficient 2 scored 0.056 unscaled and 0.100
 * rescaled with half-life 2, against 0.073 plain.)
 */
export function conditionWeights(train: Csr, ranks: Int32Array, halfLife: number): Float32Array {
  const w = recencyWeights(ranks, halfLife);
  const { indptr } = train;
  for (let u = 0; u + 1 < indptr.length; u++) {
    const start = indptr[u]!;
    const end = indptr[u + 1]!;
    let sum = 0;
    for (let p = start; p < end; p++) sum += w[p]!;
    const scale = (end - start) / sum;
    for (let p = start; p < end; p++) w[p] = w[p]! * scale;
  }
  return w;
}

/**
 * Validation users the half-life is chosen on at most (a seeded sample when more have
 * validation items): the choice ranks the catalog six times, and one ranking of 10,000 users
 * takes about 3.5 s over 10K items and 33 s over 100K items on 2 cores; on 3,000 users the
 * whole choice takes 6 s and 68 s (bench/gan/condition.ts). The gap between the plain
 * condition and a good half-life is far wider than a sample of this size blurs; between
 * neighbouring half-lives it matters little which one wins.
 */
export const CONDITION_CHOICE_USERS = 3_000;

/**
 * The condition chosen on validation: the generator scoring it (the given scorer when the
 * plain condition won), the winning half-life and every figure (only the plain one for
 * variant item).
 */
export type GeneratorRecencyChoice = HistoryWeighting<GeneratorScorer>;

/**
 * Scores the plain condition and each half-life with `validNdcg10` and keeps the best (the
 * plain condition on ties). `ranks` are aligned with the entries of `train`, the CSR the
 * scorer was created over. An item-variant generator's condition is an item's column of
 * users, which has no per-user order: it keeps the plain condition.
 */
export async function chooseGeneratorRecency(
  scorer: GeneratorScorer,
  train: Csr,
  ranks: Int32Array,
  validNdcg10: (s: GeneratorScorer) => Promise<number>,
  signal?: AbortSignal,
): Promise<GeneratorRecencyChoice> {
  const plain = await validNdcg10(scorer);
  if (scorer.weights.variant !== 'user')
    return { scorer, validNdcg10: plain, figures: [{ halfLife: null, validNdcg10: plain }] };
  return chooseHistoryWeighting(
    scorer,
    plain,
    (halfLife) => scorer.withHistoryWeight(conditionWeights(train, ranks, halfLife)),
    validNdcg10,
    signal,
  );
}
