/**
 * What the model benchmarks need from a preprocessed log: the splits as CSRs for
 * full-ranking evaluation, the train positives as a training set, and NDCG@10 of a scorer
 * on the test split.
 */
import type { preprocess } from '../../lib/data/index.ts';
import { csrFromCoo, evaluateFullRankingAsync } from '../../lib/eval/index.ts';
import type { AsyncScorer, Csr, EvalData } from '../../lib/eval/index.ts';
import type { TrainingSet, ValidationData } from '../../lib/models/index.ts';
import { runSteps } from '../../lib/async/steps.ts';
import { recencyRankSteps } from '../../lib/models/baselines/recency.ts';

export function benchSplits(pre: ReturnType<typeof preprocess>) {
  const nUsers = pre.users.size;
  const nItems = pre.items.size;
  const csr = (t: typeof pre.train) => csrFromCoo(t.user, t.item, t.n, nUsers);
  const data: EvalData & { valid: Csr } = {
    nUsers,
    nItems,
    train: csr(pre.train),
    valid: csr(pre.valid),
    test: csr(pre.test),
  };
  const set: TrainingSet = {
    nUsers,
    nItems,
    n: pre.train.n,
    user: pre.train.user,
    item: pre.train.item,
    label: new Uint8Array(pre.train.n).fill(1),
    weight: new Float32Array(pre.train.n).fill(1),
  };
  // What early stopping and choices on validation see (EASE's recency weighting included).
  const validation: ValidationData = {
    train: data.train,
    valid: data.valid,
    trainRecency: runSteps(recencyRankSteps(pre.train, nUsers)),
  };
  const testNdcg10 = async (s: AsyncScorer) =>
    (await evaluateFullRankingAsync(data, s, { ks: [10] })).summary.overall['ndcg@10']!;
  return { nUsers, nItems, data, set, validation, testNdcg10 };
}
