/** Early stopping's score for the recommenders: validation NDCG@10. */
import { evaluateFullRankingAsync } from '../eval/full-ranking.ts';
import type { AsyncScorer } from '../eval/types.ts';
import type { ValidationData } from './types.ts';

/** Early stopping's score: NDCG@10 on the validation split, the train items excluded. */
export async function validationNdcg10(
  model: AsyncScorer & { nUsers: number; nItems: number },
  v: ValidationData,
  signal?: AbortSignal,
): Promise<number> {
  const { nUsers, nItems } = model;
  const result = await evaluateFullRankingAsync(
    { nUsers, nItems, train: v.train, test: v.valid },
    model,
    { ks: [10], excludeValid: false, signal },
  );
  return result.summary.overall['ndcg@10'] ?? 0;
}
