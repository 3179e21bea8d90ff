/**
 * How a policy candidate is scored: the configured recommender trained on its training set,
 * early-stopped on the selection half of the validation users (halves.ts), then ranked on
 * the whole validation split, overall and on the sparse users (the evaluation's own segment
 * definition), and the figures read off per half. The test split plays no part.
 */
import { keepRows } from '../eval/csr.ts';
import { evaluateFullRankingAsync } from '../eval/full-ranking.ts';
import { meanOf } from '../eval/summary.ts';
import { trainRecommender } from '../models/index.ts';
import type { TrainConfig, TrainingSet, ValidationData } from '../models/types.ts';
import type { SplitFigures, ValidationFigures } from './choose.ts';
import type { ValidationHalves } from './halves.ts';

export async function validationFigures(
  set: TrainingSet,
  validation: ValidationData,
  halves: ValidationHalves,
  train: TrainConfig,
  segments: { sparseFraction: number; tailFraction: number },
  signal?: AbortSignal,
): Promise<SplitFigures> {
  const stopOn = { ...validation, valid: keepRows(validation.valid, halves.selection) };
  const result = await trainRecommender(set, stopOn, train, { signal });
  try {
    const nUsers = validation.train.indptr.length - 1;
    const ranked = await evaluateFullRankingAsync(
      { nUsers, nItems: set.nItems, train: validation.train, test: validation.valid },
      result.model,
      { ks: [10], excludeValid: false, ...segments, signal },
    );
    const ndcg = ranked.perUser['ndcg@10']!;
    const tail = ranked.perUser['tailRecall@10']!;
    const { sparseUsers, tailUsers } = ranked.segments;
    // Evaluated positions of each half (positions follow ascending user ids).
    const inHalf = new Uint8Array(nUsers);
    for (const u of halves.confirmation) inHalf[u] = 1;
    const figures = (half?: 0 | 1): ValidationFigures => {
      const keep = (positions: Int32Array) =>
        half === undefined ? positions : positions.filter((q) => inHalf[ranked.users[q]!] === half);
      return {
        ndcg10: meanOf(ndcg, keep(Int32Array.from(ranked.users.keys()))),
        sparseNdcg10: meanOf(ndcg, keep(sparseUsers)),
        tailRecall10: meanOf(tail, keep(tailUsers)),
      };
    };
    return { ...figures(), selection: figures(0), confirmation: figures(1) };
  } finally {
    result.model.dispose();
  }
}
