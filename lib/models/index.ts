/**
 * Recommenders trained on the pipeline's training sets: BPR-MF (pairwise, `family: bpr`),
 * NeuMF (GMF + MLP, pointwise log loss, `family: neumf`), implicit ALS (weighted squared
 * loss over all pairs, `family: ials`) and EASE (closed-form item x item, `family: ease`).
 * BPR-MF and NeuMF train with written-out gradients (wasm SIMD or tfjs); iALS and EASE solve
 * in typed arrays. `trainRecommender` dispatches on `config.family`, `loadModel` on
 * model.json's format (`recsys-augment/bpr-mf@1`, the factor layout BPR-MF and iALS share,
 * `recsys-augment/neumf@1` or `recsys-augment/ease@1`). The folder's guide: README.md.
 */
import { trainBpr } from './bpr/bpr-train.ts';
import { trainIals } from './ials/ials-train.ts';
import { trainEase } from './ease/ease-train.ts';
import { trainNeuMf } from './neumf/neumf-train.ts';
import { sampleValidationUsers, validationUsersFor } from './validation-sample.ts';
import type { TrainConfig, TrainHooks, TrainResult, TrainingSet, ValidationData } from './types.ts';

export type * from './types.ts';
export { BprMfModel } from './bpr/bpr-mf.ts';
export { NeuMfModel, loadNeuMf } from './neumf/neumf.ts';
export { loadModel } from './load.ts';

export function trainRecommender(
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks?: TrainHooks,
): Promise<TrainResult> {
  const users = validationUsersFor(config.validationUsers ?? 0, set.nItems);
  const valid = sampleValidationUsers(validation, users, config.seed);
  switch (config.family) {
    case 'bpr':
      return trainBpr(set, valid, config, hooks);
    case 'neumf':
      return trainNeuMf(set, valid, config, hooks);
    case 'ials':
      return trainIals(set, valid, config, hooks);
    case 'ease':
      return trainEase(set, valid, config, hooks);
    default:
      throw new Error(`model family ${String(config.family)} is not available`);
  }
}
