/**
 * Minimal, structural input and output types of the evaluation layer. They are defined here
 * (not imported from the data or model layers) so any producer of CSR arrays and any model
 * that can fill a score buffer can be evaluated without depending on those layers.
 */

/**
 * A sparse user x item interaction matrix in CSR form: the items of user `u` are
 * `indices[indptr[u] .. indptr[u + 1])`. Rows may be unsorted; duplicates are harmless.
 */
export interface Csr {
  /** Row offsets, length = rows + 1, non-decreasing, `indptr[0] = 0`. */
  indptr: Int32Array;
  /** Item ids (dense, `0 .. nItems-1`). Only the first `indptr[rows]` entries are read. */
  indices: Int32Array;
}

/** The three splits of one dataset, all over the same dense user and item ids. */
export interface EvalData {
  nUsers: number;
  nItems: number;
  /** Real training interactions: excluded from ranking; source of popularity and segments. */
  train: Csr;
  /** Validation interactions: excluded from ranking too (unless `excludeValid: false`). */
  valid?: Csr;
  /** Held-out test interactions: the relevant items. */
  test: Csr;
}

/**
 * Anything that can score every item for a batch of users. `out` has
 * `userIds.length * nItems` entries, row-major (row `r` belongs to `userIds[r]`); higher is
 * better. Every entry must be written. `-Infinity` means "never recommend"; NaN is an error.
 */
export interface Scorer {
  scoreUsers(userIds: Int32Array, out: Float32Array): void;
}

/** A scorer that may score asynchronously (e.g. a tfjs model reading back a tensor). */
export interface AsyncScorer {
  scoreUsers(userIds: Int32Array, out: Float32Array): void | Promise<void>;
}

/** Per-cutoff metric families (each exists once per K). */
export type CutoffMetric =
  'recall' | 'ndcg' | 'hr' | 'map' | 'novelty' | 'tailRecall' | 'tailShare';

/**
 * Name of a per-user metric: `ndcg@10`, `recall@20`, ..., or `mrr` (no cutoff).
 * `tailRecall@K` is NaN for users without a tail test item.
 */
export type MetricKey = `${CutoffMetric}@${number}` | 'mrr';

/** Progress of an evaluation, reported after every batch. */
export type EvalProgress = (usersDone: number, usersTotal: number) => void;

/** Evaluation options; every field has a default. */
export interface EvalOptions {
  /** Cutoffs. @default [10, 20] */
  ks?: number[];
  /** A user is cold when their train count is <= this. @default 5 */
  coldThreshold?: number;
  /** Fraction of items, least popular first, that are "tail" items. @default 0.8 */
  tailFraction?: number;
  /**
   * Fraction of evaluated users, fewest train items first, that are "sparse" users: those
   * augmentation is meant to help. @default 0.25
   */
  sparseFraction?: number;
  /**
   * Also measure intra-list diversity (`summary.diversity`): the A/B evaluation does; an
   * epoch's early-stopping validation need not pay for it. @default false
   */
  diversity?: boolean;
  /** Exclude validation items from ranking as well as train items. @default true */
  excludeValid?: boolean;
  /** Users per scorer call. @default as many as fit in `maxBufferFloats` (at least 1) */
  batchSize?: number;
  /** Upper bound on the score buffer (users x items floats). @default 4_194_304 (16 MiB) */
  maxBufferFloats?: number;
  /** Called after each batch (e.g. to heartbeat a Temporal activity). */
  onProgress?: EvalProgress;
  /** Async variant only: yield to the event loop after this many batches. @default 1 */
  yieldEveryBatches?: number;
  /** Async variant only: stop with the signal's reason when aborted. */
  signal?: AbortSignal;
}

/** Everything an evaluation measured. Per-user arrays are aligned with `users`. */
export interface EvalResult {
  nItems: number;
  ks: number[];
  /** Evaluated users (those with at least one rankable test item), ascending. */
  users: Int32Array;
  /** One value per evaluated user and metric; kept for paired tests. */
  perUser: Record<MetricKey, Float64Array>;
  segments: {
    /** Positions (into `users`) of cold users. */
    coldUsers: Int32Array;
    /** Positions (into `users`) of users with at least one tail test item. */
    tailUsers: Int32Array;
    /** Positions (into `users`) of the sparse users (fewest train items), ascending. */
    sparseUsers: Int32Array;
    /** Tail items as a 0/1 mask over the catalog. */
    tailItems: Uint8Array;
  };
  summary: EvalSummary;
}

/** Plain-number summary of an evaluation (JSON-friendly). */
export interface EvalSummary {
  /** Mean of each per-user metric over all evaluated users (NaNs skipped). */
  overall: Record<string, number>;
  /** Same metrics, cold users only. */
  coldUsers: Record<string, number>;
  /** Same metrics, sparse users only (the `sparseFraction` with the fewest train items). */
  sparseUsers: Record<string, number>;
  /** `recall@K` restricted to tail test items, mean over users with a tail test item. */
  tailItems: Record<string, number>;
  /** `coverage@K`: share of the catalog that appears in at least one user's top K. */
  coverage: Record<string, number>;
  /**
   * `gini@K`: Gini coefficient of how often each catalog item appears in the users' top K
   * (0: every item equally often, 1: one item takes all exposure).
   */
  exposure: Record<string, number>;
  /**
   * `ild@K`: intra-list diversity of the top K by item co-occurrence in train (see
   * `intraListDiversity`), over an even sample of at most 2,000 evaluated users; empty
   * unless `diversity` was asked for.
   */
  diversity: Record<string, number>;
  counts: {
    users: number;
    coldUsers: number;
    sparseUsers: number;
    tailUsers: number;
    tailItems: number;
    items: number;
    /** Test interactions dropped because the item is also in the user's train/valid set. */
    droppedTestItems: number;
  };
}
