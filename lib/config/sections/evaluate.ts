// The `evaluate` section: the offline A/B test on the test split and the promotion rule.

import { z } from 'zod';
import { EVALUATE_MAX_USERS } from './limits.ts';

export const evaluateSchema = z
  .strictObject({
    ks: z
      .array(z.int().min(1).max(1000))
      .min(1)
      .max(8)
      .default([10, 20])
      .describe('Cutoffs of the ranking metrics.'),
    coldThreshold: z
      .int()
      .min(0)
      .max(1000)
      .default(5)
      .describe('Users with at most this many train items are the cold-user segment.'),
    tailFraction: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.8)
      .describe('Least popular share of the catalog that counts as the tail.'),
    sparseFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(0.25)
      .describe(
        'Share of test users with the fewest train items that form the sparse-user segment (the users augmentation is meant to help).',
      ),
    metric: z
      .string()
      .regex(/^(mrr|(ndcg|recall|hr|map)@[1-9][0-9]*)$/, 'ndcg@K, recall@K, hr@K, map@K or mrr')
      .default('ndcg@10')
      .describe('Primary metric of the decision: `ndcg@K`, `recall@K`, `hr@K`, `map@K` or `mrr`.'),
    minLift: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe("Promote B only when the CI lower bound of the metric's delta is above this."),
    maxDrop: z
      .number()
      .min(0)
      .max(1)
      .default(0.05)
      .describe(
        'Largest allowed drop on the cold-user, sparse-user and tail-item guard rails (relative to A).',
      ),
    minSegmentUsers: z
      .int()
      .min(0)
      .max(1_000_000)
      .default(50)
      .describe(
        'A guard-rail segment with fewer users is too small to judge on its point estimate: there a drop beyond maxDrop blocks B only when its whole confidence interval is below zero (0 = judge every segment on its point estimate).',
      ),
    alpha: z
      .number()
      .gt(0)
      .lt(0.5)
      .default(0.05)
      .describe('Significance level of the signed-rank test; intervals are at 1 - alpha.'),
    resamples: z
      .int()
      .min(1000)
      .max(100_000)
      .default(2000)
      .describe('Bootstrap resamples of the confidence intervals.'),
    baselines: z
      .boolean()
      .default(true)
      .describe(
        'Also evaluate the Popularity, ItemKNN, RP3beta and EASE baselines (EASE up to 5,000 items) for the report.',
      ),
    maxUsers: z
      .int()
      .min(0)
      .max(100_000_000)
      .default(EVALUATE_MAX_USERS)
      .describe(
        'Rank every item for at most this many test users: a seeded uniform sample when there are more (0 = all). A, B and the baselines are scored on the same users; the report says when a sample was used.',
      ),
  })
  .prefault({})
  .refine(
    (e) => e.metric === 'mrr' || e.ks.includes(Number(e.metric.split('@')[1])),
    "the metric's K must be one of ks",
  )
  .describe('The offline A/B test on the untouched test split, and the promotion rule.');
