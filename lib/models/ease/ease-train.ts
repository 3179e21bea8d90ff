/**
 * EASE training (`family: ease`): fitted on a training set's positives (each row weighted, so
 * synthetic rows count less), lambda chosen on the validation split from a grid relative to
 * the log's scale. No epochs, no randomness: the same set gives the same model. Explicit
 * negatives do not enter a Gram matrix and are left out. The history lists one entry per
 * candidate lambda, with its validation NDCG@10.
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
import { fitEaseOnValidation } from './ease.ts';
import { EaseModel } from './ease-model.ts';

/** Fits EASE on the set's positives, lambda chosen by validation NDCG@10. */
export async function trainEase(
  set: TrainingSet,
  validation: ValidationData,
  _config: TrainConfig,
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
  const log = choice.candidates.map((c, k) => ({
    epoch: k + 1,
    loss: 0,
    validNdcg10: c.validNdcg10,
    samples: set.n - negatives,
    seconds,
  }));
  for (const entry of log) await hooks.onEpoch?.(entry);
  const best = choice.candidates.findIndex((c) => c.lambda === choice.lambda);
  return {
    model: new EaseModel(set.nUsers, choice.scorer, history, weight),
    history: log,
    bestEpoch: best + 1,
    bestValidNdcg10: choice.candidates[best]!.validNdcg10,
    stoppedEarly: false,
    backend: 'js',
  };
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
