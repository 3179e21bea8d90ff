/**
 * Recommenders trained on the pipeline's training sets. BPR-MF is the implemented family;
 * the contract (types.ts) also names NeuMF, which the config schema does not offer yet.
 */
import { trainBpr } from './bpr-train.ts';
import { loadBprMf } from './bpr-mf.ts';
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

export function trainRecommender(
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks?: TrainHooks,
): Promise<TrainResult> {
  if (config.family !== 'bpr') throw new Error(`model family ${config.family} is not available`);
  return trainBpr(set, validation, config, hooks);
}

export async function loadModel(files: ModelFile[]): Promise<TrainedModel> {
  return loadBprMf(files);
}
