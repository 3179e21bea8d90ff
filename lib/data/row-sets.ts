/**
 * The columnar row sets that travel between stages as parquet files: a training set
 * (resample's A and B, what the recommenders train on) and an augmentation stage's
 * synthetic rows. Pure types, so every layer above lib/data can share them.
 */

/**
 * A training set after resampling: positives (label 1) and explicit negatives (label 0,
 * e.g. an LLM's disliked item), each with a loss weight (synthetic rows can weigh less).
 * Columnar; dense user and item ids.
 */
export interface TrainingSet {
  nUsers: number;
  nItems: number;
  n: number;
  user: Int32Array;
  item: Int32Array;
  /** 1 = positive, 0 = explicit negative. */
  label: Uint8Array;
  /** Per-row loss weight, > 0. */
  weight: Float32Array;
}

/** The augmentation sources, as named in files and provenance. */
export const SYNTHETIC_SOURCE_NAMES = ['gan', 'llm', 'teacher'] as const;
export type SyntheticSourceName = (typeof SYNTHETIC_SOURCE_NAMES)[number];

/** One generator's output. Rows may duplicate real rows or rows of any source. */
export interface SyntheticSource {
  source: SyntheticSourceName;
  n: number;
  user: Int32Array;
  item: Int32Array;
  /** Generator confidence; rows with score < `minScore` are dropped (positives only). */
  score: Float32Array;
  /** 1 = liked (a synthetic positive), 0 = disliked (an explicit negative). Absent: all 1. */
  label?: Uint8Array;
  /**
   * Higher = more plausible (e.g. a base model's score or minus its BPR loss). Needed when
   * `dropRate > 0`: the least plausible `dropRate` share of this source's positives go.
   */
  plausibility?: Float32Array;
}
