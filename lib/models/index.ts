/**
 * Recommenders trained on the pipeline's training sets: BPR-MF (pairwise, `family: bpr`),
 * NeuMF (GMF + MLP, pointwise log loss, `family: neumf`) and implicit ALS (weighted squared
 * loss over all pairs, `family: ials`). BPR-MF and NeuMF train on TensorFlow.js with
 * written-out gradients; iALS solves in typed arrays. All checkpoint and resume exactly, and
 * save in the tfjs weights layout; `trainRecommender` dispatches on `config.family`,
 * `loadModel` on model.json's format (`recsys-augment/bpr-mf@1`, the factor layout BPR-MF
 * and iALS share, or `recsys-augment/neumf@1`).
 */
import { BPR_FORMAT, loadBprMf } from './bpr-mf.ts';
import { trainBpr } from './bpr-train.ts';
import { trainIals } from './ials-train.ts';
import { NEUMF_FORMAT, loadNeuMf } from './neumf.ts';
import { trainNeuMf } from './neumf-train.ts';
import { sampleValidationUsers } from './validation-sample.ts';
import type {
  ModelFile,
  TrainConfig,
  TrainHooks,
  TrainResult,
  TrainedModel,
  TrainingSet,
  ValidationData,
} from './types.ts';

export type * from './types.ts';
export { BprMfModel } from './bpr-mf.ts';
export { NeuMfModel, loadNeuMf } from './neumf.ts';

export function trainRecommender(
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks?: TrainHooks,
): Promise<TrainResult> {
  const valid = sampleValidationUsers(validation, config.validationUsers ?? 0, config.seed);
  switch (config.family) {
    case 'bpr':
      return trainBpr(set, valid, config, hooks);
    case 'neumf':
      return trainNeuMf(set, valid, config, hooks);
    case 'ials':
      return trainIals(set, valid, config, hooks);
    default:
      throw new Error(`model family ${String(config.family)} is not available`);
  }
}

/** A saved model of either family; throws naming the file and what is wrong. */
export async function loadModel(files: ModelFile[]): Promise<TrainedModel> {
  const json = files.find((f) => f.name === 'model.json');
  let format: unknown;
  try {
    format =
      json && (JSON.parse(new TextDecoder().decode(json.bytes)) as { format?: unknown }).format;
  } catch {
    throw new Error('model.json: not JSON');
  }
  if (format === NEUMF_FORMAT) return loadNeuMf(files);
  if (format === BPR_FORMAT || !json) return loadBprMf(files);
  throw new Error(
    `model.json: unknown format ${String(format)} (expected ${BPR_FORMAT} or ${NEUMF_FORMAT})`,
  );
}
