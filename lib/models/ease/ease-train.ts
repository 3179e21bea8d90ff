/**
 * EASE training (`family: ease`): fitted on a training set's positives (each row weighted, so
 * synthetic rows count less), lambda chosen on the validation split from a grid relative to
 * the log's scale. No epochs, no randomness: the same set gives the same model. Explicit
 * negatives do not enter a Gram matrix and are left out. With `recency: auto` the chosen
 * lambda's model then scores histories weighted towards each user's latest rows, 2^(-r / h)
 * for r later rows (baselines/recency.ts), and keeps the half-life h with the best validation
 * NDCG@10, the plain history on ties: the teacher's knowledge of order, in the model itself.
 * The Gram matrix stays on the row weights, so only scoring changes. The history lists one
 * entry per candidate lambda, then one per half-life, with its validation NDCG@10.
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

/** Fits EASE on the set's positives, lambda chosen by validation NDCG@10. */
export async function trainEase(
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  validateTrainingSet(set);
  const { history, weight, negatives } = positivesByUser(set);
  const t0 = performance.now();
  const choice = await fitEaseOnValidation(
    history,
    set.nItems,
    async (scorer) => {
      const model = new EaseModel(set.nUsers, scorer, history, weight);
      return validationNdcg10(model, validation, hooks.signal);
    },
    { signal: hooks.signal, rowWeight: weight },
  );
  const seconds = (performance.now() - t0) / 1000 / choice.candidates.length;
  const samples = set.n - negatives;
  const log = choice.candidates.map((c, k) => ({
    epoch: k + 1,
    loss: 0,
    validNdcg10: c.validNdcg10,
    samples,
    seconds,
  }));
  const best = choice.candidates.findIndex((c) => c.lambda === choice.lambda);
  let model = new EaseModel(set.nUsers, choice.scorer, history, weight);
  let bestEpoch = best + 1;
  if (config.recency === 'auto') {
    const ranks = historyRanks(history, validation);
    const reweighted = (halfLife: number) => {
      const w = recencyWeights(ranks, halfLife);
      for (let k = 0; k < w.length; k++) w[k]! *= weight[k]!;
      return modelWith(set.nUsers, choice.scorer, history, w, halfLife);
    };
    const t1 = performance.now();
    const pick = await chooseHalfLife(
      choice.candidates[best]!.validNdcg10,
      (halfLife) => validationNdcg10(reweighted(halfLife), validation, hooks.signal),
      hooks.signal,
    );
    const perHalfLife = (performance.now() - t1) / 1000 / (pick.figures.length - 1);
    for (const f of pick.figures.slice(1))
      log.push({
        epoch: log.length + 1,
        loss: 0,
        validNdcg10: f.validNdcg10,
        samples,
        seconds: perHalfLife,
      });
    if (pick.halfLife !== undefined) {
      model = reweighted(pick.halfLife);
      bestEpoch =
        choice.candidates.length +
        1 +
        pick.figures.slice(1).findIndex((f) => f.halfLife === pick.halfLife);
    }
  }
  for (const entry of log) await hooks.onEpoch?.(entry);
  return {
    model,
    history: log,
    bestEpoch,
    bestValidNdcg10: log[bestEpoch - 1]!.validNdcg10,
    stoppedEarly: false,
    backend: 'js',
    chosen: {
      lambda: choice.lambda,
      ...(model.halfLife !== undefined ? { halfLife: model.halfLife } : {}),
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
