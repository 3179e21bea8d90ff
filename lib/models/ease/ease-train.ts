/**
 * EASE training (`family: ease`): fitted on a training set's positives (each row weighted, so
 * synthetic rows count less), lambda chosen on the validation split from a grid relative to
 * the log's scale. No epochs, no randomness: the same set gives the same model. Explicit
 * negatives do not enter a Gram matrix and are left out. With `recency: auto` each lambda's
 * model also scores histories weighted towards each user's latest rows, 2^(-r / h) for r
 * later rows (baselines/recency.ts), and the pair of lambda and half-life h with the best
 * validation NDCG@10 wins, the plain history on ties: the teacher's knowledge of order, in
 * the model itself. The pair is chosen jointly because the best lambda depends on the
 * weighting (on augmented sets especially). The Gram matrix stays on the row weights, so
 * only scoring changes. The history lists one entry per candidate lambda, with its
 * validation NDCG@10 (its best half-life's).
 */
import { validateTrainingSet } from '../training-pairs.ts';
import { validationNdcg10 } from '../validation-score.ts';
import type {
  TrainConfig,
  TrainHooks,
  TrainResult,
  TrainingSet,
  ValidationData,
} from '../types.ts';
import type { Csr } from '../../eval/types.ts';
import { chooseHalfLife, recencyWeights } from '../baselines/recency.ts';
import { fitEaseOnValidation } from './ease.ts';
import type { EaseScorer } from './ease.ts';
import { EaseModel } from './ease-model.ts';

/**
 * Fits EASE on the set's positives, lambda (and with `recency: auto` the history's half-life,
 * jointly: the best lambda depends on it) chosen by validation NDCG@10.
 */
export async function trainEase(
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  validateTrainingSet(set);
  const { history, weight, negatives } = positivesByUser(set);
  const ranks = config.recency === 'auto' ? historyRanks(history, validation) : undefined;
  const weighted = (halfLife: number) => {
    const w = recencyWeights(ranks!, halfLife);
    for (let k = 0; k < w.length; k++) w[k]! *= weight[k]!;
    return w;
  };
  // Each lambda's best half-life (undefined: the plain history), filled in as they are scored.
  const halfLifeOf = new Map<number, number | undefined>();
  const t0 = performance.now();
  const choice = await fitEaseOnValidation(
    history,
    set.nItems,
    async (scorer) => {
      const score = (m: EaseModel) => validationNdcg10(m, validation, hooks.signal);
      const plain = await score(new EaseModel(set.nUsers, scorer, history, weight));
      if (!ranks) return plain;
      const pick = await chooseHalfLife(
        plain,
        (halfLife) => score(modelWith(set.nUsers, scorer, history, weighted(halfLife), halfLife)),
        hooks.signal,
      );
      halfLifeOf.set(scorer.lambda, pick.halfLife);
      return pick.validNdcg10;
    },
    {
      signal: hooks.signal,
      rowWeight: weight,
      ...(config.relativeLambdas ? { relativeLambdas: config.relativeLambdas } : {}),
    },
  );
  const seconds = (performance.now() - t0) / 1000 / choice.candidates.length;
  const log = choice.candidates.map((c, k) => ({
    epoch: k + 1,
    loss: 0,
    validNdcg10: c.validNdcg10,
    samples: set.n - negatives,
    seconds,
  }));
  for (const entry of log) await hooks.onEpoch?.(entry);
  const best = choice.candidates.findIndex((c) => c.lambda === choice.lambda);
  const halfLife = halfLifeOf.get(choice.lambda);
  return {
    model:
      halfLife === undefined
        ? new EaseModel(set.nUsers, choice.scorer, history, weight)
        : modelWith(set.nUsers, choice.scorer, history, weighted(halfLife), halfLife),
    history: log,
    bestEpoch: best + 1,
    bestValidNdcg10: choice.candidates[best]!.validNdcg10,
    stoppedEarly: false,
    backend: 'js',
    chosen: {
      lambda: choice.lambda,
      relativeLambda: choice.relativeLambda,
      ...(halfLife !== undefined ? { halfLife } : {}),
    },
  };
}

function modelWith(
  nUsers: number,
  scorer: EaseScorer,
  history: Csr,
  historyWeight: Float32Array,
  halfLife: number,
): EaseModel {
  return new EaseModel(
    nUsers,
    scorer.withHistoryWeight(historyWeight),
    history,
    historyWeight,
    halfLife,
  );
}

/**
 * For each entry of the model's history: its rank among the user's real train rows (0 the
 * latest), from `validation.trainRecency`. A row that is not a real train row (a synthetic
 * one) counts as the latest: it was proposed from the user's current history.
 */
function historyRanks(history: Csr, validation: ValidationData): Int32Array {
  const { train, trainRecency } = validation;
  if (!trainRecency)
    throw new Error(
      "EASE with recency 'auto' needs the train split's recency ranks (ValidationData.trainRecency)",
    );
  const nUsers = history.indptr.length - 1;
  const ranks = new Int32Array(history.indices.length);
  // rankOf[item] = rank + 1 for the current user's train items (0: not in train), reset after.
  let rankOf = new Int32Array(0);
  for (let u = 0; u < nUsers && u < train.indptr.length - 1; u++) {
    const t0 = train.indptr[u]!;
    const t1 = train.indptr[u + 1]!;
    for (let a = t0; a < t1; a++) {
      const i = train.indices[a]!;
      if (i >= rankOf.length) {
        const grown = new Int32Array(Math.max(i + 1, rankOf.length * 2));
        grown.set(rankOf);
        rankOf = grown;
      }
      rankOf[i] = trainRecency[a]! + 1;
    }
    for (let a = history.indptr[u]!; a < history.indptr[u + 1]!; a++) {
      const i = history.indices[a]!;
      ranks[a] = i < rankOf.length && rankOf[i]! > 0 ? rankOf[i]! - 1 : 0;
    }
    for (let a = t0; a < t1; a++) rankOf[train.indices[a]!] = 0;
  }
  return ranks;
}

/** The positive rows grouped by user (CSR) with their weights; explicit negatives counted. */
function positivesByUser(set: TrainingSet): {
  history: Csr;
  weight: Float32Array;
  negatives: number;
} {
  const indptr = new Int32Array(set.nUsers + 1);
  let negatives = 0;
  for (let r = 0; r < set.n; r++) {
    if (set.label[r]) indptr[set.user[r]! + 1]!++;
    else negatives++;
  }
  for (let u = 0; u < set.nUsers; u++) indptr[u + 1]! += indptr[u]!;
  const fill = indptr.slice(0, set.nUsers);
  const indices = new Int32Array(set.n - negatives);
  const weight = new Float32Array(set.n - negatives);
  for (let r = 0; r < set.n; r++) {
    if (!set.label[r]) continue;
    const at = fill[set.user[r]!]!++;
    indices[at] = set.item[r]!;
    weight[at] = set.weight[r]!;
  }
  return { history: { indptr, indices }, weight, negatives };
}
