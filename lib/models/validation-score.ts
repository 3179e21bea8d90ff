/** Validation NDCG@10: early stopping's score, and how candidates are chosen on validation. */
import { evaluateFullRankingAsync } from '../eval/full-ranking.ts';
import type { AsyncScorer } from '../eval/types.ts';
import type { ValidationData } from './types.ts';

/**
 * NDCG@10 of `scorer` on the validation split (`v.valid`, possibly restricted to some users),
 * the train items excluded from the ranking.
 */
export async function validationNdcg10(
  scorer: AsyncScorer & { nItems: number },
  v: ValidationData,
  signal?: AbortSignal,
): Promise<number> {
  const nUsers = v.train.indptr.length - 1;
  const result = await evaluateFullRankingAsync(
    { nUsers, nItems: scorer.nItems, train: v.train, test: v.valid },
    scorer,
    { ks: [10], excludeValid: false, signal },
  );
  return result.summary.overall['ndcg@10'] ?? 0;
}
