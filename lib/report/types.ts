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
  /** The preprocessed data set (preprocess stats), when the stage was given it. */
  dataset?: Pick<
    DataStats,
    'users' | 'items' | 'trainRows' | 'validRows' | 'testRows' | 'density' | 'popularityGini'
  >;
  composition?: {
    /** Rows of each set by source (real, gan, llm, sampled), positives + negatives. */
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
  llm?: {
    provider: string;
    model: string;
    /** True when the local item-sequence model, not an LLM, chose the items. */
    fallback: boolean;
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
