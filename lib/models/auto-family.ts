/**
 * `model.family: auto`: every candidate family is trained on the same (real) training set and
 * scored on the validation split; the best validation NDCG@10 wins. Run on the real train
 * split, the choice is the same for A and B, so the A/B test still compares one family on two
 * training sets. The test split plays no part.
 */
import { EASE_MAX_ITEMS } from './ease/ease.ts';
import { trainRecommender } from './index.ts';
import type { ModelFamily, TrainConfig, TrainHooks, TrainingSet, ValidationData } from './types.ts';

/** One candidate's outcome: its validation score, or why it was not tried. */
export interface FamilyCandidate {
  family: ModelFamily;
  validNdcg10?: number;
  bestEpoch?: number;
  seconds?: number;
  skipped?: string;
}

export interface FamilyChoice {
  /** The winning candidate's settings. */
  chosen: TrainConfig;
  candidates: FamilyCandidate[];
}

/**
 * Trains each of `configs` on `real` and keeps the one with the best validation NDCG@10
 * (the first on ties). EASE is skipped above its dense limit. `onCandidate` reports each
 * candidate as it starts (for heartbeats).
 */
export async function chooseFamily(
  real: TrainingSet,
  validation: ValidationData,
  configs: TrainConfig[],
  hooks: Pick<TrainHooks, 'signal'> & { onCandidate?: (family: ModelFamily) => void } = {},
): Promise<FamilyChoice> {
  const candidates: FamilyCandidate[] = [];
  let best: { config: TrainConfig; score: number } | undefined;
  for (const config of configs) {
    hooks.signal?.throwIfAborted();
    if (config.family === 'ease' && real.nItems > EASE_MAX_ITEMS) {
      candidates.push({
        family: 'ease',
        skipped: `the catalog has ${real.nItems} items, above EASE's dense limit of ${EASE_MAX_ITEMS}`,
      });
      continue;
    }
    hooks.onCandidate?.(config.family);
    const t0 = performance.now();
    const result = await trainRecommender(real, validation, config, { signal: hooks.signal });
    result.model.dispose();
    const score = result.bestValidNdcg10;
    candidates.push({
      family: config.family,
      validNdcg10: score,
      bestEpoch: result.bestEpoch,
      seconds: (performance.now() - t0) / 1000,
    });
    if (!best || score > best.score) best = { config, score };
  }
  if (!best) throw new Error('model.family auto: no candidate family could be trained');
  return { chosen: best.config, candidates };
}

/**
 * The trainer's settings from a model config section of a concrete family (the config's
 * checkpointing and candidate list are not the trainer's business).
 */
export function trainConfigOf(
  model: Omit<TrainConfig, 'family' | 'seed'> & {
    family: ModelFamily | 'auto';
    checkpointEvery: number;
    candidates: readonly string[];
  },
  seed: number,
): TrainConfig {
  const { checkpointEvery: _c, candidates: _k, family, ...rest } = model;
  if (family === 'auto')
    throw new Error('model.family auto is resolved by chooseFamily before training');
  return { ...rest, family, seed };
}

/** The real rows of a train split as a training set: positives, weight 1. */
export function realTrainingSet(
  train: { n: number; user: Int32Array; item: Int32Array },
  nUsers: number,
  nItems: number,
): TrainingSet {
  return {
    nUsers,
    nItems,
    n: train.n,
    user: train.user.subarray(0, train.n),
    item: train.item.subarray(0, train.n),
    label: new Uint8Array(train.n).fill(1),
    weight: new Float32Array(train.n).fill(1),
  };
}
