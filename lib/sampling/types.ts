/**
 * Contract of the `resample` stage: inputs (real train split, synthetic sources), the
 * config (field names shared with the pipeline's zod schema), and the two training sets
 * it produces. Pure types and constants.
 */
import type { Csr } from '../eval/types.ts';
import type { SyntheticSource, SyntheticSourceName, TrainingSet } from '../data/row-sets.ts';

export { SYNTHETIC_SOURCE_NAMES } from '../data/row-sets.ts';
export type { SyntheticSource, SyntheticSourceName } from '../data/row-sets.ts';

/** Provenance code of an output row (the `source` column). */
export const SOURCE = {
  /** A row of the real train split. */
  real: 0,
  /** A CFGAN-generated positive. */
  gan: 1,
  /** An LLM-generated row: liked (label 1) or disliked (label 0) item. */
  llm: 2,
  /** A negative drawn by the negative sampler (label 0). Not synthetic data: A has them too. */
  sampled: 3,
  /** A strong model's pseudo-positive (the teacher stage). */
  teacher: 4,
} as const;
export type SourceName = keyof typeof SOURCE;
export type SourceCode = (typeof SOURCE)[SourceName];
/** `SOURCE_NAMES[code]` is the name of a source code. */
export const SOURCE_NAMES: readonly SourceName[] = ['real', 'gan', 'llm', 'sampled', 'teacher'];

/** The real train split: dense ids, assumed deduped (duplicates are tolerated and counted). */
export interface RealRows {
  /** Number of rows; `user` and `item` have exactly this length. */
  n: number;
  user: Int32Array;
  item: Int32Array;
}

export interface ResampleInput {
  nUsers: number;
  nItems: number;
  train: RealRows;
  synthetic: SyntheticSource[];
  /**
   * For `negatives.strategy: hard`: per user (nUsers rows), top-scored items of a base model
   * computed by the caller. Candidates that are positives of the user are skipped.
   */
  hardCandidates?: Csr;
}

export type NegativeStrategy = 'uniform' | 'popularity' | 'hard';

export interface ResampleConfig {
  /** Drop synthetic positives with score below this. */
  minScore: number;
  /** LLMRec pruning: share (0..1) of each source's positives dropped, least plausible first. */
  dropRate: number;
  /** At most this many synthetic positives per user (integer >= 0). */
  maxSyntheticPerUser: number;
  /**
   * Share (0..1] of the users with real train rows, fewest first (ties: lower id), whose
   * synthetic rows are kept; 1 = every user a source proposed for. @default 1
   */
  syntheticUsersFraction?: number;
  /** Cap (0..0.9) on the share of synthetic positives among B's positives. */
  syntheticShare: number;
  /** Sampling weight (> 0) of a long-tail synthetic row relative to a head row (weight 1). */
  tailBoost: number;
  /** Users with <= this many real train items have their synthetic rows kept first. */
  protectColdUsers: number;
  /** Loss weight (> 0) of synthetic positives and LLM dislikes (real and sampled rows = 1). */
  syntheticWeight: number;
  negatives: {
    strategy: NegativeStrategy;
    /** Sampled negatives per positive written into A and B (0 = trainer samples on the fly). */
    perPositive: number;
  };
}

export const DEFAULT_RESAMPLE_CONFIG: ResampleConfig = Object.freeze({
  minScore: 0,
  dropRate: 0,
  maxSyntheticPerUser: 20,
  syntheticShare: 0.2,
  tailBoost: 1.0,
  protectColdUsers: 5,
  syntheticWeight: 0.5,
  negatives: Object.freeze({ strategy: 'uniform', perPositive: 0 }) as ResampleConfig['negatives'],
});

/**
 * A training set with provenance. Rows are sorted by (user, item); rows with the same
 * (user, item) can only be negatives and then come in the order dislike, sampled (in draw
 * order). `score` is the generator's score for synthetic rows and NaN for real and sampled
 * rows (they have none).
 */
export interface ResampledSet extends TrainingSet {
  /** `SOURCE` code per row. */
  source: Uint8Array;
  score: Float32Array;
}

/** Why a synthetic row was dropped, in the order the checks run. */
export const DROP_REASONS = [
  /** positive whose (user, item) is a real train positive */
  'duplicateOfReal',
  /** positive with score < minScore */
  'belowMinScore',
  /** positive whose (user, item) an earlier kept synthetic positive has (source, then row order) */
  'duplicateOfSynthetic',
  /** positive or dislike among the least plausible (highest-loss) dropRate share of its source's rows of that label */
  'pruned',
  /** positive or dislike of a user outside the syntheticUsersFraction with the fewest real rows */
  'notSparseUser',
  /** positive beyond maxSyntheticPerUser for its user */
  'userCap',
  /** positive left out by the subsample to syntheticShare */
  'share',
  /** dislike of an item the user has as a real positive */
  'dislikeOfReal',
  /** dislike repeating an earlier dislike of the same (user, item) */
  'duplicateDislike',
  /** dislike of an item kept as a synthetic positive of the user */
  'dislikeOfSynthetic',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface RowCounts {
  positive: number;
  negative: number;
}

/** Plain JSON: safe to write as a manifest or log to MLflow. */
export interface CompositionReport {
  seed: number;
  input: {
    realRows: number;
    /** Repeated (user, item) rows of the real split, counted once. */
    realDuplicates: number;
    realPositives: number;
    /** Input rows per source kind: liked (positive) and disliked (negative). */
    synthetic: Record<SyntheticSourceName, RowCounts>;
  };
  /** Rows of each set by source name and label. */
  rows: { a: Record<SourceName, RowCounts>; b: Record<SourceName, RowCounts> };
  /** Dropped synthetic rows by reason: in all and per source. */
  drops: { total: Record<DropReason, number> } & Record<
    SyntheticSourceName,
    Record<DropReason, number>
  >;
  share: {
    target: number;
    /** Synthetic positives / B positives. */
    achieved: number;
    /** Synthetic positives still in the running before the share subsample. */
    candidates: number;
    /** Most synthetic positives the target allows. */
    allowed: number;
  };
  negatives: {
    strategy: NegativeStrategy;
    perPositive: number;
    a: NegativeStats;
    b: NegativeStats;
  };
  /** Users by number of kept synthetic positives; `labels[k]` names bucket k. */
  perUserSynthetic: { labels: string[]; users: number[] };
  /**
   * Items ranked by real train count (descending, ties by id) in 20 equal-size buckets
   * (bucket 0 = the most popular 5%); positives falling in each bucket.
   */
  popularity: { items: number[]; real: number[]; synthetic: number[]; b: number[] };
  /** Long tail = items outside the top 20% by real train count. */
  tail: { tailItems: number; realShare: number; syntheticShare: number; bShare: number };
  users: {
    /** Users with at least one kept synthetic positive. */
    withSynthetic: number;
    /** Users with at least one kept LLM dislike. */
    withDislikes: number;
    /** Users with <= protectColdUsers real items, and those of them given synthetic rows. */
    cold: number;
    coldWithSynthetic: number;
  };
}

export interface NegativeStats {
  sampled: number;
  /** Users whose every item is a positive: no negative can be drawn for them. */
  usersWithoutCandidates: number;
  /** Users for whom rejection sampling gave way to drawing from the explicit complement. */
  usersExhaustive: number;
  /** `hard` only: users with no usable hard candidate, sampled uniformly instead. */
  usersHardFallback: number;
}

export interface ResampleResult {
  a: ResampledSet;
  b: ResampledSet;
  report: CompositionReport;
}
