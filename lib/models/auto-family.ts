/**
 * `model.family: auto`: every candidate family is trained on the same (real) training set,
 * early-stopped on one half of the validation users (the selection half; EASE's lambda is
 * chosen there too) and ranked by NDCG@10 on the other half (the confirmation half), which
 * nothing was chosen on. Ranking on the users it stopped on would favour the iterative
 * families: their best epoch is a maximum over epochs on those users, an optimistic figure
 * that closed-form EASE does not get. Run on the real train split, the choice is the same
 * for A and B, so the A/B test still compares one family on two training sets. The test
 * split plays no part.
 */
import { keepRows } from '../eval/csr.ts';
import { sampleRows } from '../eval/row-sample.ts';
import { validationHalves } from '../policy/halves.ts';
import type { ValidationHalves } from '../policy/halves.ts';
import { EASE_MAX_ITEMS } from './ease/ease.ts';
import { trainRecommender } from './index.ts';
import type {
  ModelFamily,
  TrainConfig,
  TrainHooks,
  TrainResult,
  TrainingSet,
  ValidationData,
} from './types.ts';
import { validationNdcg10 } from './validation-score.ts';

/**
 * The sparse share the halves are stratified on. The families are ranked on all users, so
 * this only keeps the halves alike; a constant keeps the halves (and so the choice) the same
 * in every stage that asks, whatever its evaluation settings.
 */
export const FAMILY_HALVES_SPARSE_FRACTION = 0.25;

/** One candidate's outcome: its figures on each half, or why it was not tried. */
export interface FamilyCandidate {
  family: ModelFamily;
  /** NDCG@10 on the selection half at the best epoch (optimistic: the epoch was chosen on it). */
  selectionNdcg10?: number;
  /** NDCG@10 on the confirmation half: what the candidates are ranked by. */
  confirmationNdcg10?: number;
  bestEpoch?: number;
  seconds?: number;
  skipped?: string;
}

export interface FamilyChoice {
  /** The winning candidate's settings. */
  chosen: TrainConfig;
  candidates: FamilyCandidate[];
  /** How many validation users each half holds. */
  selectionUsers: number;
  confirmationUsers: number;
}

/** Trains a candidate (the recommenders' trainer; a test may pass another). */
export type FamilyTrainer = (
  set: TrainingSet,
  validation: ValidationData,
  config: TrainConfig,
  hooks: TrainHooks,
) => Promise<TrainResult>;

/**
 * Validation users a family choice works with at most: a seeded sample of them above it (at a
 * million users, ranking every one would cost more than training the families).
 */
export const FAMILY_CHOICE_MAX_USERS = 50_000;

/** Derives the sample's generator from the run seed. */
const FAMILY_SAMPLE_STREAM = 0xfa417;

/** The halves of the validation users a family choice works with (seeded, stratified). */
export function familyChoiceHalves(validation: ValidationData, seed: number): ValidationHalves {
  const valid = sampleRows(validation.valid, FAMILY_CHOICE_MAX_USERS, seed, FAMILY_SAMPLE_STREAM);
  return validationHalves(validation.train, valid, FAMILY_HALVES_SPARSE_FRACTION, seed);
}

/**
 * Trains each of `configs` on `real`, early-stopped on the selection half of the validation
 * users (dealt with the configs' seed), and keeps the one with the best NDCG@10 on the
 * confirmation half (the first on ties). EASE is skipped above its dense limit.
 * `onCandidate` reports each candidate as it starts (for heartbeats).
 */
export async function chooseFamily(
  real: TrainingSet,
  validation: ValidationData,
  configs: TrainConfig[],
  hooks: Pick<TrainHooks, 'signal'> & {
    onCandidate?: (family: ModelFamily) => void;
    train?: FamilyTrainer;
  } = {},
): Promise<FamilyChoice> {
  const halves = familyChoiceHalves(validation, configs[0]?.seed ?? 0);
  if (halves.confirmation.length === 0)
    throw new Error(
      `model.family auto: the ${halves.selection.length} users with validation items leave no user to rank the families on (one half of them early-stops each family, the other ranks them): it needs a larger validation split`,
    );
  const train = hooks.train ?? trainRecommender;
  const onSelection = { ...validation, valid: keepRows(validation.valid, halves.selection) };
  const onConfirmation = { ...validation, valid: keepRows(validation.valid, halves.confirmation) };
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
    const result = await train(real, onSelection, config, { signal: hooks.signal });
    let score: number;
    try {
      score = await validationNdcg10(result.model, onConfirmation, hooks.signal);
    } finally {
      result.model.dispose();
    }
    candidates.push({
      family: config.family,
      selectionNdcg10: result.bestValidNdcg10,
      confirmationNdcg10: score,
      bestEpoch: result.bestEpoch,
      seconds: (performance.now() - t0) / 1000,
    });
    if (!best || score > best.score) best = { config, score };
  }
  if (!best) throw new Error('model.family auto: no candidate family could be trained');
  return {
    chosen: best.config,
    candidates,
    selectionUsers: halves.selection.length,
    confirmationUsers: halves.confirmation.length,
  };
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
