/**
 * What the HTML run report shows, built from the stages' outputs (build.ts) and rendered
 * without any I/O (html.ts). Plain JSON: it is also written next to the report.
 */
import type { DataStats } from '../data/stats.ts';

/** One metric of the A/B test: means, paired delta B - A with its interval and p-value. */
export interface MetricRow {
  metric: string;
  a: number;
  b: number;
  delta: number;
  ciLow: number;
  ciHigh: number;
  /** Wilcoxon signed-rank p-value; NaN when every paired delta is zero. */
  p: number;
  /** Users in the pairing. */
  n: number;
}

export interface EpochPoint {
  epoch: number;
  loss: number;
  validNdcg10?: number;
}

export interface ReportData {
  meta: {
    pipeline: string;
    runId: string;
    createdAt: string;
    /** Primary metric of the decision. */
    metric: string;
    /** Confidence level of the intervals (e.g. 0.95). */
    level: number;
    /** Set when evaluate ranked a seeded sample of the test users (evaluate.maxUsers). */
    testSample?: { users: number; of: number };
  };
  decision: { promote: boolean; reasons: string[] };
  /** All users. */
  metrics: MetricRow[];
  /** Guard-rail segments: cold and sparse users (primary metric) and tail items (tail recall). */
  segments: (MetricRow & { segment: string })[];
  /**
   * Primary metric of A, B and the baselines (Popularity, ItemKNN) on all test users, and how
   * widely each recommends at the metric's K: catalog coverage and the Gini of exposure (when
   * the evaluation measured them).
   */
  models: {
    name: string;
    value: number;
    breadth?: { k: number; coverage: number; gini: number };
  }[];
  curves: { A: EpochPoint[]; B: EpochPoint[] };
  /** The recommender each of A and B is (retrain stats), when the report was given them. */
  trained?: { A: TrainedModelInfo; B: TrainedModelInfo };
  /** The preprocessed data set (preprocess stats), when the stage was given it. */
  dataset?: Pick<
    DataStats,
    'users' | 'items' | 'trainRows' | 'validRows' | 'testRows' | 'density' | 'popularityGini'
  >;
  composition?: {
    /** Rows of each set by source (real, gan, llm, teacher, sampled), positives + negatives. */
    rows: { a: Record<string, number>; b: Record<string, number> };
    /** Synthetic rows removed while denoising and balancing, by reason. */
    drops: Record<string, number>;
    shareTarget: number;
    shareAchieved: number;
    perUser: { labels: string[]; users: number[] };
    /** Positives per popularity bucket (bucket 0 = most popular 5% of items). */
    popularity: { real: number[]; synthetic: number[] };
    tail: { realShare: number; syntheticShare: number; bShare: number };
  };
  /** generateGan's stats: the named quality figures first, then any other numeric stat. */
  gan?: Record<string, number>;
  /** The GAN source gate's verdict in words (whether its rows were emitted, and why). */
  ganGate?: string;
  /**
   * The augmentation policy chosen on validation: A's figures, every candidate's (overall and
   * sparse-user validation NDCG@10, or why it was skipped), the choice and its reason.
   */
  policy?: {
    /** Which validation users ranked the candidates: `selection` (half) or `all`. */
    rankOn: 'selection' | 'all';
    /** EASE candidates fitted at A's lambda, this multiple of the mean train rows per item. */
    screenedAtRelativeLambda?: number;
    /** The teacher's candidates were scored with its proposals one step back. */
    teacherOneStepBack?: boolean;
    /** The LLM source's candidates were scored with its rows one step back. */
    llmOneStepBack?: boolean;
    /** The GAN's candidates were scored with its rows one step back. */
    ganOneStepBack?: boolean;
    chosen?: string;
    beatsA: boolean;
    reason: string;
    a: HalvesFigures & { ndcg10: number; sparseNdcg10: number; tailRecall10?: number };
    candidates: (HalvesFigures & {
      label: string;
      ndcg10?: number;
      sparseNdcg10?: number;
      tailRecall10?: number;
      syntheticRows?: number;
      skipped?: string;
    })[];
  };
  /** The teacher source: which baseline taught, how each candidate did, what it proposed. */
  teacher?: {
    name: string;
    /** Validation NDCG@10 of the teacher: the blend's when there is one. */
    validNdcg10: number;
    /** The blend that beat the best candidate, as "ease 1 + rp3beta 0.5" (name, weight). */
    blend?: string;
    /** Validation NDCG@10 of every candidate that ran, in the order tried. */
    candidates: Record<string, number>;
    /** Each candidate's recency half-life in train rows, where one beat the plain history. */
    halfLives: Record<string, number>;
    /** Candidates that did not run, and why. */
    skipped: Record<string, string>;
    rows: number;
    users: number;
    usersChosen: number;
    excludedItems: number;
    k: number;
  };
  llm?: {
    provider: string;
    model: string;
    /** True when the local item-sequence model, not an LLM, chose the items. */
    fallback: boolean;
    /** The base model that proposed the candidates, and its validation NDCG@10. */
    candidateModel?: { name: string; validNdcg10: number };
    /** Item metadata the chooser had (`none` when the data has none), in a sentence. */
    sideInformation?: { fields: string; note: string };
    users: number;
    triples: number;
    dropped: { malformed: number; outOfRange: number; same: number; failed: number };
    requests: number;
    promptTokens: number;
    completionTokens: number;
    cachedResponses: number;
    costUsd?: number;
    /** A few dropped answers as the chooser gave them (untrusted text, escaped on render). */
    examples: string[];
  };
}

/** A trained recommender: its family and the settings its trainer chose on validation. */
export interface TrainedModelInfo {
  family: string;
  /** e.g. EASE's lambda and recency halfLife. */
  chosen: Record<string, number>;
  /** With model.family auto: each candidate family's confirmation-half validation NDCG@10. */
  familyChoice?: Record<string, number>;
}

/** Sparse-user validation NDCG@10 on the policy's selection and confirmation halves. */
export interface HalvesFigures {
  selectionSparseNdcg10?: number;
  confirmSparseNdcg10?: number;
  /** The cold users' validation NDCG@10, on every validation user (the policy's cold rail). */
  coldNdcg10?: number;
}
