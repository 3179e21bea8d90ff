/**
 * How a policy candidate is scored: the configured recommender trained on its training set,
 * then ranked on the validation split, overall and on the sparse users (the evaluation's own
 * segment definition). The test split plays no part.
 */
import { evaluateFullRankingAsync } from '../eval/full-ranking.ts';
import { trainRecommender } from '../models/index.ts';
import type { TrainConfig, TrainingSet, ValidationData } from '../models/types.ts';
import type { ValidationFigures } from './choose.ts';

export async function validationFigures(
  set: TrainingSet,
  validation: ValidationData,
  train: TrainConfig,
  segments: { sparseFraction: number; tailFraction: number },
  signal?: AbortSignal,
): Promise<ValidationFigures> {
  const result = await trainRecommender(set, validation, train, { signal });
  try {
    const nUsers = validation.train.indptr.length - 1;
    const ranked = await evaluateFullRankingAsync(
      { nUsers, nItems: set.nItems, train: validation.train, test: validation.valid },
      result.model,
      { ks: [10], excludeValid: false, ...segments, signal },
    );
    return {
      ndcg10: ranked.summary.overall['ndcg@10'] ?? 0,
      sparseNdcg10: ranked.summary.sparseUsers['ndcg@10'] ?? 0,
      tailRecall10: ranked.summary.tailItems['recall@10'] ?? NaN,
    };
  } finally {
    result.model.dispose();
  }
}
