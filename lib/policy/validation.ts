/**
 * How a policy candidate is scored: the configured recommender trained on its training set,
 * early-stopped on the selection half of the validation users (halves.ts), then ranked on
 * the whole validation split, overall and on the sparse users (the evaluation's own segment
 * definition), and the figures read off per half. The test split plays no part.
 */
import { bootstrapMeanCi } from '../eval/bootstrap.ts';
import { keepRows } from '../eval/csr.ts';
import { evaluateFullRankingAsync } from '../eval/full-ranking.ts';
import { meanOf } from '../eval/summary.ts';
import { trainRecommender } from '../models/index.ts';
import type { TrainConfig, TrainingSet, ValidationData } from '../models/types.ts';
import type { SplitFigures, ValidationFigures } from './choose.ts';
import type { ValidationHalves } from './halves.ts';

/**
 * The evaluation's segment settings; `coldThreshold` and `alpha` (the level of the cold
 * users' interval) are absent in configs from before the cold-user rail, which then is
 * not measured.
 */
export type Segments = {
  sparseFraction: number;
  tailFraction: number;
  coldThreshold?: number;
  alpha?: number;
};

/** A scored model's figures, and its cold users' per-user NDCG@10 (ascending user ids). */
interface Scored {
  figures: SplitFigures;
  coldNdcg?: Float64Array;
  chosen?: Record<string, number>;
}

/**
 * The trainer settings the candidates are screened with, given what A's training chose:
 * EASE at A's lambda (as a multiple of the mean train rows per item, which follows the
 * augmented set's scale) instead of its grid of four, so a candidate costs one inversion, not
 * four; its history's half-life is still chosen per candidate (a ranking costs little next to
 * an inversion). Synthetic rows at a small weight mostly move the Gram matrix little, and
 * the grid's steps are 4x apart (bench/movielens/policy-check.ts --screen off compares).
 * retrainB fits the chosen set with the whole grid again. Other families train as
 * configured: capping BPR-MF's candidates at A's best epoch count (early stopping's patience
 * is most of their training) made the search 1.3-1.7x faster but halved the candidates'
 * validation lifts on sparse users (mean over 16 candidates and 3 seeds, demo data +24% to
 * +10%, MovieLens-100K +21% to +11%): a set with synthetic rows peaks later than A's.
 */
export function screeningConfig(
  train: TrainConfig,
  chosenByA: Record<string, number> | undefined,
): TrainConfig {
  const relative = chosenByA?.relativeLambda;
  return train.family === 'ease' && relative !== undefined
    ? { ...train, relativeLambdas: [relative] }
    : train;
}

/** What the policy's candidates are scored with: A with `train`, then each candidate. */
export interface PolicyScorer {
  score(set: TrainingSet, of: 'A' | 'candidate'): Promise<SplitFigures>;
  /** The trainer settings a model of that role is trained with now. */
  configFor(of: 'A' | 'candidate'): TrainConfig;
  /** The settings fixed for the candidates by A's training (empty before A, or none fixed). */
  screenedAt(): Record<string, number>;
}

/**
 * Scores A with `train`, and the candidates with {@link screeningConfig} of what A chose
 * (`screen: false`: each candidate with `train` too, the whole search).
 */
export function policyScorer(
  validation: ValidationData,
  halves: ValidationHalves,
  train: TrainConfig,
  segments: Segments,
  options: { screen?: boolean; signal?: AbortSignal } = {},
): PolicyScorer {
  let candidateTrain = train;
  let coldA: Float64Array | undefined;
  const configFor = (of: 'A' | 'candidate') => (of === 'A' ? train : candidateTrain);
  return {
    async score(set, of) {
      const scored = await validationFigures(
        set,
        validation,
        halves,
        configFor(of),
        segments,
        options.signal,
      );
      if (of === 'A') {
        coldA = scored.coldNdcg;
        if (options.screen !== false) candidateTrain = screeningConfig(train, scored.chosen);
      } else if (coldA && scored.coldNdcg && scored.figures.coldUsers)
        scored.figures.coldUsers.deltaHigh = coldChangeHigh(coldA, scored.coldNdcg, segments);
      return scored.figures;
    },
    configFor,
    screenedAt: (): Record<string, number> => {
      const fixed = candidateTrain.relativeLambdas;
      return fixed?.length === 1 ? { relativeLambda: fixed[0]! } : {};
    },
  };
}

/** The figures of a model trained with `train` on `set`, and what its training chose. */
export async function validationFigures(
  set: TrainingSet,
  validation: ValidationData,
  halves: ValidationHalves,
  train: TrainConfig,
  segments: Segments,
  signal?: AbortSignal,
): Promise<Scored> {
  const stopOn = { ...validation, valid: keepRows(validation.valid, halves.selection) };
  const result = await trainRecommender(set, stopOn, train, { signal });
  try {
    const nUsers = validation.train.indptr.length - 1;
    const ranked = await evaluateFullRankingAsync(
      { nUsers, nItems: set.nItems, train: validation.train, test: validation.valid },
      result.model,
      {
        ks: [10],
        excludeValid: false,
        sparseFraction: segments.sparseFraction,
        tailFraction: segments.tailFraction,
        ...(segments.coldThreshold !== undefined ? { coldThreshold: segments.coldThreshold } : {}),
        signal,
      },
    );
    const ndcg = ranked.perUser['ndcg@10']!;
    const tail = ranked.perUser['tailRecall@10']!;
    const { sparseUsers, tailUsers, coldUsers } = ranked.segments;
    const coldNdcg =
      segments.coldThreshold !== undefined
        ? Float64Array.from(coldUsers, (q) => ndcg[q]!)
        : undefined;
    // Evaluated positions of each half (positions follow ascending user ids).
    const inHalf = new Uint8Array(nUsers);
    for (const u of halves.confirmation) inHalf[u] = 1;
    const figures = (half?: 0 | 1): ValidationFigures => {
      const keep = (positions: Int32Array) =>
        half === undefined ? positions : positions.filter((q) => inHalf[ranked.users[q]!] === half);
      return {
        ndcg10: meanOf(ndcg, keep(Int32Array.from(ranked.users.keys()))),
        sparseNdcg10: meanOf(ndcg, keep(sparseUsers)),
        tailRecall10: meanOf(tail, keep(tailUsers)),
      };
    };
    return {
      figures: {
        ...figures(),
        selection: figures(0),
        confirmation: figures(1),
        ...(coldNdcg && coldNdcg.length > 0
          ? { coldUsers: { users: coldNdcg.length, ndcg10: meanOf(ndcg, coldUsers) } }
          : {}),
      },
      ...(coldNdcg ? { coldNdcg } : {}),
      ...(result.chosen ? { chosen: result.chosen } : {}),
    };
  } finally {
    result.model.dispose();
  }
}

/**
 * The top of the bootstrap interval of a candidate's change on the cold users (paired per
 * user, B - A), at the gate's level 1 - alpha: what the gate's small-segment rule reads.
 */
function coldChangeHigh(a: Float64Array, b: Float64Array, segments: Segments): number {
  const delta = new Float64Array(a.length);
  for (let q = 0; q < a.length; q++) delta[q] = b[q]! - a[q]!;
  return bootstrapMeanCi(delta, { level: 1 - (segments.alpha ?? 0.05) }).high;
}
